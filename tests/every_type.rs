//! Typed creation of every map type that can be created standalone: one `#[bpf_map]`
//! declaration each, created by `bpfmap::load()`, and each checked against what the kernel
//! reports of it (`BPF_OBJ_GET_INFO_BY_FD`): type, key size, value size, `max_entries`, flags,
//! name and `map_extra` as declared, up to the adjustments the kernel makes, which
//! [`kernel_view`] lists.

#[macro_use]
mod support;

use bpfmap::{Creation, HostLimits, MapDecl, MapDef, MapFlags, MapInfo, MapType, Maps, Pod, bpf_map};

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

/// The types `#[bpf_map]` cannot declare for creation on its own, and why.
const NOT_STANDALONE: [(MapType, &str); 6] = [
    (MapType::SK_STORAGE, "needs BTF ids for its key and value (btf_key_type_id, btf_value_type_id)"),
    (MapType::INODE_STORAGE, "needs BTF ids for its key and value (btf_key_type_id, btf_value_type_id)"),
    (MapType::TASK_STORAGE, "needs BTF ids for its key and value (btf_key_type_id, btf_value_type_id)"),
    (MapType::CGRP_STORAGE, "needs BTF ids for its key and value (btf_key_type_id, btf_value_type_id)"),
    (MapType::STRUCT_OPS, "needs the vmlinux BTF id of `bpf_struct_ops_<name>` and a user BTF object"),
    // The rule book lets it be declared, but a declaration would make `load()` fail on any
    // kernel before 6.19; it is created on its own below, where the kernel has it.
    (MapType::INSN_ARRAY, "is new in Linux 6.19 (EINVAL before) and only useful with a program"),
];

/// Every declaration above: its name in Rust, its definition, its map.
fn declared(maps: &Maps) -> Vec<(&'static str, MapDef, &bpfmap::Map)> {
    fn one<T: MapDecl>(maps: &Maps) -> (&'static str, MapDef, &bpfmap::Map) {
        let map = maps.map::<T>().unwrap_or_else(|e| panic!("{e}"));
        (T::declaration().rust_name, T::DEF, map)
    }
    vec![
        one::<Flows>(maps),
        one::<Counters>(maps),
        one::<Jumps>(maps),
        one::<Events>(maps),
        one::<FlowsPerCpu>(maps),
        one::<Latency>(maps),
        one::<Stacks>(maps),
        one::<Cgroups>(maps),
        one::<Recent>(maps),
        one::<RecentLists>(maps),
        one::<RecentPerCpu>(maps),
        one::<Routes>(maps),
        one::<Template>(maps),
        one::<ArrayOfMaps>(maps),
        one::<HashOfMaps>(maps),
        one::<Ports>(maps),
        one::<Socks>(maps),
        one::<Cpus>(maps),
        one::<XdpSockets>(maps),
        one::<SocksByTuple>(maps),
        one::<PerCgroup>(maps),
        one::<Reuseport>(maps),
        one::<CgroupCpu>(maps),
        one::<Pending>(maps),
        one::<Undo>(maps),
        one::<IfPorts>(maps),
        one::<Log>(maps),
        one::<Seen>(maps),
        one::<Commands>(maps),
        one::<Heap>(maps),
    ]
}

/// What the kernel reports of a map declared as `def`: (type, key size, value size,
/// max_entries, flags, map_extra). Every difference from the declaration is here.
fn kernel_view(def: &MapDef, host: &HostLimits) -> (MapType, u32, u32, u32, MapFlags, u64) {
    let mut max_entries = def.max_entries;
    let mut flags = def.flags;
    // `perf_event_array` with max_entries 0: bpfmap asks for one entry per possible CPU
    // (MapDef::resolve_for); the kernel itself refuses 0.
    if def.map_type == MapType::PERF_EVENT_ARRAY && max_entries == 0 {
        max_entries = host.possible_cpus;
    }
    // LRU maps with one list per CPU round max_entries up to a multiple of the possible CPUs
    // (htab_map_alloc), so that every list gets as many entries.
    if matches!(def.map_type, MapType::LRU_HASH | MapType::LRU_PERCPU_HASH)
        && flags.contains(MapFlags::NO_COMMON_LRU)
    {
        max_entries = max_entries.div_ceil(host.possible_cpus) * host.possible_cpus;
    }
    // `rdonly` and `wronly` set the mode of the returned fd and are not kept with the map
    // (bpf_map_flags_retain_permanent).
    flags = flags.difference(MapFlags::RDONLY | MapFlags::WRONLY);
    // Device maps hand programs a pointer into the entry, so the kernel makes them read-only
    // for programs (dev_map_init_map forces `rdonly_prog`).
    if matches!(def.map_type, MapType::DEVMAP | MapType::DEVMAP_HASH) {
        flags |= MapFlags::RDONLY_PROG;
    }
    (def.map_type, def.key_size, def.value_size, max_entries, flags, def.map_extra)
}

fn reported(info: &MapInfo) -> (MapType, u32, u32, u32, MapFlags, u64) {
    (info.map_type, info.key_size, info.value_size, info.max_entries, info.flags, info.map_extra)
}

#[test]
fn every_standalone_type_is_created_as_declared() {
    require_kernel!();
    let host = HostLimits::current();
    let maps = bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"));
    let declared = declared(&maps);
    assert_eq!(maps.len(), declared.len(), "a declaration is missing from `declared`");

    let mut wrong = Vec::new();
    for (rust_name, def, map) in &declared {
        let info = map.info().unwrap_or_else(|e| panic!("info of {rust_name}: {e}"));
        let expected = kernel_view(def, host);
        if reported(&info) != expected || info.name != def.name {
            wrong.push(format!(
                "{rust_name} ({}): declared {def:?}\n    expected {expected:?}, name {:?}\n    kernel   {:?}, name {:?}",
                def.map_type,
                def.name,
                reported(&info),
                info.name
            ));
        }
        // What the runtime kept is the declaration with max_entries resolved, not the kernel's
        // own adjustments: `def()` and `info()` differ exactly by those.
        assert_eq!(map.def().max_entries, def.resolve_for(host).max_entries, "{rust_name}");
    }
    assert!(wrong.is_empty(), "the kernel reports maps unlike their declarations:\n{}", wrong.join("\n"));
}

/// Every type of the rule book is declared above or listed as not standalone, so that a new
/// type cannot go untested.
#[test]
fn every_type_is_declared_or_explained() {
    let declared: Vec<MapType> = bpfmap::declarations().iter().map(|d| d.def.map_type).collect();
    for map_type in MapType::all() {
        let explained = NOT_STANDALONE.iter().find(|(t, _)| *t == map_type);
        match explained {
            Some((_, why)) => assert!(!declared.contains(&map_type), "{map_type} is declared and {why}"),
            None => assert!(declared.contains(&map_type), "{map_type} is neither declared nor explained"),
        }
    }
    // The rule book agrees that the BTF types cannot be created from a definition alone.
    for (map_type, why) in &NOT_STANDALONE[..5] {
        let rules = map_type.rules().expect("a known type");
        assert!(matches!(rules.creation, Creation::NeedsBtf { .. }), "{map_type} {why}");
    }
}

/// `insn_array` is created where the kernel has it (6.19 and later) and refused with EINVAL,
/// as an unknown type, where it does not.
#[test]
fn insn_array_where_the_kernel_has_it() {
    require_kernel!();
    let def = MapDef::new(MapType::INSN_ARRAY, 4, 8, 16);
    assert!(def.validate().is_ok());
    match bpfmap::create_map(&def) {
        Ok(map) => {
            let info = map.info().expect("info");
            assert_eq!(reported(&info), kernel_view(&def, HostLimits::current()));
        }
        Err(bpfmap::Error::Create { errno, .. }) if errno == bpfmap::Errno::EINVAL => {
            println!("insn_array: not in this kernel (EINVAL), as expected before 6.19");
        }
        Err(e) => panic!("insn_array: {e}"),
    }
}
