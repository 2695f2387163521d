use bpfmap::bpf_map;

#[bpf_map(type = "array", max_entries = 0, flags = "no_prealloc | mmapable", name = "counters-v2")]
struct Counters {
    key: u32,
    value: u64,
}

fn main() {}
