//! `load()` when the kernel itself refuses a declaration that every rule accepts: the error
//! names that map with the errno and its cause, and the maps created before it are closed.
//! Its own test binary, because `load()` creates every declaration of the binary.

mod support;

use bpfmap::{Cause, Errno, Error, Location, MapType, bpf_map};

#[bpf_map(type = "array", max_entries = 4, name = "lk_first")]
struct First {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash", max_entries = 16, flags = "no_prealloc", name = "lk_second")]
struct Second {
    key: u32,
    value: u32,
}

/// The struct's line, which the error reports.
const HUGE_LINE: u32 = line!() + 6;

/// 2^20 preallocated elements of 1 MiB: 1 TiB, reserved at creation in one vmalloc, which
/// refuses more than the machine's RAM at once (ENOMEM) without touching a page. The bucket
/// array, allocated first, is 16 MiB.
#[bpf_map(type = "hash", max_entries = 1048576, name = "lk_huge")]
struct Huge {
    key: u32,
    value: [u8; 1 << 20],
}

/// The id of a new map. The kernel hands out map ids in increasing order, so the difference
/// between two probes bounds from below how many maps were created in between.
fn probe_id() -> u32 {
    let probe = bpfmap::bpf_create_map(MapType::ARRAY, 4, 4, 1, bpfmap::MapFlags::EMPTY).expect("probe map");
    probe.id().expect("probe id")
}

#[test]
fn the_error_names_the_refused_map_and_the_maps_before_it_are_closed() {
    require_kernel!();
    let fds_before = support::open_fds();
    let id_before = probe_id();

    let err = bpfmap::load().expect_err("a map larger than memory");

    let id_after = probe_id();
    assert_eq!(support::open_fds(), fds_before, "the maps created before the failure were closed");
    assert!(id_after >= id_before + 3, "lk_first and lk_second were created ({id_before} -> {id_after})");

    let message = err.to_string();
    match err {
        Error::Create { map, errno, cause } => {
            assert_eq!(map.name, "lk_huge");
            assert_eq!(map.map_type, MapType::HASH);
            assert_eq!(
                map.declared,
                Some(Location { rust_name: "Huge", file: "tests/load_fails_in_kernel.rs", line: HUGE_LINE })
            );
            assert_eq!(errno, Errno::ENOMEM);
            assert!(matches!(cause, Cause::Memory { .. }), "{cause:?}");
        }
        other => panic!("expected Error::Create, got {other:?}"),
    }
    assert!(
        message.starts_with(&format!(
            "cannot create map `lk_huge` (hash, declared as `Huge` at tests/load_fails_in_kernel.rs:{HUGE_LINE}): \
             ENOMEM (cannot allocate memory)"
        )),
        "{message}"
    );
}
