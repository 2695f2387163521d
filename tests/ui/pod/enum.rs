use bpfmap::Pod;

#[repr(u8)]
#[derive(Clone, Copy, Pod)]
enum Proto {
    Tcp = 6,
    Udp = 17,
}

fn main() {}
