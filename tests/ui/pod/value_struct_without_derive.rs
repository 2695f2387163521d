use bpfmap::bpf_map;

#[repr(C)]
#[derive(Clone, Copy)]
struct Stats {
    packets: u64,
    bytes: u64,
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows {
    key: u32,
    value: Stats,
}

fn main() {}
