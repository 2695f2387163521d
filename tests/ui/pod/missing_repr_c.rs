use bpfmap::Pod;

#[derive(Clone, Copy, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
}

fn main() {}
