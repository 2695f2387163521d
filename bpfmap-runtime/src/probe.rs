//! What the running kernel supports, found by trying it (not by reading its version).
//!
//! Each probe creates a minimal map and closes it at once; results are kept for the life of
//! the process.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::map::Map;
use crate::rules::{Creation, EntriesRule, HostLimits, MapDef, MapFlags, MapType, SizeRule, TypeRules};
use crate::{Errno, Error};

/// The smallest definition of a type that the rule book accepts (with `flags` added), or
/// `None` for types that cannot be created standalone.
pub fn minimal_def(map_type: MapType, flags: MapFlags) -> Option<MapDef> {
    static TEMPLATE: MapDef = MapDef::new(MapType::ARRAY, 4, 4, 1);
    let rules: &TypeRules = map_type.rules()?;
    if matches!(rules.creation, Creation::NeedsBtf { .. }) {
        return None;
    }
    let size = |rule: SizeRule, floor: u32| match rule {
        SizeRule::Zero { .. } => 0,
        SizeRule::Exactly { size, .. } => size,
        SizeRule::Either { a, .. } => a,
        SizeRule::Range { min, max, .. } => floor.clamp(min, max),
    };
    let host = HostLimits::current();
    let max_entries = match rules.max_entries {
        EntriesRule::Range { max: 0, .. } => 0,
        EntriesRule::Range { min, .. } => min.max(1),
        EntriesRule::Buckets { .. } | EntriesRule::Cpus { .. } => 1,
        EntriesRule::Exactly { n, .. } => n,
        EntriesRule::RingSize { .. } => host.page_size,
    };
    // An LPM key needs a data byte after the prefix length; stack traces hold whole frames.
    let mut def = MapDef::new(map_type, size(rules.key, 4), size(rules.value, 8), max_entries)
        .with_flags(rules.required.union(flags));
    if flags.contains(MapFlags::NUMA_NODE) {
        def = def.with_numa_node(0);
    }
    if matches!(rules.creation, Creation::NeedsInner) {
        def = def.with_inner(&TEMPLATE);
    }
    Some(def)
}

/// Whether the running kernel can create maps of `map_type` (`Ok(false)` if it refuses with
/// `EINVAL`, as kernels that predate the type do). Cached.
///
/// # Errors
/// [`Error::Create`] when the probe itself is refused for another reason (no privilege).
///
/// ```no_run
/// use bpfmap::{MapType, probe};
/// if !probe::map_type(MapType::RINGBUF)? {
///     eprintln!("no ring buffers before Linux 5.8; falling back to perf buffers");
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub fn map_type(map_type: MapType) -> Result<bool, Error> {
    map_flag(map_type, MapFlags::EMPTY)
}

/// Whether the running kernel accepts `flag` on maps of `map_type` (which the rule book says
/// it should). Cached.
pub fn map_flag(map_type: MapType, flag: MapFlags) -> Result<bool, Error> {
    static CACHE: OnceLock<Mutex<Vec<(MapType, MapFlags, bool)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(&(_, _, known)) =
        cache.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(t, f, _)| *t == map_type && *f == flag)
    {
        return Ok(known);
    }
    let Some(def) = minimal_def(map_type, flag) else { return Ok(false) };
    if def.validate_on(HostLimits::current()).is_err() {
        return Ok(false);
    }
    let supported = match Map::create_fd(&def) {
        Ok(_) => true,
        Err(Errno::EINVAL | Errno::ENOTSUPP | Errno::EOPNOTSUPP) => false,
        Err(errno) => return Err(Error::create(&def, None, errno)),
    };
    cache.lock().unwrap_or_else(|e| e.into_inner()).push((map_type, flag, supported));
    Ok(supported)
}

/// Whether the kernel charges map memory to `RLIMIT_MEMLOCK` (kernels before 5.11, which lack
/// memory-cgroup accounting of BPF). Found by creating a small map with the limit at 0: a
/// kernel that charges memlock refuses it. Cached.
pub fn memlock_charged() -> bool {
    static CHARGED: OnceLock<bool> = OnceLock::new();
    *CHARGED.get_or_init(|| {
        let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit.
        if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut old) } != 0
            || old.rlim_cur == libc::RLIM_INFINITY
        {
            // Nothing to learn: an unlimited process is never refused for memlock.
            return false;
        }
        let def = MapDef::new(MapType::ARRAY, 4, 8, 1);
        let zero = libc::rlimit { rlim_cur: 0, rlim_max: old.rlim_max };
        // SAFETY: setrlimit reads one rlimit; lowering the soft limit is always allowed.
        unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &zero) };
        let at_zero = Map::create_fd(&def);
        // SAFETY: restores the soft limit read above.
        unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &old) };
        match at_zero {
            Ok(_) => false,
            // EPERM at limit 0 but success with the old limit: memlock was the reason.
            Err(Errno::EPERM) => Map::create_fd(&def).is_ok(),
            Err(_) => false,
        }
    })
}

/// The outcome of the last attempt to raise `RLIMIT_MEMLOCK` (errno, or 0 for success; -1
/// before any), for error messages.
static MEMLOCK_RAISE: AtomicI32 = AtomicI32::new(-1);

/// Raises `RLIMIT_MEMLOCK` to unlimited; `Err` with the errno if the process may not.
pub(crate) fn raise_memlock() -> Result<(), Errno> {
    let unlimited = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: setrlimit reads one rlimit.
    let result = if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) } != 0 {
        Err(Errno::last())
    } else {
        Ok(())
    };
    MEMLOCK_RAISE.store(result.map_or_else(|e| e.raw(), |()| 0), Ordering::Relaxed);
    result
}

/// Why raising `RLIMIT_MEMLOCK` failed, if the loader tried and failed.
pub(crate) fn memlock_raise_error() -> Option<Errno> {
    match MEMLOCK_RAISE.load(Ordering::Relaxed) {
        -1 | 0 => None,
        errno => Some(Errno::from_raw(errno)),
    }
}
