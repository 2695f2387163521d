use bpfmap::bpf_map;

#[bpf_map(type = "lru", max_entries = 1024)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
