use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows(u32, u64);

fn main() {}
