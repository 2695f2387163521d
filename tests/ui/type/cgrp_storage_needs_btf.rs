use bpfmap::bpf_map;

#[bpf_map(type = "cgrp_storage", flags = "no_prealloc")]
struct Storage {
    key: u32,
    value: u64,
}

fn main() {}
