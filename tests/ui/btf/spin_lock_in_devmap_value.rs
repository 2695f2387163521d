//! A devmap is read-only to programs (the kernel sets `rdonly_prog` itself): a lock in its
//! value could never be taken.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Target {
    lock: SpinLock,
    ifindex: u32,
}

#[bpf_map(type = "devmap", max_entries = 4)]
struct Ports {
    key: u32,
    value: Target,
}

fn main() {}
