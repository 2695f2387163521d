use bpfmap::bpf_map;

#[bpf_map(type = "sockhash", max_entries = 1024)]
struct Socks {
    key: [u8; 513],
    value: u32,
}

fn main() {}
