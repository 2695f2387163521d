//! A lock aligned in its own struct, which a packed struct places at byte 1: the kernel would
//! take it there, misaligned.
use bpfmap::{Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Inner {
    lock: SpinLock,
}

#[repr(C, packed)]
#[derive(Clone, Copy, Pod)]
struct Outer {
    tag: u8,
    inner: Inner,
    rest: [u8; 3],
}

fn main() {}
