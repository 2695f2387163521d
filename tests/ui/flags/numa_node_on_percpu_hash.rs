use bpfmap::bpf_map;

#[bpf_map(type = "percpu_hash", max_entries = 1024, flags = "numa_node")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
