use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    addr: u32,
    proto: u8,
}

fn main() {}
