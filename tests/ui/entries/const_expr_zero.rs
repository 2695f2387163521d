use bpfmap::bpf_map;

const CAPACITY: u32 = 1024;

#[bpf_map(type = "hash", max_entries = CAPACITY - CAPACITY)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
