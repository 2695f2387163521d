//! `load()` when a declaration that compiled cannot be created on this host: the error names
//! that map, and the maps created before it are closed. Its own test binary, because `load()`
//! creates every declaration of the binary and stops at the first failure.

mod support;

use bpfmap::{Errno, Error, Location, MapDecl, MapType, RuleError, bpf_map};

#[bpf_map(type = "hash", max_entries = 16, name = "lf_first")]
struct First {
    key: u32,
    value: u32,
}

#[bpf_map(type = "array", max_entries = 4, name = "lf_second")]
struct Second {
    key: u32,
    value: u64,
}

/// The struct's line, which the error reports.
const TOO_MANY_CPUS_LINE: u32 = line!() + 5;

/// The compiler cannot know `CONFIG_NR_CPUS` (256 here) and accepts any count; the runtime
/// checks it against the host before the syscall.
#[bpf_map(type = "cpumap", max_entries = 100000)]
struct TooManyCpus {
    key: u32,
    value: u32,
}

/// After the failing map: never created.
#[bpf_map(type = "queue", max_entries = 8)]
struct NeverCreated {
    value: u32,
}

/// The id of a new map. The kernel hands out map ids in increasing order, so the difference
/// between two probes bounds from below how many maps were created in between.
fn probe_id() -> u32 {
    let probe = bpfmap::bpf_create_map(MapType::ARRAY, 4, 4, 1, bpfmap::MapFlags::EMPTY).expect("probe map");
    probe.id().expect("probe id")
}

#[test]
fn the_error_names_the_failing_map_and_the_maps_before_it_are_closed() {
    require_kernel!();
    assert_eq!(
        bpfmap::declarations().iter().map(|d| d.rust_name).collect::<Vec<_>>(),
        ["First", "Second", "TooManyCpus", "NeverCreated"],
        "the failing map is the third of four"
    );
    let fds_before = support::open_fds();
    let id_before = probe_id();

    let err = bpfmap::load().expect_err("a cpumap larger than CONFIG_NR_CPUS");

    let id_after = probe_id();
    assert_eq!(support::open_fds(), fds_before, "the maps created before the failure were closed");
    assert!(id_after >= id_before + 3, "lf_first and lf_second were created ({id_before} -> {id_after})");

    let nr_cpus = bpfmap::HostLimits::current().nr_cpus;
    assert!(nr_cpus < 100000, "CONFIG_NR_CPUS {nr_cpus} would accept the map");
    let message = err.to_string();
    assert_eq!(err.errno(), Some(Errno::E2BIG));
    match err {
        Error::Invalid { map, rule } => {
            assert_eq!(map.name, "too_many_cpus");
            assert_eq!(map.map_type, MapType::CPUMAP);
            assert_eq!(
                map.declared,
                Some(Location {
                    rust_name: "TooManyCpus",
                    file: "tests/load_fails.rs",
                    line: TOO_MANY_CPUS_LINE
                })
            );
            assert_eq!(TooManyCpus::declaration().line, TOO_MANY_CPUS_LINE);
            assert!(
                matches!(
                    rule,
                    RuleError::MaxEntries {
                        map_type: MapType::CPUMAP,
                        max_entries: 100000,
                        errno: Errno::E2BIG,
                        ..
                    }
                ),
                "{rule:?}"
            );
        }
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
    assert!(
        message.starts_with(&format!(
            "map `too_many_cpus` (cpumap, declared as `TooManyCpus` at tests/load_fails.rs:{TOO_MANY_CPUS_LINE}) is invalid: \
             max_entries 100000 is refused by `cpumap` maps"
        )),
        "{message}"
    );
}
