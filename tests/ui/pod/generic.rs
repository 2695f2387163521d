use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Pair<T> {
    a: T,
    b: T,
}

fn main() {}
