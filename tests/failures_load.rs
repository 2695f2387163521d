//! A `load()` that fails leaves nothing behind, a thousand times over. Its own binary: every
//! `#[bpf_map]` of a test binary is in that binary's registry.

mod support;

use bpfmap::{Error, HostLimits, RuleError, bpf_map};

#[bpf_map(type = "hash", max_entries = 64, name = "lf_ok")]
struct Created {
    key: u32,
    value: u64,
}

/// Valid for the rule book at compile time, refused on this host: more CPUs than the kernel
/// supports (CONFIG_NR_CPUS), which only the running kernel knows. Created after `Created`.
#[bpf_map(type = "cpumap", max_entries = 1000000, name = "lf_cpus")]
struct TooManyCpus {
    key: u32,
    value: u32,
}

#[test]
fn a_thousand_failed_loads_leave_no_fd_and_no_map_behind() {
    require_kernel!();
    assert!(HostLimits::current().nr_cpus < 1_000_000);
    let before = support::open_fds();
    for _ in 0..1_000 {
        match bpfmap::load() {
            Err(Error::Invalid { map, rule: RuleError::MaxEntries { max_entries: 1_000_000, .. } }) => {
                assert_eq!(map.name, "lf_cpus");
                assert_eq!(map.declared.map(|d| d.rust_name), Some("TooManyCpus"));
            }
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("a cpumap of a million CPUs was accepted"),
        }
    }
    assert_eq!(support::open_fds(), before);
}
