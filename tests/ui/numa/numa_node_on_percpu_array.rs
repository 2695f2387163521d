use bpfmap::bpf_map;

#[bpf_map(type = "percpu_array", max_entries = 16, numa_node = 0)]
struct Latency {
    key: u32,
    value: u64,
}

fn main() {}
