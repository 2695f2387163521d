use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1024)]
struct Counters;

fn main() {}
