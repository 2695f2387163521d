use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 0)]
struct Flows {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 16, flags = "no_prealloc")]
struct Counters {
    key: u32,
    value: u64,
}

fn main() {}
