//! One map of every type bpfmap can create, each with the smallest valid definition.

use bpfmap::{MapDecl, MapType, Pod, bpf_map};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Ipv4Prefix {
    prefixlen: u32,
    addr: [u8; 4],
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Flows {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 256)]
struct Counters {
    key: u32,
    value: u64,
}

#[bpf_map(type = "prog_array", max_entries = 8)]
struct Jumps {
    key: u32,
    value: u32,
}

#[bpf_map(type = "perf_event_array", max_entries = 64)]
struct Events {
    key: u32,
    value: u32,
}

// Without `max_entries`: one entry per possible CPU, resolved when the map is created.
#[bpf_map(type = "perf_event_array")]
struct EventsPerCpu {
    key: u32,
    value: u32,
}

#[bpf_map(type = "percpu_hash", max_entries = 1024)]
struct FlowsPerCpu {
    key: u32,
    value: u64,
}

#[bpf_map(type = "percpu_array", max_entries = 16)]
struct Latency {
    key: u32,
    value: [u64; 4],
}

#[bpf_map(type = "stack_trace", max_entries = 1024)]
struct Stacks {
    key: u32,
    value: [u64; 127],
}

// With build ids, each frame is a 32-byte `struct bpf_stack_build_id`.
#[bpf_map(type = "stack_trace", max_entries = 1024, flags = "stack_build_id")]
struct BuildIdStacks {
    key: u32,
    value: [[u8; 32]; 16],
}

#[bpf_map(type = "cgroup_array", max_entries = 4)]
struct Cgroups {
    key: u32,
    value: u32,
}

#[bpf_map(type = "lru_hash", max_entries = 1024)]
struct Recent {
    key: u64,
    value: u64,
}

#[bpf_map(type = "lru_hash", max_entries = 1024, flags = "no_common_lru")]
struct RecentLists {
    key: u64,
    value: u64,
}

#[bpf_map(type = "lru_percpu_hash", max_entries = 1024)]
struct RecentPerCpu {
    key: u64,
    value: u64,
}

#[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
struct Routes {
    key: Ipv4Prefix,
    value: u32,
}

#[bpf_map(type = "array", max_entries = 1)]
struct Template {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array_of_maps", max_entries = 8, inner = Template)]
struct ArrayOfMaps {
    key: u32,
    value: u32,
}

#[bpf_map(type = "hash_of_maps", max_entries = 8, inner = Template)]
struct HashOfMaps {
    key: u64,
    value: u32,
}

#[bpf_map(type = "devmap", max_entries = 64)]
struct Ports {
    key: u32,
    value: u32,
}

#[bpf_map(type = "sockmap", max_entries = 64)]
struct Socks {
    key: u32,
    value: u64,
}

#[bpf_map(type = "cpumap", max_entries = 64)]
struct Cpus {
    key: u32,
    value: [u32; 2],
}

#[bpf_map(type = "xskmap", max_entries = 64)]
struct XdpSockets {
    key: u32,
    value: u32,
}

#[bpf_map(type = "sockhash", max_entries = 1024)]
struct SocksByTuple {
    key: [u32; 3],
    value: u32,
}

// Storage maps have no capacity: `max_entries` is left out (it must be 0).
#[bpf_map(type = "cgroup_storage")]
struct PerCgroup {
    key: u64,
    value: u64,
}

#[bpf_map(type = "reuseport_sockarray", max_entries = 16)]
struct Reuseport {
    key: u32,
    value: u64,
}

#[bpf_map(type = "percpu_cgroup_storage")]
struct CgroupCpu {
    key: [u64; 2],
    value: u64,
}

#[bpf_map(type = "queue", max_entries = 64)]
struct Pending {
    value: u64,
}

#[bpf_map(type = "stack", max_entries = 64)]
struct Undo {
    value: u64,
}

#[bpf_map(type = "devmap_hash", max_entries = 64)]
struct IfPorts {
    key: u32,
    value: [u32; 2],
}

#[bpf_map(type = "ringbuf", max_entries = 65536)]
struct Log;

#[bpf_map(type = "bloom_filter", max_entries = 1024, map_extra = 3)]
struct Seen {
    value: u64,
}

#[bpf_map(type = "user_ringbuf", max_entries = 4096)]
struct Commands;

#[bpf_map(type = "arena", max_entries = 256, flags = "mmapable")]
struct Heap;

fn main() {
    let types = [
        (Flows::DEF.map_type, MapType::HASH),
        (Counters::DEF.map_type, MapType::ARRAY),
        (Jumps::DEF.map_type, MapType::PROG_ARRAY),
        (Events::DEF.map_type, MapType::PERF_EVENT_ARRAY),
        (EventsPerCpu::DEF.map_type, MapType::PERF_EVENT_ARRAY),
        (FlowsPerCpu::DEF.map_type, MapType::PERCPU_HASH),
        (Latency::DEF.map_type, MapType::PERCPU_ARRAY),
        (Stacks::DEF.map_type, MapType::STACK_TRACE),
        (BuildIdStacks::DEF.map_type, MapType::STACK_TRACE),
        (Cgroups::DEF.map_type, MapType::CGROUP_ARRAY),
        (Recent::DEF.map_type, MapType::LRU_HASH),
        (RecentLists::DEF.map_type, MapType::LRU_HASH),
        (RecentPerCpu::DEF.map_type, MapType::LRU_PERCPU_HASH),
        (Routes::DEF.map_type, MapType::LPM_TRIE),
        (Template::DEF.map_type, MapType::ARRAY),
        (ArrayOfMaps::DEF.map_type, MapType::ARRAY_OF_MAPS),
        (HashOfMaps::DEF.map_type, MapType::HASH_OF_MAPS),
        (Ports::DEF.map_type, MapType::DEVMAP),
        (Socks::DEF.map_type, MapType::SOCKMAP),
        (Cpus::DEF.map_type, MapType::CPUMAP),
        (XdpSockets::DEF.map_type, MapType::XSKMAP),
        (SocksByTuple::DEF.map_type, MapType::SOCKHASH),
        (PerCgroup::DEF.map_type, MapType::CGROUP_STORAGE),
        (Reuseport::DEF.map_type, MapType::REUSEPORT_SOCKARRAY),
        (CgroupCpu::DEF.map_type, MapType::PERCPU_CGROUP_STORAGE),
        (Pending::DEF.map_type, MapType::QUEUE),
        (Undo::DEF.map_type, MapType::STACK),
        (IfPorts::DEF.map_type, MapType::DEVMAP_HASH),
        (Log::DEF.map_type, MapType::RINGBUF),
        (Seen::DEF.map_type, MapType::BLOOM_FILTER),
        (Commands::DEF.map_type, MapType::USER_RINGBUF),
        (Heap::DEF.map_type, MapType::ARENA),
    ];
    for (declared, expected) in types {
        assert_eq!(declared, expected);
    }
    assert_eq!(EventsPerCpu::DEF.max_entries, 0);
    assert_eq!(PerCgroup::DEF.max_entries, 0);
    assert_eq!((Log::DEF.key_size, Log::DEF.value_size), (0, 0));
    assert_eq!((Pending::DEF.key_size, Pending::DEF.value_size), (0, 8));
    assert_eq!(ArrayOfMaps::DEF.inner, Some(&Template::DEF));
    assert_eq!(bpfmap::declarations().len(), types.len());
}
