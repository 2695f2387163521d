//! Two declarations of one kernel name in a module: found at compile time, at the second.
use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 8)]
struct Flows {
    key: u32,
    value: u32,
}

#[bpf_map(type = "array", max_entries = 8, name = "flows")]
struct OtherFlows {
    key: u32,
    value: u64,
}

fn main() {}
