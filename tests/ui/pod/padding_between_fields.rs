use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    proto: u8,
    addr: u32,
}

fn main() {}
