use bpfmap::bpf_map;

#[bpf_map(type = "hsah", max_entries = "1024", flags = "no_prealoc", colour = "blue")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {}
