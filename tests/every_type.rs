//! Typed creation of every map type that can be created standalone: one `#[bpf_map]`
//! declaration each, created by `bpfmap::load()`, and each checked against what the kernel
//! reports of it (`BPF_OBJ_GET_INFO_BY_FD`): type, key size, value size, `max_entries`, flags,
//! name and `map_extra` as declared, up to the adjustments the kernel makes, which
//! [`kernel_view`] lists.

#[macro_use]
mod support;

use bpfmap::{Creation, HostLimits, MapDecl, MapDef, MapFlags, MapInfo, MapType, Maps, Pod, bpf_map};

include!("support/every_type_decls.rs");

/// The types `#[bpf_map]` cannot declare for creation on its own, and why.
const NOT_STANDALONE: [(MapType, &str); 2] = [
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
        one::<PerSocket>(maps),
        one::<PerInode>(maps),
        one::<PerTask>(maps),
        one::<PerCgroupV2>(maps),
    ]
}

/// What the kernel reports of a map declared as `def`: (type, key size, value size,
/// max_entries, flags, map_extra). The adjustments the kernel makes (perf event arrays of one
/// entry per CPU, LRU lists rounded up to the CPUs, `rdonly`/`wronly` kept by the fd only,
/// `rdonly_prog` forced on device maps) are the runtime's `MapDef::as_reported`, which the
/// loader trusts when it compares pins: this test holds it to the kernel.
fn kernel_view(def: &MapDef, host: &HostLimits) -> (MapType, u32, u32, u32, MapFlags, u64) {
    let def = def.as_reported(host);
    (def.map_type, def.key_size, def.value_size, def.max_entries, def.flags, def.map_extra)
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
        // BTF where the type takes its key and value types, and none where the kernel refuses
        // it (fd maps, queues): one object for every map of the load.
        let with_btf = (info.btf_id != 0, info.btf_value_type_id != 0);
        if with_btf != (def.takes_btf(), def.takes_btf()) {
            wrong.push(format!(
                "{rust_name} ({}): BTF id {}, value type {}",
                def.map_type, info.btf_id, info.btf_value_type_id
            ));
        }
        // What the runtime kept is the declaration with max_entries resolved, not the kernel's
        // own adjustments: `def()` and `info()` differ exactly by those.
        assert_eq!(map.def().max_entries, def.resolve_for(host).max_entries, "{rust_name}");
    }
    assert!(wrong.is_empty(), "the kernel reports maps unlike their declarations:\n{}", wrong.join("\n"));
    // Every map that carries BTF carries the same object.
    let ids: std::collections::BTreeSet<u32> =
        declared.iter().map(|(_, _, map)| map.info().expect("info").btf_id).filter(|&id| id != 0).collect();
    assert_eq!(ids.len(), 1, "one BTF object for the whole load: {ids:?}");
    let typed = declared.iter().filter(|(_, def, _)| def.takes_btf()).count();
    assert!(typed >= 15, "most types take BTF: {typed}");
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
    // The rule book agrees that struct_ops needs the kernel's BTF, which bpfmap does not pass.
    for (map_type, why) in &NOT_STANDALONE[..1] {
        let rules = map_type.rules().expect("a known type");
        assert!(matches!(rules.creation, Creation::NeedsBtf { .. }), "{map_type} {why}");
    }
}

/// `insn_array` is created where the kernel has it (6.19 and later) and refused with EINVAL,
/// as an unknown type, where it does not: which of the two is asked of the kernel first,
/// without bpfmap.
#[test]
fn insn_array_where_the_kernel_has_it() {
    require_kernel!();
    let kernel_has_it = match support::bpf::raw_map_create(MapType::INSN_ARRAY.raw(), 4, 8, 16) {
        Ok(_) => true,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => false,
        Err(e) => panic!("the raw create of an insn_array failed otherwise: {e}"),
    };
    let def = MapDef::new(MapType::INSN_ARRAY, 4, 8, 16);
    assert!(def.validate().is_ok());
    match bpfmap::create_map(&def) {
        Ok(map) if kernel_has_it => {
            let info = map.info().expect("info");
            assert_eq!(reported(&info), kernel_view(&def, HostLimits::current()));
        }
        Err(bpfmap::Error::Create { errno, cause, .. }) if !kernel_has_it => {
            assert_eq!(errno, bpfmap::Errno::EINVAL);
            assert!(
                matches!(&cause, bpfmap::Cause::Unsupported { feature, .. } if feature == "map type `insn_array`"),
                "{cause:?}"
            );
        }
        other => panic!("the kernel has insn_array: {kernel_has_it}, but bpfmap says {other:?}"),
    }
}
