use bpfmap::Pod;

#[repr(align(4))]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
}

fn main() {}
