use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Entry {
    next: *const u8,
}

fn main() {}
