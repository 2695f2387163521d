use bpfmap::bpf_map;

#[bpf_map(type = "devmap", max_entries = 1024, flags = "rdonly_prog")]
struct Ports {
    key: u32,
    value: u32,
}

fn main() {}
