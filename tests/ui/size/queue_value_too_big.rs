use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 16)]
struct Events {
    value: [u8; (4 << 20) + 1],
}

fn main() {}
