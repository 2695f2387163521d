use bpfmap::bpf_map;

const HASHES: u64 = 3;

#[bpf_map(type = "hash", max_entries = 1024, map_extra = HASHES)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
