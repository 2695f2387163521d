//! One lock per value: the kernel refuses a second (a second in one struct fails the whole
//! BTF object; one nested and one not trips a kernel warning).
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Inner {
    lock: SpinLock,
    n: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Outer {
    lock: SpinLock,
    inner: Inner,
}

#[bpf_map(type = "hash", max_entries = 64)]
struct Twice {
    key: u32,
    value: Outer,
}

fn main() {}
