use bpfmap::bpf_map;

#[bpf_map(type = "reuseport_sockarray", max_entries = 64)]
struct Socks {
    key: u32,
    value: [u32; 3],
}

fn main() {}
