//! Whether a map that exists (pinned, or opened by id) matches a definition, field by field.

use core::fmt;

use crate::rules::{HostLimits, MapDef, MapFlags, MapType};
use crate::{Error, Map, MapInfo};

/// One field where an existing map differs from its definition.
///
/// ```no_run
/// use bpfmap::Error;
///
/// if let Err(Error::PinMismatch { path, diffs, .. }) = bpfmap::load() {
///     for diff in &diffs {
///         eprintln!("{}: {} declared {}, pinned {}", path.display(), diff.field, diff.declared, diff.found);
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// The field: `type`, `key_size`, `value_size`, `max_entries`, `flags`, `map_extra`,
    /// `inner` (then `declared` names the inner map's field too: `value_size 4`), or `key` and
    /// `value` for layouts that differ where both sides have BTF (then `declared` names the
    /// first differing member: `FlowKey.sport u16 at 8`).
    pub field: &'static str,
    /// What the definition says.
    pub declared: String,
    /// What the kernel reports of the existing map.
    pub found: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: declared {}, pinned {}", self.field, self.declared, self.found)
    }
}

/// The flags the kernel reports for a map created with `flags`: it keeps no fd-access flags
/// (`rdonly`, `wronly` belong to the fd, not the map) and forces `rdonly_prog` on device maps.
fn reported_flags(map_type: MapType, flags: MapFlags) -> MapFlags {
    let mut kept = flags.difference(MapFlags::RDONLY.union(MapFlags::WRONLY)).difference(MapFlags::TOKEN_FD);
    if map_type == MapType::DEVMAP || map_type == MapType::DEVMAP_HASH {
        kept |= MapFlags::RDONLY_PROG;
    }
    kept
}

/// The `max_entries` the kernel reports for a definition: LRU maps with `no_common_lru`
/// round it up to a multiple of the possible CPUs; a `perf_event_array`'s 0 is the CPU count.
fn reported_max_entries(def: &MapDef, host: &HostLimits) -> u32 {
    let def = def.resolve_for(host);
    let lru = def.map_type == MapType::LRU_HASH || def.map_type == MapType::LRU_PERCPU_HASH;
    if lru && def.flags.contains(MapFlags::NO_COMMON_LRU) {
        let cpus = host.possible_cpus.max(1);
        return def.max_entries.checked_next_multiple_of(cpus).unwrap_or(def.max_entries / cpus * cpus);
    }
    def.max_entries
}

impl MapDef {
    /// The definition as the kernel reports it back (`BPF_OBJ_GET_INFO_BY_FD`) once created on
    /// `host`: `max_entries` resolved and rounded as the kernel does, and the flags it keeps.
    /// A pinned map is compatible with a declaration when they agree on this.
    pub fn as_reported(&self, host: &HostLimits) -> MapDef {
        let mut def = self.resolve_for(host);
        def.max_entries = reported_max_entries(self, host);
        def.flags = reported_flags(self.map_type, self.flags);
        def
    }
}

/// `none` rather than the table's `-`, which reads as a typo in "declared -, pinned ...".
fn flags_text(flags: MapFlags) -> String {
    if flags.is_empty() { "none".to_string() } else { flags.to_string() }
}

/// Every field where `info` differs from what the kernel would report for `def`: the fields
/// that decide how the map's keys and values are read and written. Not the name: it is a
/// label (a map created without one reports none), and libbpf does not compare it either.
pub(crate) fn diff(def: &MapDef, info: &MapInfo, host: &HostLimits) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    let mut check = |field, declared: String, found: String| {
        if declared != found {
            diffs.push(FieldDiff { field, declared, found });
        }
    };
    check("type", def.map_type.to_string(), info.map_type.to_string());
    check("key_size", def.key_size.to_string(), info.key_size.to_string());
    check("value_size", def.value_size.to_string(), info.value_size.to_string());
    let reported = def.as_reported(host);
    check("max_entries", reported.max_entries.to_string(), info.max_entries.to_string());
    check("flags", flags_text(reported.flags), flags_text(info.flags));
    check("map_extra", def.map_extra.to_string(), info.map_extra.to_string());
    diffs
}

/// Every field where the existing map `map` differs from `def`, the inner map of a
/// map-of-maps included: the check before the loader reuses a pin and before
/// [`Map::adopt`] hands out a declared map.
pub(crate) fn diff_map(map: &Map, def: &MapDef, host: &HostLimits) -> Result<Vec<FieldDiff>, Error> {
    let info = map.info()?;
    let mut diffs = diff(def, &info, host);
    let of_maps = info.map_type == MapType::ARRAY_OF_MAPS || info.map_type == MapType::HASH_OF_MAPS;
    if let (Some(inner), true) = (def.inner, of_maps) {
        diffs.extend(diff_inner(map, info.key_size, inner, host)?);
    }
    if diffs.is_empty() {
        diffs.extend(diff_types(map, def)?);
    }
    Ok(diffs)
}

/// Where the existing map was created with BTF and the definition has types: the first field
/// where the key's and value's layouts differ (`key: declared FlowKey.sport u16 at 8, pinned
/// u32 at 8`). Sizes that agree say nothing of what the bytes mean; the layouts do.
///
/// The map's BTF is opened by id, which the kernel allows only with `CAP_SYS_ADMIN`: a process
/// that may use the map but not read its BTF compares what it can (type, sizes, flags), as it
/// did before maps had BTF, rather than being refused the map.
fn diff_types(map: &Map, def: &MapDef) -> Result<Vec<FieldDiff>, Error> {
    if def.key_type.is_none() && def.value_type.is_none() {
        return Ok(Vec::new());
    }
    let Ok(Some(found)) = map.btf() else { return Ok(Vec::new()) };
    let mut diffs = Vec::new();
    for (field, declared, id) in [("key", def.key_type, found.key), ("value", def.value_type, found.value)] {
        if let (Some(declared), true) = (declared, id != 0)
            && let Some(d) = crate::btf::diff_layout(declared, &found.btf, id)
        {
            // `FlowKey.sport u16 at 8`; for a whole type, its name once (`u64`, not `u64 u64`).
            let declared = if d.declared.starts_with(&d.path) {
                d.declared
            } else {
                format!("{} {}", d.path, d.declared)
            };
            diffs.push(FieldDiff { field, declared, found: d.found });
        }
    }
    Ok(diffs)
}

/// The inner template of a map-of-maps cannot be read back; the maps it holds can, and the
/// kernel admitted each of them only if it matched the template. Compares the first one
/// found with the declared template. An empty map-of-maps shows nothing to compare: the
/// kernel then checks each map put in it.
fn diff_inner(
    outer: &Map,
    key_size: u32,
    inner: &MapDef,
    host: &HostLimits,
) -> Result<Vec<FieldDiff>, Error> {
    let mut key = vec![0u8; key_size as usize];
    let mut next = vec![0u8; key_size as usize];
    let mut first = true;
    let held = loop {
        let from = if first { core::ptr::null() } else { key.as_ptr() };
        first = false;
        // SAFETY: `key` and `next` have the key size; a null start asks for the first key.
        let more = unsafe { crate::sys::next_key(outer.fd(), from, next.as_mut_ptr()) }
            .map_err(|errno| outer.error(crate::error::Op::NextKey, errno))?;
        if !more {
            return Ok(Vec::new());
        }
        core::mem::swap(&mut key, &mut next);
        let mut id = 0u32;
        // An array of maps lists every index, held or not: an empty slot reads as absent, and
        // the search goes on.
        // SAFETY: `key` is a whole key; the value of a map-of-maps lookup is a 4-byte id.
        let found =
            unsafe { crate::sys::lookup(outer.fd(), key.as_ptr(), &mut id as *mut u32 as *mut u8, 0) }
                .map_err(|errno| outer.error(crate::error::Op::Lookup, errno))?;
        if found {
            match Map::from_id(id) {
                Ok(map) => break map.info()?,
                // Removed (and freed) since the lookup: look further.
                Err(Error::Open { errno: crate::Errno::ENOENT, .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    };
    Ok(inner_misfit(inner, &held, host)
        .into_iter()
        .map(|d| FieldDiff {
            field: "inner",
            declared: format!("{} {}", d.field, d.declared),
            found: d.found,
        })
        .collect())
}

/// Where `candidate` differs from the inner `template` of a map-of-maps in what the kernel
/// compares before it admits a map (`bpf_map_meta_equal`): type, sizes and flags, and
/// `max_entries` only for an array template without `inner_map`.
pub(crate) fn inner_misfit(template: &MapDef, candidate: &MapInfo, host: &HostLimits) -> Vec<FieldDiff> {
    let sized = template.map_type == MapType::ARRAY && !template.flags.contains(MapFlags::INNER_MAP);
    diff(template, candidate, host).into_iter().filter(|d| sized || d.field != "max_entries").collect()
}
