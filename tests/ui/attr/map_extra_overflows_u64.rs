use bpfmap::bpf_map;

#[bpf_map(type = "bloom_filter", max_entries = 1024, map_extra = 18446744073709551616)]
struct Flows {
    value: u64,
}

fn main() {}
