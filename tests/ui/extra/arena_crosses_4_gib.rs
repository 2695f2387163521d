use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 16, flags = "mmapable", map_extra = 0xffff_f000)]
struct Heap;

fn main() {}
