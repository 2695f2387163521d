use bpfmap::bpf_map;

#[bpf_map(type = "percpu_array", max_entries = 1024, flags = "mmapable")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
