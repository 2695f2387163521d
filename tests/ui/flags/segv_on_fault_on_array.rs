use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1024, flags = "segv_on_fault")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
