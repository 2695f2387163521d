use bpfmap::Pod;

#[repr(C, align(8))]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    addr: u32,
}

fn main() {}
