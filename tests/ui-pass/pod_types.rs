//! `#[derive(Pod)]` structs, arrays and nesting as keys and values.

use bpfmap::{MapDecl, Pod, bpf_map};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

// Padding made explicit is not padding.
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct ConnKey {
    proto: u8,
    _pad: [u8; 3],
    addr: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Stats {
    packets: u64,
    bytes: u64,
    last: [ConnKey; 2],
}

#[repr(transparent)]
#[derive(Clone, Copy, Pod)]
struct Ifindex(u32);

#[repr(C, packed)]
#[derive(Clone, Copy, Pod)]
struct Packed {
    proto: u8,
    addr: u32,
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows {
    key: FlowKey,
    value: Stats,
}

#[bpf_map(type = "lru_hash", max_entries = 1024)]
struct Conns {
    key: ConnKey,
    value: [u64; 4],
}

#[bpf_map(type = "devmap_hash", max_entries = 64)]
struct Ports {
    key: Ifindex,
    value: Ifindex,
}

#[bpf_map(type = "queue", max_entries = 64)]
struct Events {
    value: Packed,
}

/// Names the derive's own code must not capture: a struct called `T`, a field of type `T`, a
/// field called `s`, a tuple struct.
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct T {
    s: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct HoldsT(T, u32);

#[bpf_map(type = "hash", max_entries = 8)]
struct Named {
    key: T,
    value: HoldsT,
}

fn main() {
    assert_eq!(Named::DEF.value_size, 8);
    assert_eq!(Flows::DEF.key_size, 12);
    assert_eq!(Flows::DEF.value_size, 32);
    assert_eq!(Conns::DEF.key_size, 8);
    assert_eq!(Ports::DEF.key_size, 4);
    assert_eq!(Events::DEF.value_size, 5);
}
