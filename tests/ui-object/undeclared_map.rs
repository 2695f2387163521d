//! A map of the object with no declaration in the module: the error shows one that matches.
use bpfmap::{bpf_map, check_object};

#[bpf_map(type = "hash", max_entries = 256, flags = "no_prealloc")]
struct OldCounts {
    key: u32,
    value: u64,
}

check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/legacy.bpf.o"));

fn main() {}
