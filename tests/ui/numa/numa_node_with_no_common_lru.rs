use bpfmap::bpf_map;

#[bpf_map(type = "lru_hash", max_entries = 1024, flags = "no_common_lru", numa_node = 0)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
