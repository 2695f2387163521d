use bpfmap::bpf_map;

#[bpf_map(type = "struct_ops", max_entries = 1)]
struct Ops {
    key: u32,
    value: [u8; 256],
}

fn main() {}
