//! `usize` is not `Pod`: its size depends on the process (4 or 8 bytes), the BPF side's does not.
#[bpfmap::bpf_map(type = "hash", max_entries = 8)]
struct Sizes {
    key: usize,
    value: u64,
}

fn main() {}
