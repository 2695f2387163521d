use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1, flags = "inner_map")]
struct Template {
    key: u32,
    value: u64,
}

// `inner_map` belongs on the template, not on the map that holds it.
#[bpf_map(type = "array_of_maps", max_entries = 8, inner = Template, flags = "inner_map")]
struct Outer {
    key: u32,
    value: u32,
}

fn main() {}
