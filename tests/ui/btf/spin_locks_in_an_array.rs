//! The kernel finds no lock in an array of more than one: the map would silently have none.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Locks {
    locks: [SpinLock; 2],
}

#[bpf_map(type = "array", max_entries = 4)]
struct Many {
    key: u32,
    value: Locks,
}

fn main() {}
