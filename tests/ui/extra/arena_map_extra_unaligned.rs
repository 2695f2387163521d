use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 16, flags = "mmapable", map_extra = 0x1000_0001)]
struct Heap;

fn main() {}
