use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 0)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
