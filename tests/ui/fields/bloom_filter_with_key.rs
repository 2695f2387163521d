use bpfmap::bpf_map;

#[bpf_map(type = "bloom_filter", max_entries = 1024)]
struct Seen {
    key: u32,
    value: u64,
}

fn main() {}
