use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 1024, flags = "zero_seed")]
struct Events {
    value: u64,
}

fn main() {}
