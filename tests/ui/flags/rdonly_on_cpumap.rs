use bpfmap::bpf_map;

#[bpf_map(type = "cpumap", max_entries = 64, flags = "rdonly")]
struct Cpus {
    key: u32,
    value: u32,
}

fn main() {}
