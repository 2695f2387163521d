use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 16, flags = "mmapable")]
struct Heap {
    value: u64,
}

fn main() {}
