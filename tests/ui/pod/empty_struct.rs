use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Nothing {}

fn main() {}
