//! A `repr(transparent)` wrapper is described as a typedef, and the kernel looks for the lock's
//! own struct: the wrapped lock would be no lock at all.
use bpfmap::{Pod, SpinLock};

#[repr(transparent)]
#[derive(Clone, Copy, Pod)]
struct MyLock(SpinLock);

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Value {
    lock: MyLock,
    n: u32,
}

fn main() {}
