//! `validate`: the kernel's checks of `BPF_MAP_CREATE`, in the kernel's order, as `const fn`s.
//!
//! The order follows `map_create` in `kernel/bpf/syscall.c` (generic checks, then the type's
//! `map_alloc_check`/`map_alloc`, then the name), so that when a definition breaks several rules
//! the errno reported is the one the kernel returns. Each piece is public so the macro can check
//! what the tokens show, one attribute at a time, with the same code.

use crate::Errno;

use super::table::{EntriesRule, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE};
use super::{
    BtfRule, Creation, HostLimits, MapDef, MapFlags, MapName, MapType, RuleError, Subject, TypeRules,
};
use crate::btf::{LockError, TypeDesc};

type Check = Result<(), RuleError>;

/// Returns early with the error of a failed check (`?` is not available in `const fn`).
macro_rules! check {
    ($e:expr) => {
        if let Err(e) = $e {
            return Err(e);
        }
    };
}

/// The rules of `map_type`, or the error for a type no released kernel has.
pub const fn check_type(map_type: MapType) -> Result<&'static TypeRules, RuleError> {
    match map_type.rules() {
        Some(rules) => Ok(rules),
        None => Err(RuleError::UnknownType { raw: map_type.raw() }),
    }
}

/// Whether the type can be created from a definition (with its types, where it needs them).
pub const fn check_standalone(rules: &TypeRules) -> Check {
    match rules.creation {
        Creation::NeedsBtf { why } => Err(RuleError::NotStandalone { map_type: rules.map_type, why }),
        _ => Ok(()),
    }
}

/// Whether `key`, as BTF describes it, is a key the map type's `map_check_btf` takes; types
/// whose rule it breaks are created without BTF where they can be (see [`check_types`]).
pub const fn btf_key_fits(rules: &TypeRules, key: Option<&TypeDesc>) -> bool {
    let Some(key) = key else {
        // A keyless map's key is `void` (id 0): only types with a check of their own take it.
        return matches!(rules.btf, BtfRule::Any) && matches!(rules.map_type, MapType::BLOOM_FILTER);
    };
    let key = resolved(key);
    match rules.btf {
        BtfRule::None => false,
        BtfRule::Any => true,
        BtfRule::IntKey => matches!(*key, TypeDesc::Int { size: 4, .. }),
        BtfRule::StructKey => matches!(*key, TypeDesc::Struct { .. }),
        BtfRule::CgroupStorageKey => match *key {
            TypeDesc::Int { size: 8, .. } => true,
            TypeDesc::Struct { size: 16, members, .. } => {
                members.len() == 2
                    && members[0].offset == 0
                    && matches!(*resolved(members[0].ty), TypeDesc::Int { size: 8, .. })
                    && members[1].offset == 8
                    && matches!(*resolved(members[1].ty), TypeDesc::Int { size: 4, .. })
            }
            _ => false,
        },
    }
}

/// `desc` with its typedefs skipped, as the kernel's `btf_type_id_size` resolves a key.
const fn resolved(desc: &TypeDesc) -> &TypeDesc {
    let mut desc = desc;
    let mut depth = 0;
    while let TypeDesc::Typedef { ty, .. } = *desc {
        if depth == crate::btf::MAX_DEPTH {
            break;
        }
        desc = ty;
        depth += 1;
    }
    desc
}

/// The rule of a BTF key type, in words.
const fn key_rule(rules: &TypeRules) -> &'static str {
    match rules.btf {
        BtfRule::IntKey => {
            "`key` must be a 32-bit integer (u32, i32, or a repr(transparent) wrapper of one): the kernel checks the key's BTF, and a struct or array of 4 bytes is refused"
        }
        BtfRule::StructKey => {
            "`key` must be a struct (e.g. `bpfmap::LpmKey<[u8; 4]>`): the kernel checks the key's BTF"
        }
        BtfRule::CgroupStorageKey => {
            "`key` must be a u64 (a cgroup id) or `bpfmap::CgroupStorageKey`: the kernel checks the key's BTF"
        }
        _ => "`key` is a type this map type does not take as BTF",
    }
}

/// The rules about the key and value types a definition carries (`key_type`, `value_type`),
/// in the kernel's `map_check_btf` order. A map that needs its BTF (local storage, a value
/// with a [`SpinLock`](crate::SpinLock)) must satisfy its type's BTF rule; any other map whose
/// types break it is created without BTF (and `bpftool` shows its bytes).
///
/// Two rules are bpfmap's own, and apply to every definition with types: the types must
/// have the definition's sizes, and a key holds no lock.
pub const fn check_types(rules: &TypeRules, def: &MapDef) -> Check {
    let map_type = rules.map_type;
    let locked = match def.value_type {
        Some(value) => value.contains_spin_lock() || value.spin_lock_error().is_some(),
        None => false,
    };
    let needs = locked || matches!(rules.creation, Creation::NeedsTypes);
    if let Err(e) = check_type_size(Subject::Key, def.key_type, def.key_size) {
        return Err(e);
    }
    // Sent without a key type (id 0), the BTF of a map type without a check of its own is
    // refused before the value is looked at.
    if needs && def.key_type.is_none() && !btf_key_fits(rules, None) {
        return Err(RuleError::KeyType { map_type, rule: key_rule(rules) });
    }
    if let Err(e) = check_type_size(Subject::Value, def.value_type, def.value_size) {
        return Err(e);
    }
    // What BTF cannot describe goes without it where the map can (`MapsBtf`); here it cannot.
    if needs {
        let types = [(Subject::Key, def.key_type), (Subject::Value, def.value_type)];
        let mut i = 0;
        while i < types.len() {
            if let (subject, Some(desc)) = types[i]
                && let Err(e) = desc.check()
            {
                return Err(RuleError::TypeDescription { subject, problem: e.summary() });
            }
            i += 1;
        }
    }
    if let Some(key) = def.key_type
        && (key.contains_spin_lock() || key.spin_lock_error().is_some())
    {
        return Err(RuleError::SpinLock {
            subject: Subject::Key,
            rule: "a SpinLock belongs in a value: in a key it would be compared byte by byte, never taken (bpfmap's rule; the kernel would take the key as plain bytes)",
            errno: Errno::EINVAL,
        });
    }
    if let Some(value) = def.value_type
        && let Some(error) = value.spin_lock_error()
    {
        // What `BPF_BTF_LOAD` refuses is checked first (`check_btf_object`); the rest the
        // kernel would ignore, creating the map without its lock.
        let errno = match error.load_errno {
            Some(errno) => errno,
            None => Errno::EINVAL,
        };
        return Err(RuleError::SpinLock { subject: Subject::Value, rule: error.rule, errno });
    }
    if locked && def.flags.intersects(MapFlags::RDONLY_PROG.union(MapFlags::WRONLY_PROG)) {
        return Err(RuleError::SpinLock {
            subject: Subject::Flags,
            rule: "a value with a SpinLock cannot be `rdonly_prog` or `wronly_prog`: programs must be able to take the lock",
            errno: Errno::EACCES,
        });
    }
    // A devmap sets `rdonly_prog` on itself, and so refuses a lock as that flag does.
    if locked && (map_type.raw() == MapType::DEVMAP.raw() || map_type.raw() == MapType::DEVMAP_HASH.raw()) {
        return Err(RuleError::SpinLock {
            subject: Subject::Value,
            rule: "a devmap's values are read-only to programs (the kernel makes it `rdonly_prog`), so a SpinLock in them could never be taken",
            errno: Errno::EACCES,
        });
    }
    if locked && !rules.locks {
        return Err(RuleError::SpinLock {
            subject: Subject::Value,
            rule: "a value with a SpinLock needs a map type that takes locks: hash, array, cgroup_storage, or a local storage (not per-CPU, LRU or the others)",
            errno: Errno::EOPNOTSUPP,
        });
    }
    if needs && !btf_key_fits(rules, def.key_type) {
        return Err(RuleError::KeyType { map_type, rule: key_rule(rules) });
    }
    Ok(())
}

/// What `BPF_BTF_LOAD` refuses in the types of a map created with BTF: two locks side by side,
/// a misaligned lock. The kernel sees the object before the map, so this comes first.
pub const fn check_btf_object(def: &MapDef) -> Check {
    if def.value_type.is_none() || !(def.takes_btf() || def.needs_btf()) {
        return Ok(());
    }
    let types = [(Subject::Key, def.key_type), (Subject::Value, def.value_type)];
    let mut i = 0;
    while i < types.len() {
        if let (subject, Some(desc)) = types[i]
            && let Some(LockError { rule, load_errno: Some(errno) }) = desc.spin_lock_error()
        {
            return Err(RuleError::SpinLock { subject, rule, errno });
        }
        i += 1;
    }
    Ok(())
}

/// The size of a type's description against the definition's size.
const fn check_type_size(subject: Subject, desc: Option<&TypeDesc>, size: u32) -> Check {
    let Some(desc) = desc else { return Ok(()) };
    match desc.size() {
        Some(described) if described == size => Ok(()),
        described => Err(RuleError::TypeSize { subject, size, described }),
    }
}

/// Whether one flag is accepted by the type on its own.
pub const fn check_flag(rules: &TypeRules, flag: MapFlags) -> Check {
    let map_type = rules.map_type;
    if !MapFlags::KNOWN.contains(flag) {
        return Err(RuleError::UnknownFlag { flag });
    }
    if flag.bits() == MapFlags::TOKEN_FD.bits() {
        return Err(RuleError::TokenFd);
    }
    if rules.flags.contains(flag) {
        return Ok(());
    }
    let lru = map_type.raw() == MapType::LRU_HASH.raw() || map_type.raw() == MapType::LRU_PERCPU_HASH.raw();
    if lru && flag.bits() == MapFlags::NO_PREALLOC.bits() {
        return Err(RuleError::LruNoPrealloc { map_type });
    }
    Err(RuleError::FlagRefused { map_type, flag })
}

/// Pairs of flags that exclude each other wherever both are accepted.
const CONFLICTS: [(MapFlags, MapFlags, &str); 3] = [
    (MapFlags::RDONLY, MapFlags::WRONLY, "a map fd cannot be both read-only and write-only for user space"),
    (
        MapFlags::RDONLY_PROG,
        MapFlags::WRONLY_PROG,
        "a map cannot be both read-only and write-only for programs",
    ),
    (
        MapFlags::NO_COMMON_LRU,
        MapFlags::NUMA_NODE,
        "per-CPU LRU lists (`no_common_lru`) cannot be placed on one NUMA node",
    ),
];

/// The rules about the set of flags as a whole: pairs that exclude each other, and flags the
/// type requires. Single flags are checked by [`check_flag`].
pub const fn check_flag_set(rules: &TypeRules, flags: MapFlags) -> Check {
    let mut i = 0;
    while i < CONFLICTS.len() {
        let (first, second, why) = CONFLICTS[i];
        if flags.contains(first.union(second)) {
            return Err(RuleError::FlagsConflict { first, second, why });
        }
        i += 1;
    }
    let missing = rules.required.difference(flags);
    if !missing.is_empty() {
        return Err(RuleError::FlagRequired { map_type: rules.map_type, flag: missing.lowest() });
    }
    Ok(())
}

/// Every flag alone, then the set, in the order the kernel checks them.
pub const fn check_flags(rules: &TypeRules, flags: MapFlags) -> Check {
    // Hash tables mask their flags with one mask for the whole family and refuse the flags of
    // the other members (`no_common_lru` without LRU, `numa_node` on per-CPU) only after the
    // LRU `no_prealloc` check, so those wait; `token_fd` is resolved after the type's checks.
    let hash_mask = MapFlags::NO_PREALLOC
        .union(MapFlags::NO_COMMON_LRU)
        .union(MapFlags::NUMA_NODE)
        .union(MapFlags::ACCESS)
        .union(MapFlags::ZERO_SEED);
    let hash = is_hash_table(rules.map_type);
    let mut rest = flags.difference(MapFlags::TOKEN_FD);
    let mut deferred = MapFlags::EMPTY;
    let mut lru_no_prealloc = None;
    while !rest.is_empty() {
        let flag = rest.lowest();
        rest = rest.difference(flag);
        match check_flag(rules, flag) {
            Ok(()) => {}
            Err(e @ RuleError::LruNoPrealloc { .. }) => lru_no_prealloc = Some(e),
            Err(_) if hash && hash_mask.contains(flag) => deferred = deferred.union(flag),
            Err(e) => return Err(e),
        }
    }
    if let Some(e) = lru_no_prealloc {
        // `bpf_map_flags_access_ok` is tested with the flag mask, before LRU's ENOTSUPP.
        let (first, second, why) = CONFLICTS[1];
        if flags.contains(first.union(second)) {
            return Err(RuleError::FlagsConflict { first, second, why });
        }
        return Err(e);
    }
    if !deferred.is_empty() {
        return check_flag(rules, deferred.lowest());
    }
    check_flag_set(rules, flags)
}

/// `max_entries`, with the errno of the first rule it breaks. `flags` matter where the
/// kernel adjusts the count (LRU maps with `no_common_lru` round it up to the possible CPUs).
pub const fn check_max_entries(
    rules: &'static TypeRules,
    max_entries: u32,
    flags: MapFlags,
    host: &HostLimits,
) -> Check {
    let errno = match entries_errno(rules, max_entries, flags, host) {
        Some(errno) => errno,
        None => return Ok(()),
    };
    Err(RuleError::MaxEntries { map_type: rules.map_type, max_entries, rule: &rules.max_entries, errno })
}

/// The errno for `max_entries`, or `None` if the type accepts it.
const fn entries_errno(
    rules: &TypeRules,
    max_entries: u32,
    flags: MapFlags,
    host: &HostLimits,
) -> Option<Errno> {
    match rules.max_entries {
        EntriesRule::Range { min, max, over, .. } => {
            if max_entries < min {
                return Some(Errno::EINVAL);
            }
            if max_entries > max {
                return Some(if min == max { Errno::EINVAL } else { over });
            }
        }
        EntriesRule::Buckets { over, .. } => {
            if max_entries == 0 {
                return Some(Errno::EINVAL);
            }
            let mut n = max_entries as u64;
            if flags.contains(MapFlags::NO_COMMON_LRU) && host.possible_cpus > 1 {
                let cpus = host.possible_cpus as u64;
                n = n.div_ceil(cpus) * cpus;
                if n > u32::MAX as u64 {
                    // The kernel rounds down instead when rounding up overflows a u32.
                    n = (max_entries as u64 / cpus) * cpus;
                }
            }
            if n > 1 << 27 {
                return Some(over);
            }
        }
        EntriesRule::Cpus { .. } => {
            if max_entries == 0 {
                return Some(Errno::EINVAL);
            }
            if max_entries > host.nr_cpus {
                return Some(Errno::E2BIG);
            }
        }
        EntriesRule::Exactly { n, .. } => {
            if max_entries != n {
                return Some(Errno::EINVAL);
            }
        }
        EntriesRule::RingSize { .. } => {
            if !max_entries.is_power_of_two() || !max_entries.is_multiple_of(host.page_size) {
                return Some(Errno::EINVAL);
            }
        }
    }
    None
}

/// `key_size` against the type's key rule.
pub const fn check_key(rules: &'static TypeRules, key_size: u32) -> Check {
    match rules.key.check(key_size) {
        Ok(()) => Ok(()),
        Err(_) => Err(RuleError::KeySize { map_type: rules.map_type, size: key_size, rule: &rules.key }),
    }
}

/// `value_size` against the type's value rule and the rules that involve the key or flags.
pub const fn check_value(
    rules: &'static TypeRules,
    key_size: u32,
    value_size: u32,
    flags: MapFlags,
    host: &HostLimits,
) -> Check {
    let map_type = rules.map_type;
    let err = RuleError::ValueSize { map_type, size: value_size, rule: &rules.value };
    if value_size == 0 && !rules.value.is_zero() {
        return Err(err);
    }
    if rules.value.check(value_size).is_err() {
        return Err(err);
    }
    if is_hash_table(map_type)
        && key_size as u64 + value_size as u64 >= (KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) as u64
    {
        return Err(RuleError::HashElementTooLarge { map_type, key_size, value_size });
    }
    if map_type.raw() == MapType::STACK_TRACE.raw() {
        let frame = if flags.contains(MapFlags::STACK_BUILD_ID) { 32 } else { 8 };
        if !value_size.is_multiple_of(frame) || value_size / frame > host.perf_event_max_stack {
            return Err(RuleError::StackTraceDepth {
                value_size,
                frame,
                max_frames: host.perf_event_max_stack,
            });
        }
    }
    Ok(())
}

/// The types that share the hash table's element limit.
pub(super) const fn is_hash_table(map_type: MapType) -> bool {
    matches!(map_type, MapType::HASH | MapType::PERCPU_HASH | MapType::LRU_HASH | MapType::LRU_PERCPU_HASH)
        || map_type.raw() == MapType::HASH_OF_MAPS.raw()
}

/// `map_extra`: the bloom filter's hash count (low 4 bits) or the arena's user address;
/// no other type has one.
pub const fn check_map_extra(
    rules: &'static TypeRules,
    map_extra: u64,
    max_entries: u32,
    host: &HostLimits,
) -> Check {
    let map_type = rules.map_type;
    let (why, errno) = match map_extra_refusal(map_type, map_extra, max_entries, host) {
        Some(refusal) => refusal,
        None => return Ok(()),
    };
    Err(RuleError::MapExtra { map_type, map_extra, why, errno })
}

/// Why `map_extra` is refused, or `None`.
const fn map_extra_refusal(
    map_type: MapType,
    map_extra: u64,
    max_entries: u32,
    host: &HostLimits,
) -> Option<(&'static str, Errno)> {
    if map_type.raw() == MapType::BLOOM_FILTER.raw() {
        if map_extra & !0xf != 0 {
            return Some((
                "`map_extra` of a bloom filter is its number of hash functions: 1 to 15 (0 means 5)",
                Errno::EINVAL,
            ));
        }
    } else if map_type.raw() == MapType::ARENA.raw() {
        if !map_extra.is_multiple_of(host.page_size as u64) {
            return Some((
                "`map_extra` of an arena is the user address to map it at: it must be page-aligned",
                Errno::EINVAL,
            ));
        }
        // u64 arithmetic wraps as the kernel's does (an empty arena is refused elsewhere).
        let end = map_extra.wrapping_add((max_entries as u64 * host.page_size as u64).wrapping_sub(1));
        if map_extra >> 32 != end >> 32 {
            return Some((
                "`map_extra` of an arena is the user address to map it at: the arena must not cross a 4 GiB boundary",
                Errno::ERANGE,
            ));
        }
    } else if map_extra != 0 {
        return Some((
            "`map_extra` is only for `bloom_filter` (hash count) and `arena` (user address)",
            Errno::EINVAL,
        ));
    }
    None
}

/// The name: at most 15 bytes of `[A-Za-z0-9_.]`.
pub const fn check_name(name: &MapName) -> Check {
    if name.len() > 15 {
        return Err(RuleError::NameTooLong { len: name.len() });
    }
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            return Err(RuleError::NameByte { index: i, byte: b });
        }
        i += 1;
    }
    Ok(())
}

/// The inner map template of a map-of-maps, which must itself be valid.
pub const fn check_inner(rules: &TypeRules, inner: Option<&MapDef>, host: &HostLimits) -> Check {
    check_inner_at(rules, inner, host, 0)
}

/// How deep templates are followed: a valid map-of-maps has a template without one, and a
/// static definition may name itself, which must end in an error, not a stack overflow.
const MAX_TEMPLATE_DEPTH: u32 = 2;

/// [`check_inner`] for a definition `depth` templates down.
const fn check_inner_at(rules: &TypeRules, inner: Option<&MapDef>, host: &HostLimits, depth: u32) -> Check {
    let map_of_maps = matches!(rules.creation, Creation::NeedsInner);
    match inner {
        None if map_of_maps => Err(RuleError::InnerMissing { map_type: rules.map_type }),
        None => Ok(()),
        Some(_) if !map_of_maps => Err(RuleError::InnerUnexpected { map_type: rules.map_type }),
        Some(inner) if depth >= MAX_TEMPLATE_DEPTH => {
            Err(RuleError::InnerType { inner: inner.map_type, errno: Errno::EINVAL })
        }
        Some(inner) => {
            // The template is created first, so its own refusal comes first.
            if let Err(e) = validate_at(inner, host, depth + 1) {
                return Err(RuleError::InnerInvalid { inner: inner.map_type, errno: e.errno() });
            }
            match inner.map_type {
                MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS => {
                    Err(RuleError::InnerType { inner: inner.map_type, errno: Errno::EINVAL })
                }
                // bpf_map_meta_alloc: types whose ops have no map_meta_equal cannot be templates.
                MapType::PROG_ARRAY | MapType::CGROUP_STORAGE | MapType::PERCPU_CGROUP_STORAGE => {
                    Err(RuleError::InnerType { inner: inner.map_type, errno: Errno::ENOTSUPP })
                }
                _ => Ok(()),
            }
        }
    }
}

/// `NUMA_NO_NODE`: the kernel reads `numa_node` as an int, and -1 means "no node".
const NUMA_NO_NODE: u32 = u32::MAX;

/// One of a type's checks, in the order `validate` runs them for that type (see [`order`]).
/// The checks that fail with EINVAL are split from the size ceilings (E2BIG, ERANGE), since
/// the kernel tests the former first within one function, and the token and the inner
/// template are steps because `map_create` reaches them between `map_alloc_check` and
/// `map_alloc`.
#[derive(Clone, Copy)]
enum Step {
    /// The flags: the type's mask, the access pairs, required flags, LRU's `no_prealloc`.
    Flags,
    /// `max_entries` of 0.
    EmptyMap,
    /// `key_size` outside the sizes the type has (EINVAL).
    KeyShape,
    /// `value_size` outside the sizes the type has (EINVAL).
    ValueShape,
    /// `map_extra` of a bloom filter or arena that is malformed (EINVAL).
    ExtraShape,
    /// `key_size` over the type's ceiling.
    KeyCeiling,
    /// `value_size` (or key + value) over the type's ceiling.
    ValueCeiling,
    /// Every other rule on `max_entries`.
    Entries,
    /// An arena range that crosses a 4 GiB boundary (ERANGE).
    ExtraCeiling,
    /// `token_fd`: resolved after `map_alloc_check`, before `map_alloc`.
    Token,
    /// The inner map template, read by the map-of-maps' `map_alloc`.
    Inner,
}

use Step::*;

/// The kernel's order of checks, per family of types: one line each, as a table.
#[rustfmt::skip]
mod orders {
    use super::Step::{self, *};

    /// Types checked in `map_alloc_check` (before the token): arrays, fd arrays, queues, storages.
    pub const EARLY: &[Step] = &[
        Flags, EmptyMap, KeyShape, ValueShape, ExtraShape, KeyCeiling,
        ValueCeiling, Entries, ExtraCeiling, Token, Inner,
    ];
    /// Hash tables check everything in `map_alloc_check` but the bucket count, which `map_alloc`
    /// tests after reading the inner template of a `hash_of_maps`.
    pub const HASH: &[Step] = &[
        Flags, EmptyMap, KeyShape, ValueShape, ExtraShape, KeyCeiling,
        ValueCeiling, Token, Inner, Entries, ExtraCeiling,
    ];
    /// Types checked in `map_alloc` only (after the token): stack traces, LPM tries, device, CPU
    /// and socket maps, ring buffers, arenas.
    pub const LATE: &[Step] = &[
        Token, Flags, EmptyMap, KeyShape, ValueShape, ExtraShape,
        KeyCeiling, ValueCeiling, Entries, ExtraCeiling, Inner,
    ];
    /// Cgroup storage tests the key, then the value and its ceiling, then the flags and
    /// `max_entries`, all in `map_alloc`.
    pub const CGROUP_STORAGE: &[Step] = &[
        Token, KeyShape, ValueShape, ValueCeiling, Flags, EmptyMap,
        Entries, ExtraShape, KeyCeiling, ExtraCeiling, Inner,
    ];
    /// Local storage refuses every malformed attribute in one test of `map_alloc_check`, then
    /// a value over its ceiling.
    pub const LOCAL_STORAGE: &[Step] = &[
        Flags, EmptyMap, Entries, KeyShape, ValueShape, ExtraShape,
        KeyCeiling, ValueCeiling, ExtraCeiling, Token, Inner,
    ];
    /// A bloom filter's `map_alloc_check` tests only the value ceiling; the rest is in `map_alloc`.
    pub const BLOOM: &[Step] = &[
        ValueCeiling, Token, Flags, EmptyMap, KeyShape, ValueShape,
        ExtraShape, KeyCeiling, Entries, ExtraCeiling, Inner,
    ];
}

/// The order of `map_type`'s checks.
const fn order(map_type: MapType) -> &'static [Step] {
    match map_type {
        MapType::HASH | MapType::PERCPU_HASH | MapType::LRU_HASH | MapType::LRU_PERCPU_HASH => orders::HASH,
        _ if map_type.raw() == MapType::HASH_OF_MAPS.raw() => orders::HASH,
        MapType::ARRAY | MapType::PERCPU_ARRAY | MapType::PROG_ARRAY | MapType::PERF_EVENT_ARRAY => {
            orders::EARLY
        }
        MapType::CGROUP_ARRAY | MapType::ARRAY_OF_MAPS | MapType::REUSEPORT_SOCKARRAY => orders::EARLY,
        MapType::QUEUE | MapType::STACK | MapType::STRUCT_OPS | MapType::INSN_ARRAY => orders::EARLY,
        MapType::SK_STORAGE | MapType::INODE_STORAGE | MapType::TASK_STORAGE | MapType::CGRP_STORAGE => {
            orders::LOCAL_STORAGE
        }
        MapType::CGROUP_STORAGE | MapType::PERCPU_CGROUP_STORAGE => orders::CGROUP_STORAGE,
        MapType::BLOOM_FILTER => orders::BLOOM,
        _ => orders::LATE,
    }
}

/// `r` if it fails with EINVAL (a malformed attribute), else `Ok`.
const fn shape(r: Check) -> Check {
    match r {
        Err(e) if e.errno().raw() == Errno::EINVAL.raw() => Err(e),
        _ => Ok(()),
    }
}

/// `r` if it fails with another errno than EINVAL (a ceiling), else `Ok`.
const fn ceiling(r: Check) -> Check {
    match r {
        Err(e) if e.errno().raw() != Errno::EINVAL.raw() => Err(e),
        _ => Ok(()),
    }
}

/// Every rule, in the kernel's order; see [`MapDef::validate_on`].
pub(super) const fn validate(def: &MapDef, host: &HostLimits) -> Check {
    validate_at(def, host, 0)
}

/// [`validate`] for a definition `depth` templates down.
const fn validate_at(def: &MapDef, host: &HostLimits, depth: u32) -> Check {
    check!(check_btf_object(def));
    let mut flags = def.flags;
    // map_create's generic checks come before it looks at the type.
    if def.map_extra != 0
        && def.map_type.raw() != MapType::BLOOM_FILTER.raw()
        && def.map_type.raw() != MapType::ARENA.raw()
    {
        if let Some(rules) = def.map_type.rules() {
            return check_map_extra(rules, def.map_extra, def.max_entries, host);
        }
        return Err(RuleError::UnknownType { raw: def.map_type.raw() });
    }
    if flags.contains(MapFlags::RDONLY.union(MapFlags::WRONLY)) {
        let (first, second, why) = CONFLICTS[0];
        return Err(RuleError::FlagsConflict { first, second, why });
    }
    // `numa_node` -1 with the flag names no node: no node to be online, and hash tables and
    // per-CPU arrays, which refuse a node rather than the flag, take it as if the flag were
    // absent (`numa_node != NUMA_NO_NODE && percpu` in htab_map_alloc_check and
    // array_map_alloc_check).
    let no_node = flags.contains(MapFlags::NUMA_NODE) && def.numa_node == NUMA_NO_NODE;
    if flags.contains(MapFlags::NUMA_NODE) && !no_node && !host.numa_node_online(def.numa_node) {
        return Err(RuleError::NumaNode { node: def.numa_node });
    }
    let rules = match check_type(def.map_type) {
        Ok(rules) => rules,
        Err(e) => return Err(e),
    };
    check!(check_standalone(rules));
    // Local storage refuses a map without type ids in `map_alloc_check`, with every other
    // attribute's EINVAL (E2BIG for a large value comes after).
    if matches!(rules.creation, Creation::NeedsTypes) && (def.key_type.is_none() || def.value_type.is_none())
    {
        return Err(RuleError::TypesMissing { map_type: def.map_type });
    }
    if no_node && (is_hash_table(def.map_type) || def.map_type.raw() == MapType::PERCPU_ARRAY.raw()) {
        flags = flags.difference(MapFlags::NUMA_NODE);
    }
    let entries = check_max_entries(rules, def.max_entries, flags, host);
    let key = check_key(rules, def.key_size);
    let value = check_value(rules, def.key_size, def.value_size, flags, host);
    let extra = check_map_extra(rules, def.map_extra, def.max_entries, host);
    let steps = order(def.map_type);
    let mut i = 0;
    while i < steps.len() {
        check!(match steps[i] {
            Flags => check_flags(rules, flags),
            EmptyMap if def.max_entries == 0 => entries,
            EmptyMap => Ok(()),
            KeyShape => shape(key),
            ValueShape => shape(value),
            ExtraShape => shape(extra),
            KeyCeiling => ceiling(key),
            ValueCeiling => ceiling(value),
            Entries => entries,
            ExtraCeiling => ceiling(extra),
            Token if flags.contains(MapFlags::TOKEN_FD) => Err(RuleError::TokenFd),
            Token => Ok(()),
            Inner => check_inner_at(rules, def.inner, host, depth),
        });
        i += 1;
    }
    // map_create copies the name after map_alloc, then checks the BTF.
    check!(check_name(&def.name));
    check_types(rules, def)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(possible_cpus: u32) -> HostLimits {
        HostLimits { possible_cpus, ..HostLimits::ASSUMED }
    }

    fn lru(max_entries: u32, flags: MapFlags) -> MapDef {
        MapDef::new(MapType::LRU_HASH, 4, 8, max_entries).with_flags(flags)
    }

    /// `no_common_lru` rounds `max_entries` up to a multiple of the possible CPUs before the
    /// bucket limit (2^27) applies: with 3 CPUs, 2^27 - 1 becomes 2^27 + 1 and is refused,
    /// while 2^27 - 2 (a multiple of 3) stays and passes. Without the flag, or with one CPU,
    /// nothing is rounded.
    #[test]
    fn no_common_lru_rounds_up_before_the_bucket_limit() {
        let limit = 1u32 << 27;
        let refused = lru(limit - 1, MapFlags::NO_COMMON_LRU).validate_on(&host(3));
        assert!(matches!(refused, Err(RuleError::MaxEntries { errno: Errno::E2BIG, .. })), "{refused:?}");
        assert_eq!(lru(limit - 2, MapFlags::NO_COMMON_LRU).validate_on(&host(3)), Ok(()));
        assert_eq!(lru(limit - 1, MapFlags::EMPTY).validate_on(&host(3)), Ok(()));
        assert_eq!(lru(limit - 1, MapFlags::NO_COMMON_LRU).validate_on(&host(1)), Ok(()));
        assert_eq!(lru(limit, MapFlags::NO_COMMON_LRU).validate_on(&host(2)), Ok(()));
        // Rounding up past u32::MAX rounds down instead, as the kernel does: still refused.
        let huge = lru(u32::MAX, MapFlags::NO_COMMON_LRU).validate_on(&host(2));
        assert!(matches!(huge, Err(RuleError::MaxEntries { errno: Errno::E2BIG, .. })), "{huge:?}");
    }

    /// A map that needs its BTF refuses a type BTF cannot describe (before the map is made
    /// without it); a map that can go without BTF takes it, and goes without.
    #[test]
    fn a_type_btf_cannot_describe_is_refused_where_the_btf_is_needed() {
        use crate::btf::{Member, U32, U64};
        static OUT_OF_ORDER: TypeDesc = TypeDesc::Struct {
            name: "Stats",
            size: 16,
            members: &[Member { name: "b", offset: 8, ty: &U64 }, Member { name: "a", offset: 0, ty: &U64 }],
        };
        let with = |map_type, flags| {
            let mut def = MapDef::new(map_type, 4, 16, 0).with_flags(flags);
            (def.key_type, def.value_type) = (Some(&U32), Some(&OUT_OF_ORDER));
            def
        };
        let storage = with(MapType::TASK_STORAGE, MapFlags::NO_PREALLOC).validate();
        assert!(
            matches!(storage, Err(RuleError::TypeDescription { subject: Subject::Value, .. })),
            "{storage:?}"
        );
        let message = storage.unwrap_err().to_string();
        assert!(message.contains("the value type's description is not valid BTF"), "{message}");
        let mut hash = with(MapType::HASH, MapFlags::EMPTY);
        hash.max_entries = 8;
        assert_eq!(hash.validate(), Ok(()));
    }

    /// A definition that names itself as its template is refused after one level, not by a
    /// stack overflow; comparing, hashing and printing it end too.
    #[test]
    fn a_definition_that_is_its_own_template_is_refused() {
        static SELF: MapDef = MapDef::new(MapType::ARRAY_OF_MAPS, 4, 4, 1).with_inner(&SELF);
        assert!(matches!(SELF.validate(), Err(RuleError::InnerInvalid { errno: Errno::EINVAL, .. })));
        assert_eq!(SELF, SELF);
        let _ = format!("{SELF:?}");
        use core::hash::Hash;
        SELF.hash(&mut std::collections::hash_map::DefaultHasher::new());
    }
}
