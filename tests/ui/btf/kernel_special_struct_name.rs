//! A struct named as a kernel type with a meaning in map values would be taken for it.
use bpfmap::Pod;

#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct bpf_timer {
    a: u64,
    b: u64,
}

fn main() {}
