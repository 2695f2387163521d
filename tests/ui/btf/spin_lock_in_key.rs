//! A lock in a key would be compared byte by byte, never taken.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Locked {
    lock: SpinLock,
    id: u32,
}

#[bpf_map(type = "hash", max_entries = 64)]
struct ByLocked {
    key: Locked,
    value: u64,
}

fn main() {}
