use bpfmap::bpf_map;

const NODE: u32 = 0;

#[bpf_map(type = "percpu_array", max_entries = 16, numa_node = NODE)]
struct Latency {
    key: u32,
    value: u64,
}

fn main() {}
