//! `validate`: the kernel's checks of `BPF_MAP_CREATE`, in the kernel's order, as `const fn`s.
//!
//! The order follows `map_create` in `kernel/bpf/syscall.c` (generic checks, then the type's
//! `map_alloc_check`/`map_alloc`, then the name), so that when a definition breaks several rules
//! the errno reported is the one the kernel returns. Each piece is public so the macro can check
//! what the tokens show, one attribute at a time, with the same code.

use crate::Errno;

use super::table::{EntriesRule, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE};
use super::{Creation, HostLimits, MapDef, MapFlags, MapName, MapType, RuleError, TypeRules};

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

/// Whether the type can be created from a definition alone (no BTF).
pub const fn check_standalone(rules: &TypeRules) -> Check {
    match rules.creation {
        Creation::NeedsBtf { why } => Err(RuleError::NotStandalone { map_type: rules.map_type, why }),
        _ => Ok(()),
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
const fn is_hash_table(map_type: MapType) -> bool {
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
        let end = map_extra.wrapping_add(max_entries as u64 * host.page_size as u64 - 1);
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
    let map_of_maps = matches!(rules.creation, Creation::NeedsInner);
    match inner {
        None if map_of_maps => Err(RuleError::InnerMissing { map_type: rules.map_type }),
        None => Ok(()),
        Some(_) if !map_of_maps => Err(RuleError::InnerUnexpected { map_type: rules.map_type }),
        Some(inner) => {
            if let Err(e) = inner.validate_on(host) {
                return Err(RuleError::InnerInvalid { inner: inner.map_type, errno: e.errno() });
            }
            match inner.map_type {
                MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS => {
                    Err(RuleError::InnerType { inner: inner.map_type, errno: Errno::EINVAL })
                }
                MapType::PROG_ARRAY => {
                    Err(RuleError::InnerType { inner: inner.map_type, errno: Errno::ENOTSUPP })
                }
                _ => Ok(()),
            }
        }
    }
}

/// Every rule, in the kernel's order; see [`MapDef::validate_on`].
pub(super) const fn validate(def: &MapDef, host: &HostLimits) -> Check {
    let flags = def.flags;
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
    if flags.contains(MapFlags::NUMA_NODE) && !host.numa_node_online(def.numa_node) {
        return Err(RuleError::NumaNode { node: def.numa_node });
    }
    let rules = match check_type(def.map_type) {
        Ok(rules) => rules,
        Err(e) => return Err(e),
    };
    check!(check_standalone(rules));
    // The type's own checks: flags, then an empty map, then sizes, then limits.
    check!(check_flags(rules, flags));
    let entries = check_max_entries(rules, def.max_entries, flags, host);
    if let Err(e) = entries
        && def.max_entries == 0
    {
        return Err(e);
    }
    check!(check_key(rules, def.key_size));
    check!(check_value(rules, def.key_size, def.value_size, flags, host));
    check!(entries);
    check!(check_map_extra(rules, def.map_extra, def.max_entries, host));
    check!(check_inner(rules, def.inner, host));
    if flags.contains(MapFlags::TOKEN_FD) {
        return Err(RuleError::TokenFd);
    }
    check_name(&def.name)
}
