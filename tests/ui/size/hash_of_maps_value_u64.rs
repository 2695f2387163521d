use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1)]
struct Template {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash_of_maps", max_entries = 8, inner = Template)]
struct Outer {
    key: u32,
    value: u64,
}

fn main() {}
