//! The value size, `max_entries` and flags of a map differ from the object's: one error that
//! names each field, on the path.
use bpfmap::{bpf_map, check_object};

#[bpf_map(type = "hash", max_entries = 100)]
struct OldCounts {
    key: u32,
    value: u32,
}

#[bpf_map(type = "array", max_entries = 32)]
struct OldSlots {
    key: u32,
    value: u32,
}

check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/legacy.bpf.o"));

fn main() {}
