use bpfmap::bpf_map;

#[bpf_map(type = "prog_array", max_entries = 1024, flags = "rdonly_prog")]
struct Jumps {
    key: u32,
    value: u32,
}

fn main() {}
