use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024, name = flows)]
struct FlowsByDestination {
    key: u32,
    value: u64,
}

fn main() {}
