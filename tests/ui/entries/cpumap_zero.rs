use bpfmap::bpf_map;

#[bpf_map(type = "cpumap", max_entries = 0)]
struct Cpus {
    key: u32,
    value: u32,
}

fn main() {}
