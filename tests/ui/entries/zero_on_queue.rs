use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 0)]
struct Events {
    value: u64,
}

fn main() {}
