//! `MapOfMaps` against the kernel: a program looks an inner map up through the outer one and
//! reads and writes it; `set`, `get` (the inner map's id), `get_map`, `remove`, `keys`; a map
//! that does not match the template is refused with `EINVAL`; a template with a `SpinLock`
//! value has its BTF, so maps with the same lock go in (and lockless ones do not).

mod support;

use std::os::fd::OwnedFd;

use bpfmap::{
    ArrayMap, Errno, Error, HashMap, MapDef, MapFlags, MapType, Op, Pod, SpinLock, Update, bpf_map,
};
use support::bpf::{
    Alu, Asm, Jmp, MAP_LOOKUP_ELEM, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R6, R10, Size, load_prog, test_run,
};

/// The template of `Outer`'s maps, and a map of that shape itself.
#[bpf_map(type = "array", max_entries = 4)]
struct Inner {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array_of_maps", max_entries = 4, inner = Inner)]
struct Outer {
    key: u32,
    value: u32,
}

#[bpf_map(type = "hash", max_entries = 8)]
struct InnerHash {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash_of_maps", max_entries = 8, inner = InnerHash)]
struct ByName {
    key: [u8; 8],
    value: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod)]
struct Account {
    lock: SpinLock,
    owner: u32,
    balance: u64,
}

/// The template: a value with a lock, which the kernel knows only from the template's BTF.
#[bpf_map(type = "hash", max_entries = 16)]
struct Accounts {
    key: u32,
    value: Account,
}

#[bpf_map(type = "array_of_maps", max_entries = 2, inner = Accounts)]
struct Ledgers {
    key: u32,
    value: u32,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn inner_array() -> bpfmap::Map {
    bpfmap::create_map(&MapDef::new(MapType::ARRAY, 4, 8, 4)).unwrap_or_else(|e| panic!("create: {e}"))
}

/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];
const NO_INNER: i32 = 0xa;
const NO_VALUE: i32 = 0xb;

/// `inner = outer[slot]; v = inner[2]; inner[3] = v + 1; return v` (low half).
fn program(outer: &bpfmap::Map, slot: u32) -> OwnedFd {
    let mut asm = Asm::new();
    asm.lookup_u32(outer.fd(), slot as i32, NO_INNER)
        // R0 is now the inner map itself, usable as a helper's map argument.
        .mov64_reg(R6, R0)
        .st_mem(Size::W, R10, -8, 2)
        .mov64_reg(R1, R6)
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -8)
        .call(MAP_LOOKUP_ELEM)
        .jmp_imm(Jmp::Ne, R0, 0, 2)
        .mov64_imm(R0, NO_VALUE)
        .exit()
        .ldx_mem(Size::DW, R0, R0, 0)
        .stx_mem(Size::DW, R10, R0, -16)
        .st_mem(Size::W, R10, -8, 3)
        .mov64_reg(R1, R6)
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -8)
        .call(MAP_LOOKUP_ELEM)
        .jmp_imm(Jmp::Ne, R0, 0, 2)
        .mov64_imm(R0, NO_VALUE)
        .exit()
        .ldx_mem(Size::DW, R1, R10, -16)
        .alu64_imm(Alu::Add, R1, 1)
        .stx_mem(Size::DW, R0, R1, 0)
        .ldx_mem(Size::DW, R0, R10, -16)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_program_reads_and_writes_the_inner_map_through_the_outer() {
    require_kernel!();
    let maps = load();
    let outer_map = maps.map::<Outer>().expect("Outer");
    let outer = maps.get::<Outer>();
    let declared = maps.map::<Inner>().expect("Inner");
    let other = inner_array();
    maps.get::<Inner>().set(2, &0x100).expect("set");
    ArrayMap::<u64>::new(&other).expect("handle").set(2, &0x200).expect("set");

    let slot0 = program(outer_map, 0);
    let slot1 = program(outer_map, 1);
    assert_eq!(test_run(&slot0, &PACKET), Ok(NO_INNER as u32), "an empty slot holds no map");

    outer.set(&0, declared, Update::Any).expect("set slot 0");
    outer.set(&1, &other, Update::Any).expect("set slot 1");
    assert_eq!(test_run(&slot0, &PACKET), Ok(0x100));
    assert_eq!(test_run(&slot1, &PACKET), Ok(0x200));
    assert_eq!(maps.get::<Inner>().get(3).expect("get"), Some(0x101), "the program wrote the inner map");
    assert_eq!(ArrayMap::<u64>::new(&other).expect("handle").get(3).expect("get"), Some(0x201));

    // Replacing a slot's map redirects the program.
    outer.set(&0, &other, Update::Any).expect("replace slot 0");
    assert_eq!(test_run(&slot0, &PACKET), Ok(0x200));

    assert!(outer.remove(&0).expect("remove"));
    assert_eq!(test_run(&slot0, &PACKET), Ok(NO_INNER as u32));
    assert!(!outer.remove(&0).expect("remove again"));
    assert_eq!(test_run(&slot1, &PACKET), Ok(0x200), "the other slot stays");
}

#[test]
fn set_get_get_map_remove_and_keys() {
    require_kernel!();
    let maps = load();
    let outer = maps.get::<Outer>();
    let declared = maps.map::<Inner>().expect("Inner");
    let other = inner_array();
    assert_eq!(outer.get(&0).expect("get"), None);
    assert!(outer.get_map(&0).expect("get_map").is_none());

    outer.set(&0, declared, Update::Any).expect("set");
    outer.set(&3, &other, Update::Any).expect("set");
    assert_eq!(outer.get(&0).expect("get"), Some(declared.id().expect("id")), "get gives the inner map's id");
    assert_eq!(outer.get(&3).expect("get"), Some(other.id().expect("id")));
    // Arrays of fds take no update policy but BPF_ANY.
    for update in [Update::NoExist, Update::Exist] {
        let err = outer.set(&3, declared, update).expect_err("an array of maps refuses a policy");
        assert_eq!(err.errno(), Some(Errno::EINVAL), "{update:?}: {err}");
    }
    assert_eq!(outer.get(&3).expect("get"), Some(other.id().expect("id")), "slot 3 is unchanged");
    let err = outer.set(&4, declared, Update::Any).expect_err("past max_entries");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");

    // get_map opens the same map under a new fd.
    let reopened = outer.get_map(&3).expect("get_map").expect("slot 3 holds a map");
    assert_eq!(reopened.id().expect("id"), other.id().expect("id"));
    assert_eq!(reopened.def().map_type, MapType::ARRAY);
    ArrayMap::<u64>::new(&reopened).expect("handle").set(1, &77).expect("write through the new fd");
    assert_eq!(ArrayMap::<u64>::new(&other).expect("handle").get(1).expect("get"), Some(77));

    // An array of maps lists every index; only the filled ones look up.
    let keys = outer.keys().collect::<Result<Vec<_>, _>>().expect("keys");
    assert_eq!(keys, [0, 1, 2, 3]);
    let filled: Vec<u32> = keys.into_iter().filter(|k| outer.get(k).expect("get").is_some()).collect();
    assert_eq!(filled, [0, 3]);

    assert!(outer.remove(&3).expect("remove"));
    assert_eq!(outer.get(&3).expect("get"), None);
    // The inner map outlives its slot: this process still holds it.
    assert_eq!(ArrayMap::<u64>::new(&other).expect("handle").get(1).expect("get"), Some(77));
}

#[test]
fn a_map_unlike_the_template_is_named_before_the_syscall_and_the_kernel_agrees() {
    require_kernel!();
    let maps = load();
    let outer = maps.get::<Outer>();
    // The same map opened by id: its template is unknown here, so only the kernel checks.
    let blind = bpfmap::Map::from_id(maps.map::<Outer>().expect("Outer").id().expect("id")).expect("by id");
    let blind = bpfmap::MapOfMaps::<u32>::new(&blind).expect("handle");
    let unlike = [
        ("value_size", "8", "4", MapDef::new(MapType::ARRAY, 4, 4, 4)),
        ("max_entries", "4", "8", MapDef::new(MapType::ARRAY, 4, 8, 8)),
        ("type", "array", "hash", MapDef::new(MapType::HASH, 4, 8, 4)),
        ("flags", "none", "mmapable", MapDef::new(MapType::ARRAY, 4, 8, 4).with_flags(MapFlags::MMAPABLE)),
    ];
    for (field, template, given, def) in unlike {
        let map = bpfmap::create_map(&def).unwrap_or_else(|e| panic!("create: {e}"));
        let err = outer.set(&0, &map, Update::Any).expect_err(field);
        assert_eq!(err.errno(), Some(Errno::EINVAL), "{field}: {err}");
        match &err {
            Error::InnerMismatch { map: label, inner, diffs } => {
                assert_eq!(label.name, "outer");
                assert_eq!(*inner, map.id().expect("id"));
                assert_eq!(diffs.len(), 1, "{field}: {diffs:?}");
                assert_eq!((diffs[0].field, &*diffs[0].declared, &*diffs[0].found), (field, template, given));
            }
            other => panic!("{field}: expected InnerMismatch, got {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains(&format!("{field}: template {template}, given {given}")), "{message}");
        // What the check spared: the kernel refuses the same map with a bare EINVAL.
        let kernel = blind.set(&0, &map, Update::Any).expect_err(field);
        assert!(matches!(&kernel, Error::Map { op: Op::Update(_), errno: Errno::EINVAL, .. }), "{kernel:?}");
    }
    assert_eq!(outer.get(&0).expect("get"), None, "nothing was stored");
    // An fd that is no map at all: nothing to compare, the kernel answers.
    let file = std::fs::File::open("/proc/self/stat").expect("open");
    let err = outer.set(&0, &file, Update::Any).expect_err("not a map");
    assert_eq!(err.errno(), Some(Errno::EINVAL), "{err}");
    // A map like the template goes in.
    let like = inner_array();
    outer.set(&0, &like, Update::Any).expect("like the template");
    assert_eq!(outer.get(&0).expect("get"), Some(like.id().expect("id")));
}

#[test]
fn a_hash_of_maps_by_name() {
    require_kernel!();
    let maps = load();
    let by_name = maps.get::<ByName>();
    let a = bpfmap::create_map(&MapDef::new(MapType::HASH, 4, 8, 8)).expect("create");
    let b = bpfmap::create_map(&MapDef::new(MapType::HASH, 4, 8, 8)).expect("create");
    by_name.set(b"alpha\0\0\0", &a, Update::NoExist).expect("set alpha");
    by_name.set(b"beta\0\0\0\0", &b, Update::NoExist).expect("set beta");
    assert_eq!(by_name.get(b"alpha\0\0\0").expect("get"), Some(a.id().expect("id")));
    assert_eq!(by_name.get(b"gamma\0\0\0").expect("get"), None);
    let mut keys = by_name.keys().collect::<Result<Vec<_>, _>>().expect("keys");
    keys.sort();
    assert_eq!(keys, [*b"alpha\0\0\0", *b"beta\0\0\0\0"]);
    let err = by_name.set(b"alpha\0\0\0", &b, Update::NoExist).expect_err("alpha is taken");
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    by_name.set(b"alpha\0\0\0", &b, Update::Exist).expect("replace alpha");
    assert_eq!(by_name.get(b"alpha\0\0\0").expect("get"), Some(b.id().expect("id")));
    assert!(by_name.remove(b"alpha\0\0\0").expect("remove"));
    assert_eq!(by_name.keys().count(), 1);
    let err =
        by_name.set(b"array\0\0\0", inner_array(), Update::Any).expect_err("an array in a hash of hashes");
    assert_eq!(err.errno(), Some(Errno::EINVAL), "{err}");
}

#[test]
fn a_template_with_a_lock_takes_maps_with_the_same_lock() {
    require_kernel!();
    let maps = load();
    let ledgers = maps.get::<Ledgers>();
    // The declared map and a map made at run time from the same definition, both with their BTF.
    ledgers.set(&0, maps.map::<Accounts>().expect("Accounts"), Update::Any).expect("the declared map");
    let def = MapDef::new(MapType::HASH, 0, 0, 16).with_types::<u32, Account>();
    let made = bpfmap::create_map(&def).expect("create");
    assert_ne!(made.info().expect("info").btf_id, 0, "created with its BTF");
    ledgers.set(&1, &made, Update::Any).expect("a map with the same lock");
    let accounts = HashMap::<u32, Account>::new(&made).expect("handle");
    accounts
        .insert(&7, &Account { owner: 1, balance: 250, ..Default::default() }, Update::Any)
        .expect("insert");
    let inner = ledgers.get_map(&1).expect("get_map").expect("slot 1");
    let read = HashMap::<u32, Account>::new(&inner).expect("handle").get(&7).expect("get").expect("7");
    assert_eq!((read.owner, read.balance), (1, 250), "read under the lock through the outer map");

    // Without the lock (same sizes, no BTF), the map is not the template's kind.
    let lockless = bpfmap::create_map(&MapDef::new(MapType::HASH, 4, 16, 16)).expect("create");
    let err = ledgers.set(&1, &lockless, Update::Any).expect_err("no lock");
    assert!(matches!(&err, Error::Map { errno: Errno::EINVAL, .. }), "{err:?}");
}
