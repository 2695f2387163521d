use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 256)]
struct Counters {
    key: u64,
    value: u64,
}

fn main() {}
