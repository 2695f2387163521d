use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 16)]
struct Flows {
    key: u32,
    value: [u8; 4194252],
}

fn main() {}
