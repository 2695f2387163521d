use bpfmap::bpf_map;

#[bpf_map(type = "array_of_maps", max_entries = 8, inner = "Template")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
