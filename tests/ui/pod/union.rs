use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
union Addr {
    v4: u32,
    v6: [u8; 16],
}

fn main() {}
