use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Entry {
    hits: u32,
    seen: bool,
    _pad: [u8; 3],
}

fn main() {}
