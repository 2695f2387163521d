use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 1048577, flags = "mmapable")]
struct Heap;

fn main() {}
