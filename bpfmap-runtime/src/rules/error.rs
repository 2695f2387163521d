//! `RuleError`: a definition the kernel would refuse, with the rule and the errno.

use core::fmt;

use crate::Errno;

use super::{EntriesRule, MapFlags, MapType, SizeRule};

/// A rule of `BPF_MAP_CREATE` that a [`MapDef`](crate::MapDef) breaks.
///
/// Each variant says which attribute is wrong ([`subject`](RuleError::subject)), the rule in
/// words ([`rule`](RuleError::rule), a `&'static str` so compile-time checks can show it) and
/// the errno the kernel would return ([`errno`](RuleError::errno)). `Display` adds the numbers.
///
/// ```
/// use bpfmap::{Errno, MapDef, MapType, RuleError, Subject};
/// let def = MapDef::new(MapType::ARRAY, 8, 4, 16);
/// let err = def.validate().unwrap_err();
/// assert!(matches!(err, RuleError::KeySize { size: 8, .. }));
/// assert_eq!(err.errno(), Errno::EINVAL);
/// assert_eq!(err.subject(), Subject::Key);
/// assert_eq!(
///     err.to_string(),
///     "key_size 8 is refused by `array` maps: `key` must be 4 bytes (a u32 index): \
///      array-like maps are indexed by u32 (the kernel returns EINVAL)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleError {
    /// No released kernel has this `map_type`.
    UnknownType {
        /// The raw number.
        raw: u32,
    },
    /// The type cannot be created from a definition alone.
    NotStandalone {
        /// The type.
        map_type: MapType,
        /// What it needs.
        why: &'static str,
    },
    /// `key_size` breaks the type's key rule.
    KeySize {
        /// The type.
        map_type: MapType,
        /// The size given.
        size: u32,
        /// The rule.
        rule: &'static SizeRule,
    },
    /// `value_size` breaks the type's value rule.
    ValueSize {
        /// The type.
        map_type: MapType,
        /// The size given.
        size: u32,
        /// The rule.
        rule: &'static SizeRule,
    },
    /// A hash element (key + value + 48 bytes of header) would not fit one kernel allocation.
    HashElementTooLarge {
        /// The type.
        map_type: MapType,
        /// The key size.
        key_size: u32,
        /// The value size.
        value_size: u32,
    },
    /// A stack trace value is not a whole number of frames, or has more frames than
    /// `kernel.perf_event_max_stack`.
    StackTraceDepth {
        /// The value size.
        value_size: u32,
        /// The frame size: 8 (an address) or 32 (with `stack_build_id`).
        frame: u32,
        /// The largest frame count allowed.
        max_frames: u32,
    },
    /// `max_entries` breaks the type's rule.
    MaxEntries {
        /// The type.
        map_type: MapType,
        /// The count given.
        max_entries: u32,
        /// The rule.
        rule: &'static EntriesRule,
        /// The errno.
        errno: Errno,
    },
    /// A bit that no kernel defines as a map flag.
    UnknownFlag {
        /// The bit.
        flag: MapFlags,
    },
    /// A flag the type does not accept.
    FlagRefused {
        /// The type.
        map_type: MapType,
        /// The flag.
        flag: MapFlags,
    },
    /// `no_prealloc` on an LRU map: LRU maps are always preallocated (`ENOTSUPP`).
    LruNoPrealloc {
        /// The type.
        map_type: MapType,
    },
    /// A flag the type requires is missing.
    FlagRequired {
        /// The type.
        map_type: MapType,
        /// The missing flag.
        flag: MapFlags,
    },
    /// Two flags that exclude each other.
    FlagsConflict {
        /// The first flag.
        first: MapFlags,
        /// The flag that conflicts with it.
        second: MapFlags,
        /// Why.
        why: &'static str,
    },
    /// `token_fd` in a definition: bpfmap sets it itself, with the token's fd, when it
    /// creates a map with a BPF token.
    TokenFd,
    /// `numa_node` names a node that is not online on this host.
    NumaNode {
        /// The node.
        node: u32,
    },
    /// `map_extra` is set on a type that has none, or has a value the type refuses.
    MapExtra {
        /// The type.
        map_type: MapType,
        /// The value given.
        map_extra: u64,
        /// The rule.
        why: &'static str,
        /// The errno.
        errno: Errno,
    },
    /// The name is longer than 15 bytes.
    NameTooLong {
        /// Its length.
        len: usize,
    },
    /// The name has a byte outside `[A-Za-z0-9_.]`.
    NameByte {
        /// The byte's position.
        index: usize,
        /// The byte.
        byte: u8,
    },
    /// A map-of-maps without an inner map template.
    InnerMissing {
        /// The outer type.
        map_type: MapType,
    },
    /// An inner map template on a type that is not a map-of-maps.
    InnerUnexpected {
        /// The type.
        map_type: MapType,
    },
    /// The inner map template breaks a rule of its own.
    InnerInvalid {
        /// The inner type.
        inner: MapType,
        /// The errno of the inner's broken rule.
        errno: Errno,
    },
    /// An inner map template of a type that cannot be an inner map.
    InnerType {
        /// The inner type.
        inner: MapType,
        /// The errno.
        errno: Errno,
    },
    /// A local storage map without the BTF types of its key and value.
    TypesMissing {
        /// The type.
        map_type: MapType,
    },
    /// A key or value type whose BTF description is not the size the definition says.
    TypeSize {
        /// `Key` or `Value`.
        subject: Subject,
        /// The definition's `key_size` or `value_size`.
        size: u32,
        /// The description's size (`None`: too large or too deep to have one).
        described: Option<u32>,
    },
    /// A key type that the map type's BTF rule refuses, where the map needs its BTF.
    KeyType {
        /// The type.
        map_type: MapType,
        /// The rule.
        rule: &'static str,
    },
    /// A key or value type whose description BTF cannot hold (a hand-written
    /// [`TypeDesc`](crate::btf::TypeDesc) with members out of order, a name that is no C
    /// identifier), on a map that cannot go without its BTF.
    TypeDescription {
        /// `Key` or `Value`.
        subject: Subject,
        /// What is wrong with the description.
        problem: &'static str,
    },
    /// A [`SpinLock`](crate::SpinLock) where the kernel takes none, or in a shape it refuses.
    SpinLock {
        /// `Key`, `Value` or `Flags`.
        subject: Subject,
        /// The rule.
        rule: &'static str,
        /// The errno.
        errno: Errno,
    },
}

/// The attribute a [`RuleError`] is about: where a compile error points.
///
/// ```
/// use bpfmap::{MapDef, MapType, Subject};
///
/// let err = MapDef::new(MapType::ARRAY, 8, 8, 4).validate().unwrap_err();
/// assert_eq!(err.subject(), Subject::Key);   // #[bpf_map] puts the error on the key's type
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// `type`.
    Type,
    /// The `key` field's type.
    Key,
    /// The `value` field's type.
    Value,
    /// `max_entries`.
    MaxEntries,
    /// `flags`.
    Flags,
    /// `numa_node`.
    NumaNode,
    /// `map_extra`.
    MapExtra,
    /// `name`.
    Name,
    /// `inner`.
    Inner,
}

impl RuleError {
    /// The errno `BPF_MAP_CREATE` returns for this definition. (One rule is stricter than the
    /// kernel: fd arrays of more than 2^31 - 1 entries, which it creates but crashes freeing;
    /// they get `E2BIG`.)
    pub const fn errno(&self) -> Errno {
        match *self {
            RuleError::KeySize { size, rule, .. } | RuleError::ValueSize { size, rule, .. } => {
                match rule.check(size) {
                    Err(errno) => errno,
                    Ok(()) => Errno::EINVAL,
                }
            }
            RuleError::HashElementTooLarge { .. } => Errno::E2BIG,
            RuleError::MaxEntries { errno, .. }
            | RuleError::SpinLock { errno, .. }
            | RuleError::MapExtra { errno, .. }
            | RuleError::InnerType { errno, .. }
            | RuleError::InnerInvalid { errno, .. } => errno,
            RuleError::LruNoPrealloc { .. } => Errno::ENOTSUPP,
            _ => Errno::EINVAL,
        }
    }

    /// The attribute that breaks the rule.
    pub const fn subject(&self) -> Subject {
        match self {
            RuleError::UnknownType { .. }
            | RuleError::NotStandalone { .. }
            | RuleError::TypesMissing { .. } => Subject::Type,
            RuleError::TypeSize { subject, .. }
            | RuleError::TypeDescription { subject, .. }
            | RuleError::SpinLock { subject, .. } => *subject,
            RuleError::KeySize { .. } | RuleError::KeyType { .. } => Subject::Key,
            RuleError::ValueSize { .. }
            | RuleError::HashElementTooLarge { .. }
            | RuleError::StackTraceDepth { .. } => Subject::Value,
            RuleError::MaxEntries { .. } => Subject::MaxEntries,
            RuleError::UnknownFlag { .. }
            | RuleError::FlagRefused { .. }
            | RuleError::LruNoPrealloc { .. }
            | RuleError::FlagRequired { .. }
            | RuleError::FlagsConflict { .. }
            | RuleError::TokenFd => Subject::Flags,
            RuleError::NumaNode { .. } => Subject::NumaNode,
            RuleError::MapExtra { .. } => Subject::MapExtra,
            RuleError::NameTooLong { .. } | RuleError::NameByte { .. } => Subject::Name,
            RuleError::InnerMissing { .. }
            | RuleError::InnerUnexpected { .. }
            | RuleError::InnerInvalid { .. }
            | RuleError::InnerType { .. } => Subject::Inner,
        }
    }

    /// The rule in words, without the numbers of this definition.
    pub const fn rule(&self) -> &'static str {
        match *self {
            RuleError::UnknownType { .. } => "`type` is not a map type of any released kernel",
            RuleError::NotStandalone { why, .. } => why,
            RuleError::KeySize { rule, .. } | RuleError::ValueSize { rule, .. } => rule.why(),
            RuleError::HashElementTooLarge { .. } => {
                "`key` and `value` together must stay under 4 MiB - 48 bytes: a hash element must fit one kernel allocation"
            }
            RuleError::StackTraceDepth { frame: 32, .. } => {
                "`value` must be a whole number of 32-byte build-id frames (struct bpf_stack_build_id), at most kernel.perf_event_max_stack (127 by default) of them"
            }
            RuleError::StackTraceDepth { .. } => {
                "`value` must be a whole number of 8-byte addresses, at most kernel.perf_event_max_stack (127 by default) of them"
            }
            RuleError::MaxEntries { rule, .. } => rule.why(),
            RuleError::UnknownFlag { .. } => "`flags` has a bit that no kernel defines as a map flag",
            RuleError::FlagRefused { .. } => "`flags` has a flag this map type does not accept",
            RuleError::LruNoPrealloc { .. } => {
                "`no_prealloc` is not supported by LRU maps: they are always preallocated"
            }
            RuleError::FlagRequired { .. } => "`flags` lacks a flag this map type requires",
            RuleError::FlagsConflict { why, .. } => why,
            RuleError::TokenFd => {
                "`token_fd` is set by bpfmap itself, with the token's fd, when it creates a map with a BPF token (`Loader::token`, `create_map_with_token`); a definition cannot set it"
            }
            RuleError::NumaNode { .. } => "`numa_node` must be a NUMA node that is online on this host",
            RuleError::MapExtra { why, .. } => why,
            RuleError::NameTooLong { .. } => {
                "`name` must be at most 15 bytes: the kernel keeps 16 with a NUL"
            }
            RuleError::NameByte { .. } => "`name` may only hold ASCII letters, digits, `_` and `.`",
            RuleError::InnerMissing { .. } => {
                "a map-of-maps needs `inner = Template`: the kernel checks every inner map against a template"
            }
            RuleError::InnerUnexpected { .. } => "`inner` is only for `array_of_maps` and `hash_of_maps`",
            RuleError::InnerInvalid { .. } => "`inner` must be a valid map definition itself",
            RuleError::InnerType {
                inner: MapType::CGROUP_STORAGE | MapType::PERCPU_CGROUP_STORAGE, ..
            } => {
                "`inner` must be a map that can sit inside another: not a cgroup storage, which the kernel cannot compare with a template"
            }
            RuleError::InnerType { .. } => {
                "`inner` must be a map that can sit inside another: not a map-of-maps, and not a prog_array"
            }
            RuleError::TypesMissing { .. } => {
                "local storage maps need the BTF of their key and value: declare them with #[bpf_map], or give the definition `MapDef::with_types`"
            }
            RuleError::TypeSize { .. } => {
                "the BTF description of the type must have the definition's size: make the definition with `MapDef::with_types`"
            }
            RuleError::TypeDescription { .. } => {
                "the map needs the BTF of its types (local storage, a value with a SpinLock), and BTF cannot describe this type: describe it with #[derive(Pod)]"
            }
            RuleError::KeyType { rule, .. } | RuleError::SpinLock { rule, .. } => rule,
        }
    }
}

fn type_name(map_type: MapType) -> String {
    format!("`{map_type}`")
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule();
        match *self {
            RuleError::TypesMissing { map_type } => {
                write!(f, "{} maps need key and value types: {rule}", type_name(map_type))?
            }
            RuleError::TypeSize { subject, size, described } => write!(
                f,
                "the {} type is described as {} bytes but the definition says {size}: {rule}",
                if matches!(subject, Subject::Key) { "key" } else { "value" },
                described.map_or("too many".to_string(), |d| d.to_string())
            )?,
            RuleError::KeyType { map_type, .. } => {
                write!(f, "the key type is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::SpinLock { .. } => write!(f, "SpinLock refused: {rule}")?,
            RuleError::TypeDescription { subject, problem } => write!(
                f,
                "the {} type's description is not valid BTF ({problem}): {rule}",
                if matches!(subject, Subject::Key) { "key" } else { "value" }
            )?,
            RuleError::UnknownType { raw } => write!(f, "map type {raw} is unknown: {rule}")?,
            RuleError::NotStandalone { map_type, .. } => {
                write!(f, "{} maps cannot be created standalone: {rule}", type_name(map_type))?
            }
            RuleError::KeySize { map_type, size, .. } => {
                write!(f, "key_size {size} is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::ValueSize { map_type, size, .. } => {
                write!(f, "value_size {size} is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::HashElementTooLarge { map_type, key_size, value_size } => write!(
                f,
                "key_size {key_size} + value_size {value_size} is too large for {} maps: {rule}",
                type_name(map_type)
            )?,
            RuleError::StackTraceDepth { value_size, max_frames, .. } => write!(
                f,
                "value_size {value_size} is refused by `stack_trace` maps: {rule} ({max_frames} on this host)"
            )?,
            RuleError::MaxEntries { map_type, max_entries, .. } => {
                write!(f, "max_entries {max_entries} is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::UnknownFlag { flag } => write!(f, "flag {flag} is unknown: {rule}")?,
            RuleError::FlagRefused { flag: MapFlags::PATH_FD, .. } => f.write_str(
                "flag `path_fd` is not a map-creation flag: it belongs to BPF_OBJ_PIN and BPF_OBJ_GET",
            )?,
            RuleError::FlagRefused { map_type, flag } => {
                write!(f, "flag `{flag}` is refused by {} maps, which accept ", type_name(map_type))?;
                let accepted = map_type.rules().map_or(MapFlags::EMPTY, |r| r.flags);
                match accepted.is_empty() {
                    true => f.write_str("no flags")?,
                    false => write!(f, "only {}", names(accepted))?,
                }
                let users = types_accepting(flag);
                if !users.is_empty() && users.len() <= 3 {
                    write!(f, "; `{flag}` is for {} maps", users.join(", "))?;
                }
            }
            RuleError::LruNoPrealloc { map_type } => write!(
                f,
                "flag `no_prealloc` is refused by {} maps: LRU maps are always preallocated",
                type_name(map_type)
            )?,
            RuleError::FlagRequired { map_type, flag } => {
                write!(f, "{} maps require flag `{flag}`: add it to `flags`", type_name(map_type))?;
                if let Some(why) = required_because(flag) {
                    write!(f, "; {why}")?;
                }
            }
            RuleError::FlagsConflict { first, second, .. } => {
                write!(f, "flags `{first}` and `{second}` exclude each other: {rule}")?
            }
            RuleError::TokenFd => write!(f, "flag {rule}")?,
            RuleError::NumaNode { node } => write!(f, "numa_node {node} is refused: {rule}")?,
            RuleError::MapExtra { map_type, map_extra, .. } => {
                write!(f, "map_extra {map_extra:#x} is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::NameTooLong { len } => write!(f, "the name is {len} bytes: {rule}")?,
            RuleError::NameByte { index, byte } if byte.is_ascii() => {
                write!(f, "the name has {:?} at index {index}: {rule}", byte as char)?
            }
            RuleError::NameByte { index, byte } => {
                write!(f, "the name has a non-ASCII byte {byte:#04x} at index {index}: {rule}")?
            }
            RuleError::InnerMissing { map_type } => {
                write!(f, "{} maps need an inner map: {rule}", type_name(map_type))?
            }
            RuleError::InnerUnexpected { map_type } => {
                write!(f, "{} maps take no inner map: {rule}", type_name(map_type))?
            }
            RuleError::InnerType { inner, .. } => {
                write!(f, "{} maps cannot be inner maps: {rule}", type_name(inner))?
            }
            RuleError::InnerInvalid { inner, .. } => {
                write!(f, "the inner {} map template is invalid: {rule}", type_name(inner))?
            }
        }
        match self {
            // The one rule stricter than the kernel (see `errno`).
            RuleError::MaxEntries { max_entries, .. }
                if *max_entries > i32::MAX as u32
                    && self.errno() == Errno::E2BIG
                    && matches!(self, RuleError::MaxEntries { map_type, .. } if is_fd_array(*map_type)) =>
            {
                write!(f, " (bpfmap refuses it with E2BIG to keep the kernel from crashing)")
            }
            _ => write!(f, " (the kernel returns {})", self.errno().name()),
        }
    }
}

fn is_fd_array(map_type: MapType) -> bool {
    [MapType::PROG_ARRAY, MapType::PERF_EVENT_ARRAY, MapType::CGROUP_ARRAY, MapType::ARRAY_OF_MAPS]
        .contains(&map_type)
}

/// The types that accept `flag`, quoted.
fn types_accepting(flag: MapFlags) -> Vec<String> {
    MapType::all()
        .filter_map(|t| t.rules())
        .filter(|r| r.flags.contains(flag))
        .map(|r| format!("`{}`", r.name))
        .collect()
}

/// `flags` as quoted names: "`numa_node`, `rb_overwrite`".
fn names(flags: MapFlags) -> String {
    flags.iter().map(|flag| format!("`{flag}`")).collect::<Vec<_>>().join(", ")
}

/// Why a type requires a flag.
fn required_because(flag: MapFlags) -> Option<&'static str> {
    match flag {
        MapFlags::NO_PREALLOC => Some("its nodes are allocated on demand"),
        MapFlags::MMAPABLE => Some("an arena exists to be mapped into user space"),
        _ => None,
    }
}

impl std::error::Error for RuleError {}
