//! What the running kernel supports, found by trying it (not by reading its version).
//!
//! Each probe creates a minimal map and closes it at once; results are kept for the life of
//! the process.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::map::Map;
use crate::map_btf::MapsBtf;
use crate::rules::{Creation, EntriesRule, HostLimits, MapDef, MapFlags, MapType, SizeRule, TypeRules};
use crate::sys;
use crate::token::Token;
use crate::{Errno, Error, KernelVersion};

/// The smallest definition of a type that the rule book accepts (with `flags` added), or
/// `None` for types that cannot be created standalone. Local storage gets the types it needs
/// (a `u32` fd key and a `u64` value).
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
    match rules.creation {
        Creation::NeedsInner => def = def.with_inner(&TEMPLATE),
        Creation::NeedsTypes => def = def.with_types::<u32, u64>(),
        _ => {}
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
    map_flag_via(map_type, flag, None)
}

/// [`map_flag`], its probe made through `token` if given (as the maps whose refusal it
/// explains were). What the kernel supports does not depend on the token: one cache serves
/// both.
pub(crate) fn map_flag_via(map_type: MapType, flag: MapFlags, token: Option<&Token>) -> Result<bool, Error> {
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
    // Types the kernel takes only with BTF (local storage) are probed with it, as created.
    let btf = MapsBtf::load([&def], token);
    if let Some(missing) = btf.missing_for(&def, None) {
        return match missing {
            // A kernel without BTF, or without BTF for this map type.
            Error::Btf { .. } => Ok(false),
            refused => Err(refused),
        };
    }
    let supported = match Map::create_fd(&def, btf.ids(0), token) {
        Ok(_) => true,
        Err(Errno::EINVAL | Errno::ENOTSUPP | Errno::EOPNOTSUPP) => false,
        Err(errno) => return Err(Error::create(&def, None, errno, token)),
    };
    cache.lock().unwrap_or_else(|e| e.into_inner()).push((map_type, flag, supported));
    Ok(supported)
}

/// Whether the kernel charges map memory to `RLIMIT_MEMLOCK` (kernels before 5.11, which lack
/// memory-cgroup accounting of BPF). Cached.
///
/// Found as libbpf finds it, without touching the process: 5.11 added memory-cgroup accounting
/// and the helper `bpf_ktime_get_coarse_ns` together, so a two-instruction program that calls
/// the helper loads exactly on kernels that do not charge memlock. Where the process may not
/// load programs, the kernel's release (`uname`) decides.
pub fn memlock_charged() -> bool {
    static CHARGED: OnceLock<bool> = OnceLock::new();
    *CHARGED.get_or_init(|| {
        // call bpf_ktime_get_coarse_ns (helper 160); exit.
        const PROGRAM: [u64; 2] = [0x0000_00a0_0000_0085, 0x0000_0000_0000_0095];
        match sys::prog_load_socket_filter(&PROGRAM) {
            Ok(_) => false,
            // An unknown helper: a kernel before 5.11.
            Err(Errno::EINVAL) => true,
            // Not allowed to load programs: the release tells.
            Err(_) => kernel_release().is_some_and(|release| release < KernelVersion::new(5, 11)),
        }
    })
}

/// The running kernel's `major.minor`, from `uname`.
pub(crate) fn kernel_release() -> Option<KernelVersion> {
    // SAFETY: utsname is plain bytes; uname fills it.
    let mut uts: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: `uts` is a valid utsname to write.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return None;
    }
    let release: Vec<u8> = uts.release.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    let release = std::str::from_utf8(&release).ok()?;
    let mut numbers = release.split(|c: char| !c.is_ascii_digit()).map(str::parse::<u8>);
    Some(KernelVersion::new(numbers.next()?.ok()?, numbers.next()?.ok()?))
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
