use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 64)]
struct Events {
    key: u32,
    value: u64,
}

fn main() {}
