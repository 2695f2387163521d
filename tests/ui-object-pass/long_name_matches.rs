//! An object map named past 15 bytes is matched by the name the kernel keeps.
use bpfmap::{bpf_map, check_object};

#[bpf_map(type = "hash", max_entries = 128, name = "connection_trac")]
struct ConnectionTracker {
    key: u64,
    value: u32,
}

check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/long_name.bpf.o"));

fn main() {}
