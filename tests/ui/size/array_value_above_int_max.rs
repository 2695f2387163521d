use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1)]
struct Huge {
    key: u32,
    value: [u8; 1 << 31],
}

fn main() {}
