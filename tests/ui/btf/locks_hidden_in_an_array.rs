//! The kernel checks every struct of a BTF object that holds a lock, wherever it sits: two locks
//! side by side in an array element (here a hand-written `Pod`, which the derive would refuse)
//! would make `BPF_BTF_LOAD` refuse the object of every map.
use bpfmap::btf::{Member, TypeDesc, SPIN_LOCK};
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy)]
struct TwoLocks {
    a: SpinLock,
    b: SpinLock,
}

// SAFETY: two u32-sized locks, no padding, any bit pattern.
unsafe impl Pod for TwoLocks {
    const BTF: &'static TypeDesc = &TypeDesc::Struct {
        name: "TwoLocks",
        size: 8,
        members: &[Member { name: "a", offset: 0, ty: &SPIN_LOCK }, Member { name: "b", offset: 4, ty: &SPIN_LOCK }],
    };
}

#[bpf_map(type = "array", max_entries = 4)]
struct Hidden {
    key: u32,
    value: [TwoLocks; 1],
}

fn main() {}
