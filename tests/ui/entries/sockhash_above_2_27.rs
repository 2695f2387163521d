use bpfmap::bpf_map;

#[bpf_map(type = "sockhash", max_entries = 134217729)]
struct Socks {
    key: u32,
    value: u32,
}

fn main() {}
