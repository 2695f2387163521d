use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 16, flags = "mmapable", numa_node = 0)]
struct Heap;

fn main() {}
