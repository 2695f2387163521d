//! A packed struct puts the lock at offset 1: the kernel refuses the whole BTF object.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C, packed)]
#[derive(Clone, Copy, Pod)]
struct Packed {
    tag: u8,
    lock: SpinLock,
    n: [u8; 3],
}

#[bpf_map(type = "hash", max_entries = 4)]
struct Odd {
    key: u32,
    value: Packed,
}

fn main() {}
