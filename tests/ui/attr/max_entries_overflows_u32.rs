use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 4294967296)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
