use bpfmap::bpf_map;

#[bpf_map(type = "BPF_MAP_TYPE_HASH", max_entries = 1024)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
