use bpfmap::bpf_map;

#[bpf_map(type = "bloom_filter", max_entries = 1024, map_extra = 16)]
struct Seen {
    value: u64,
}

fn main() {}
