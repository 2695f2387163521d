use bpfmap::bpf_map;

#[bpf_map(type = "prog_array", max_entries = 8)]
struct Jumps {
    key: u32,
    value: u64,
}

fn main() {}
