use bpfmap::bpf_map;

#[bpf_map(type = "devmap", max_entries = 64)]
struct Ports {
    key: u32,
    value: [u32; 3],
}

fn main() {}
