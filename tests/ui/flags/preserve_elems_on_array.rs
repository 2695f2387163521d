use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 1024, flags = "preserve_elems")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
