use bpfmap::bpf_map;

#[bpf_map(type = "percpu_hash", max_entries = 16)]
struct Latency {
    key: u32,
    value: [u64; 4097],
}

fn main() {}
