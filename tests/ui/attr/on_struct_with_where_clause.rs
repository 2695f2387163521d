use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows
where
    u32: Copy,
{
    key: u32,
    value: u64,
}

fn main() {}
