use bpfmap::bpf_map;

#[bpf_map(type = "array_of_maps", max_entries = 8)]
struct Outer {
    key: u32,
    value: u32,
}

fn main() {}
