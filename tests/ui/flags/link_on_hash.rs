use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024, flags = "link")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
