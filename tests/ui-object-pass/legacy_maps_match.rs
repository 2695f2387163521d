//! A legacy object (`struct bpf_map_def` records in `maps`): its maps are checked too.
use bpfmap::{bpf_map, check_object};

#[bpf_map(type = "hash", max_entries = 256, flags = "no_prealloc")]
struct OldCounts {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 32)]
struct OldSlots {
    key: u32,
    value: u32,
}

check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/legacy.bpf.o"));

fn main() {}
