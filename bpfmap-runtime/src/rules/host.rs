//! `HostLimits`: the few rules that depend on the running kernel's build and settings.

#[cfg(feature = "runtime")]
use std::sync::OnceLock;

/// The limits of `BPF_MAP_CREATE` that only the running kernel knows.
///
/// Compile-time checks use [`HostLimits::ASSUMED`]; the runtime reads the real values once
/// ([`HostLimits::current`]) and validates against them before every `BPF_MAP_CREATE`. This
/// struct is the complete list of kernel-dependent rules: a definition that
/// [`MapDef::validate`](crate::MapDef::validate) accepts but the running kernel refuses is
/// refused because of one of these fields, or because the kernel lacks the type or flag
/// (see `bpfmap::probe`), or for lack of privilege or memory.
///
/// ```
/// use bpfmap::{HostLimits, MapDef, MapType};
///
/// let host = HostLimits::current();                     // read once from this machine
/// println!("{} possible CPUs, {}-byte pages", host.possible_cpus, host.page_size);
/// let ring = MapDef::new(MapType::RINGBUF, 0, 0, 3 * host.page_size);
/// assert!(ring.validate_on(host).is_err(), "a ring is a power of two of pages");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostLimits {
    /// The page size: ring buffers are a multiple of it, arenas count in it.
    pub page_size: u32,
    /// `CONFIG_NR_CPUS`, the most CPUs the kernel supports: a `cpumap`'s `max_entries` limit.
    pub nr_cpus: u32,
    /// The number of possible CPUs, for the rules that involve it: LRU maps with
    /// `no_common_lru` round `max_entries` up to a multiple of it, and a `perf_event_array`
    /// declared without `max_entries` gets one entry per possible CPU. 1 where the CPU list
    /// cannot be read, which those rules survive; buffers are never sized by this field but
    /// by [`possible_cpus`](crate::possible_cpus), which fails instead of assuming.
    pub possible_cpus: u32,
    /// `kernel.perf_event_max_stack`: the most frames a `stack_trace` value may hold.
    pub perf_event_max_stack: u32,
    /// The online NUMA nodes 0 to 63, one bit each (nodes above 63 count as offline).
    pub numa_online: u64,
}

impl HostLimits {
    /// The kernel's defaults, where a rule cannot be known before run time: 4 KiB pages, the
    /// default `perf_event_max_stack` (127); unknown limits (`CONFIG_NR_CPUS`, NUMA nodes)
    /// are taken as accepting everything, so that compile-time checks never refuse a
    /// definition some kernel accepts.
    pub const ASSUMED: HostLimits = HostLimits {
        page_size: 4096,
        nr_cpus: u32::MAX,
        possible_cpus: 1,
        perf_event_max_stack: 127,
        numa_online: u64::MAX,
    };

    /// The limits of this host, read once from `/sys` and `/proc`; where a file cannot be read
    /// the assumed value stands.
    #[cfg(feature = "runtime")]
    pub fn current() -> &'static HostLimits {
        static CURRENT: OnceLock<HostLimits> = OnceLock::new();
        CURRENT.get_or_init(HostLimits::read)
    }

    #[cfg(feature = "runtime")]
    fn read() -> HostLimits {
        let assumed = HostLimits::ASSUMED;
        let read = |path: &str| std::fs::read_to_string(path).ok();
        // SAFETY: sysconf has no preconditions.
        let page_size = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            n if n > 0 => n as u32,
            _ => assumed.page_size,
        };
        let nr_cpus = read("/sys/devices/system/cpu/kernel_max")
            .and_then(|s| s.trim().parse::<u32>().ok())
            .map_or(assumed.nr_cpus, |max| max + 1);
        let possible_cpus = crate::possible_cpus()
            .map_or(assumed.possible_cpus, |cpus| u32::try_from(cpus).unwrap_or(u32::MAX));
        let perf_event_max_stack = read("/proc/sys/kernel/perf_event_max_stack")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(assumed.perf_event_max_stack);
        // Without /sys/devices/system/node the kernel has no NUMA support: node 0 only.
        let numa_online = match read("/sys/devices/system/node/online") {
            Some(list) => cpu_list_bits(&list).unwrap_or(1),
            None => 1,
        };
        HostLimits { page_size, nr_cpus, possible_cpus, perf_event_max_stack, numa_online }
    }

    /// Whether NUMA node `node` is online.
    pub const fn numa_node_online(&self, node: u32) -> bool {
        node < 64 && self.numa_online & (1 << node) != 0
    }
}

/// Parses a kernel CPU or node list (`0-3,8,10-11`) into its ranges.
pub(crate) fn cpu_list(list: &str) -> Option<Vec<(u32, u32)>> {
    list.trim()
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('-') {
            Some((lo, hi)) => Some((lo.parse().ok()?, hi.parse().ok()?)),
            None => part.parse().ok().map(|n| (n, n)),
        })
        .collect()
}

/// The number of entries in a kernel CPU list.
pub(crate) fn cpu_list_len(list: &str) -> Option<u32> {
    cpu_list(list)?.iter().map(|&(lo, hi)| hi.checked_sub(lo).map(|d| d + 1)).sum()
}

fn cpu_list_bits(list: &str) -> Option<u64> {
    let mut bits = 0u64;
    for (lo, hi) in cpu_list(list)? {
        for n in lo..=hi.min(63) {
            bits |= 1 << n;
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_list_len("0-1\n"), Some(2));
        assert_eq!(cpu_list_len("0,2-7"), Some(7));
        assert_eq!(cpu_list_len("0"), Some(1));
        assert_eq!(cpu_list_len("3-1"), None);
        assert_eq!(cpu_list_len("x"), None);
        assert_eq!(cpu_list_bits("0,2-3"), Some(0b1101));
    }
}
