//! One map of every type bpfmap can create standalone compiles: the declarations the kernel
//! test `tests/every_type.rs` creates.

use bpfmap::{MapDecl, MapType, Pod, bpf_map};

include!("../support/every_type_decls.rs");

fn main() {
    let types = [
        (Flows::DEF.map_type, MapType::HASH),
        (Counters::DEF.map_type, MapType::ARRAY),
        (Jumps::DEF.map_type, MapType::PROG_ARRAY),
        (Events::DEF.map_type, MapType::PERF_EVENT_ARRAY),
        (FlowsPerCpu::DEF.map_type, MapType::PERCPU_HASH),
        (Latency::DEF.map_type, MapType::PERCPU_ARRAY),
        (Stacks::DEF.map_type, MapType::STACK_TRACE),
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
        (PerSocket::DEF.map_type, MapType::SK_STORAGE),
        (PerInode::DEF.map_type, MapType::INODE_STORAGE),
        (PerTask::DEF.map_type, MapType::TASK_STORAGE),
        (PerCgroupV2::DEF.map_type, MapType::CGRP_STORAGE),
    ];
    for (declared, expected) in types {
        assert_eq!(declared, expected);
    }
    assert_eq!(Events::DEF.max_entries, 0, "omitted: one entry per possible CPU");
    assert_eq!(PerCgroup::DEF.max_entries, 0);
    assert_eq!((Log::DEF.key_size, Log::DEF.value_size), (0, 0));
    assert_eq!(ArrayOfMaps::DEF.inner, Some(&Template::DEF));
    assert_eq!(bpfmap::declarations().len(), types.len());
}
