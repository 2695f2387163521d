//! Every attribute key besides `type`, and `const` expressions where a number goes.

use bpfmap::{MapDecl, MapFlags, Pinning, bpf_map};

const CAPACITY: u32 = 1 << 10;
const HASHES: u64 = 3;

#[bpf_map(
    type = "hash",
    max_entries = 100,
    flags = "no_prealloc | rdonly_prog",
    name = "flows.v1",
    pin = "by_name"
)]
struct Flows {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash", max_entries = CAPACITY * 2, numa_node = 0)]
struct OnNodeZero {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = CAPACITY, flags = "mmapable", name = "")]
struct Unnamed {
    key: u32,
    value: [u8; 64],
}

// A name of exactly 15 bytes, the most the kernel keeps.
#[bpf_map(type = "ringbuf", max_entries = 4096 * 64, name = "fifteen_bytes_n")]
struct Log;

#[bpf_map(type = "bloom_filter", max_entries = CAPACITY, map_extra = HASHES, flags = "zero_seed")]
struct Seen {
    value: [u8; 16],
}

#[bpf_map(type = "arena", max_entries = 1 << 20, flags = "mmapable | segv_on_fault", map_extra = 0x1_0000_0000)]
struct Heap;

// Trailing comma, and keys in any order.
#[rustfmt::skip]
#[bpf_map(max_entries = 16, type = "queue",)]
struct Pending {
    value: u32,
}

// The default name is the struct's name in snake_case.
#[bpf_map(type = "hash", max_entries = 16)]
struct HTTPRequests {
    key: u64,
    value: u64,
}

fn main() {
    assert_eq!(Flows::DEF.name.as_str(), "flows.v1");
    assert_eq!(Flows::DEF.flags, MapFlags::NO_PREALLOC | MapFlags::RDONLY_PROG);
    assert_eq!(Flows::DEF.pinning, Pinning::ByName);
    assert_eq!(OnNodeZero::DEF.max_entries, 2048);
    assert!(OnNodeZero::DEF.flags.contains(MapFlags::NUMA_NODE));
    assert!(Unnamed::DEF.name.is_empty());
    assert_eq!(Log::DEF.max_entries, 262144);
    assert_eq!(Log::DEF.name.as_str(), "fifteen_bytes_n");
    assert_eq!(Seen::DEF.map_extra, 3);
    assert_eq!(Heap::DEF.map_extra, 1 << 32);
    assert_eq!(Pending::DEF.name.as_str(), "pending");
    assert_eq!(HTTPRequests::DEF.name.as_str(), "http_requests");
}
