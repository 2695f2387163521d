use bpfmap::bpf_map;

#[repr(C)]
#[derive(Clone, Copy, bpfmap::Pod)]
struct Stats {
    packets: u64,
    flags: u8,
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows {
    key: u32,
    value: Stats,
}

fn main() {}
