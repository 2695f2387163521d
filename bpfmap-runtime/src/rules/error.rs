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
///      this map type is indexed by u32 (the kernel returns EINVAL)"
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
    /// `token_fd`: bpfmap passes no BPF token.
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
}

/// The attribute a [`RuleError`] is about: where a compile error points.
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
    /// The errno `BPF_MAP_CREATE` returns for this definition.
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
            RuleError::UnknownType { .. } | RuleError::NotStandalone { .. } => Subject::Type,
            RuleError::KeySize { .. } => Subject::Key,
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
                "`value` must be a whole number of 32-byte build-id frames (struct bpf_stack_build_id), at most kernel.perf_event_max_stack of them"
            }
            RuleError::StackTraceDepth { .. } => {
                "`value` must be a whole number of 8-byte addresses, at most kernel.perf_event_max_stack of them"
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
                "`token_fd` needs a BPF token fd in the attribute, which bpfmap does not pass"
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
            RuleError::InnerType { .. } => {
                "`inner` must be a map that can sit inside another: not a map-of-maps, and not a prog_array"
            }
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
            RuleError::FlagRefused { map_type, flag } => match flag.info() {
                Some(info) => write!(
                    f,
                    "flag `{}` is refused by {} maps: {rule}; it is accepted by {}",
                    info.name,
                    type_name(map_type),
                    accepted_by(flag)
                )?,
                None => write!(f, "flag {flag} is refused by {} maps: {rule}", type_name(map_type))?,
            },
            RuleError::LruNoPrealloc { map_type } => {
                write!(f, "flag `no_prealloc` is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::FlagRequired { map_type, flag } => write!(
                f,
                "{} maps require flag `{flag}`: {rule}; add `flags = \"{flag}\"`",
                type_name(map_type)
            )?,
            RuleError::FlagsConflict { first, second, .. } => {
                write!(f, "flags `{first}` and `{second}` exclude each other: {rule}")?
            }
            RuleError::TokenFd => write!(f, "flag `token_fd` is refused: {rule}")?,
            RuleError::NumaNode { node } => write!(f, "numa_node {node} is refused: {rule}")?,
            RuleError::MapExtra { map_type, map_extra, .. } => {
                write!(f, "map_extra {map_extra:#x} is refused by {} maps: {rule}", type_name(map_type))?
            }
            RuleError::NameTooLong { len } => write!(f, "the name is {len} bytes: {rule}")?,
            RuleError::NameByte { index, byte } => {
                write!(f, "the name has byte {:?} at {index}: {rule}", byte as char)?
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
        write!(f, " (the kernel returns {})", self.errno().name())
    }
}

/// The types that accept `flag`, for the hint after a refused flag.
fn accepted_by(flag: MapFlags) -> String {
    let names: Vec<_> = MapType::all()
        .filter_map(|t| t.rules())
        .filter(|r| r.flags.contains(flag))
        .map(|r| format!("`{}`", r.name))
        .collect();
    match names.len() {
        0 => "no map type".to_string(),
        _ => names.join(", "),
    }
}

impl std::error::Error for RuleError {}
