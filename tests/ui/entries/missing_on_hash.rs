use bpfmap::bpf_map;

#[bpf_map(type = "hash")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
