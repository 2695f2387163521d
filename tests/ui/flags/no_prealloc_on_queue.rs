use bpfmap::bpf_map;

#[bpf_map(type = "queue", max_entries = 1024, flags = "no_prealloc")]
struct Events {
    value: u64,
}

fn main() {}
