//! Every map of `tests/bpf/check/maps.bpf.c`, declared as the object defines it: the check
//! passes. The C side spells its types `__u32`, `struct flow_key`; the Rust side `u32`,
//! `FlowKey`: what is compared is the layout.
use bpfmap::{bpf_map, check_object, Pod};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowStats {
    packets: u64,
    bytes: u64,
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Counts {
    key: u32,
    value: u64,
}

#[bpf_map(type = "lru_hash", max_entries = 4096, flags = "no_common_lru")]
struct Flows {
    key: FlowKey,
    value: FlowStats,
}

#[bpf_map(type = "ringbuf", max_entries = 65536)]
struct Events;

#[bpf_map(type = "array", max_entries = 16, pin = "by_name")]
struct Settings {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 8)]
struct Table {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array_of_maps", max_entries = 4, inner = Table)]
struct Tables {
    key: u32,
    value: u32,
}

check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/maps.bpf.o"));

fn main() {}
