use bpfmap::bpf_map;

const CAPACITY: usize = 1024;

#[bpf_map(type = "hash", max_entries = CAPACITY)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
