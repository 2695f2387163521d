use bpfmap::bpf_map;

#[bpf_map(type = "cpumap", max_entries = 64)]
struct Cpus {
    key: u32,
    value: [u32; 3],
}

fn main() {}
