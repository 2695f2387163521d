use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1024, flags = "no_prealloc")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
