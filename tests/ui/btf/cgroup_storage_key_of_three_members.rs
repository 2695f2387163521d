//! A locked cgroup storage needs its BTF, whose 16-byte key the kernel takes only as two
//! members (`bpfmap::CgroupStorageKey`).
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Key {
    cgroup: u64,
    attach_type: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Locked {
    lock: SpinLock,
    n: u32,
}

#[bpf_map(type = "cgroup_storage")]
struct Storage {
    key: Key,
    value: Locked,
}

fn main() {}
