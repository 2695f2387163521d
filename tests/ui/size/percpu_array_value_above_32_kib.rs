use bpfmap::bpf_map;

#[bpf_map(type = "percpu_array", max_entries = 16)]
struct Latency {
    key: u32,
    value: [u8; 32769],
}

fn main() {}
