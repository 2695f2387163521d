use bpfmap::bpf_map;

#[bpf_map]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
