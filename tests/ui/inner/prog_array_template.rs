use bpfmap::bpf_map;

#[bpf_map(type = "prog_array", max_entries = 8)]
struct Jumps {
    key: u32,
    value: u32,
}

#[bpf_map(type = "array_of_maps", max_entries = 8, inner = Jumps)]
struct Outer {
    key: u32,
    value: u32,
}

fn main() {}
