// One map of every type bpfmap can create standalone, with the flags and attributes whose
// effect the kernel reports back. Included by tests/every_type.rs (which creates them) and
// tests/ui-pass/every_type.rs (which only compiles them).

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

// `rdonly` is a property of the fd the call returns, not of the map.
#[bpf_map(type = "array", max_entries = 256, flags = "rdonly")]
struct Counters {
    key: u32,
    value: u64,
}

#[bpf_map(type = "prog_array", max_entries = 8)]
struct Jumps {
    key: u32,
    value: u32,
}

// Without `max_entries`: one entry per possible CPU.
#[bpf_map(type = "perf_event_array")]
struct Events {
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

#[bpf_map(type = "stack_trace", max_entries = 1024, flags = "stack_build_id")]
struct Stacks {
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

// One LRU list per CPU: 3 entries cannot be shared evenly between the possible CPUs.
#[bpf_map(type = "lru_hash", max_entries = 3, flags = "no_common_lru")]
struct RecentLists {
    key: u64,
    value: u64,
}

#[bpf_map(type = "lru_percpu_hash", max_entries = 1024, flags = "no_common_lru")]
struct RecentPerCpu {
    key: u64,
    value: u64,
}

#[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
struct Routes {
    key: Ipv4Prefix,
    value: u32,
}

#[bpf_map(type = "array", max_entries = 1, flags = "inner_map")]
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

// `wronly`, like `rdonly`, belongs to the fd.
#[bpf_map(type = "queue", max_entries = 64, flags = "wronly")]
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

#[bpf_map(type = "ringbuf", max_entries = 65536, numa_node = 0)]
struct Log;

#[bpf_map(type = "bloom_filter", max_entries = 1024, map_extra = 3)]
struct Seen {
    value: u64,
}

#[bpf_map(type = "user_ringbuf", max_entries = 4096)]
struct Commands;

#[bpf_map(type = "arena", max_entries = 256, flags = "mmapable|segv_on_fault")]
struct Heap;

/// What the local storage maps keep per owner.
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Owned {
    count: u64,
    bytes: u64,
}

#[bpf_map(type = "sk_storage", flags = "no_prealloc")]
struct PerSocket {
    key: u32,
    value: Owned,
}

#[bpf_map(type = "inode_storage", flags = "no_prealloc")]
struct PerInode {
    key: u32,
    value: Owned,
}

#[bpf_map(type = "task_storage", flags = "no_prealloc")]
struct PerTask {
    key: i32,
    value: Owned,
}

#[bpf_map(type = "cgrp_storage", flags = "no_prealloc|clone")]
struct PerCgroupV2 {
    key: u32,
    value: Owned,
}
