use bpfmap::bpf_map;

#[bpf_map(type = "arena", max_entries = 256)]
struct Heap;

fn main() {}
