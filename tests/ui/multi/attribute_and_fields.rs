use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 64, pin = "yes")]
struct Events {
    key: u32,
    value: u64,
    hits: u64,
}

fn main() {}
