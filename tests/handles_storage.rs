//! Cgroup storage against the kernel: the storage of a cgroup exists while a program that uses
//! the map is attached to the cgroup; it is found by `keys()`, read and written by its key,
//! and a write to a cgroup without storage is explained. Keyed by cgroup and attach type
//! (`CgroupStorageKey`), a storage with a `SpinLock` value is created with its BTF and read and
//! written under its lock.

mod support;

use bpfmap::{CgroupStorageKey, Error, Op, PerCpuValues, Pod, SpinLock, Update, bpf_map};
use support::bpf::{Asm, GET_LOCAL_STORAGE, R0, R1, R2, load_prog};
use support::cgroup::{Cgroup, INET_INGRESS, PROG_TYPE_CGROUP_SKB};

/// Keyed by cgroup id (8 bytes).
#[bpf_map(type = "cgroup_storage", name = "st_bytes")]
struct Bytes {
    key: u64,
    value: u64,
}

#[bpf_map(type = "percpu_cgroup_storage", name = "st_packets")]
struct Packets {
    key: u64,
    value: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod)]
struct Counters {
    lock: SpinLock,
    packets: u32,
    bytes: u64,
}

/// Keyed by cgroup and attach type; the lock makes it need its BTF, and the kernel checks the
/// key's.
#[bpf_map(type = "cgroup_storage", name = "st_locked")]
struct Locked {
    key: CgroupStorageKey,
    value: Counters,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// A cgroup_skb program that asks for its storage in `used` (and lets every packet through):
/// attaching it gives the cgroup one storage entry per map. The kernel allows a program one
/// storage of each type (shared and per-CPU).
fn storage_program(used: &[&bpfmap::Map]) -> std::os::fd::OwnedFd {
    let mut asm = Asm::new();
    for map in used {
        asm.ld_map_fd(R1, map.fd()).mov64_imm(R2, 0).call(GET_LOCAL_STORAGE);
    }
    asm.mov64_imm(R0, 1).exit();
    load_prog(PROG_TYPE_CGROUP_SKB, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn keys_find_the_storage_of_an_attached_cgroup() {
    require_kernel!();
    let maps = load();
    let bytes = maps.get::<Bytes>();
    let packets = maps.get::<Packets>();
    assert_eq!(bytes.keys().count(), 0, "no cgroup has storage yet");
    let cgroup = Cgroup::new("storage").unwrap_or_else(|e| panic!("{e}"));
    let used = [maps.map::<Bytes>().expect("Bytes"), maps.map::<Packets>().expect("Packets")];
    cgroup.attach(storage_program(&used), INET_INGRESS).unwrap_or_else(|e| panic!("{e}"));

    let keys = bytes.keys().collect::<Result<Vec<u64>, Error>>().expect("keys");
    assert_eq!(keys, [cgroup.id()], "the attached cgroup, and nothing more");
    bytes.set(&cgroup.id(), &41).expect("set");
    assert_eq!(bytes.get(&cgroup.id()).expect("get"), Some(41));

    let keys = packets.keys().collect::<Result<Vec<u64>, Error>>().expect("keys");
    assert_eq!(keys, [cgroup.id()]);
    let per_cpu = PerCpuValues::from_fn(|cpu| cpu as u32 + 7).expect("values");
    packets.set(&cgroup.id(), &per_cpu).expect("set");
    let read = packets.get(&cgroup.id()).expect("get").expect("storage");
    assert_eq!(read.len(), support::possible_cpus());
    assert_eq!(read, per_cpu);
}

#[test]
fn a_write_to_a_cgroup_without_storage_is_explained() {
    require_kernel!();
    let maps = load();
    let err = maps.get::<Bytes>().set(&12345, &1).expect_err("no such cgroup storage");
    assert!(matches!(&err, Error::Map { op: Op::Update(Update::Any), .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "ENOENT (no such file or directory): this cgroup has no storage: it exists only while a program that uses the map is attached to the cgroup"
        ),
        "{err}"
    );
    assert_eq!(maps.get::<Bytes>().get(&12345).expect("get"), None);
}

#[test]
fn storage_keyed_by_attach_type_is_read_and_written_under_its_lock() {
    require_kernel!();
    let maps = load();
    let map = maps.map::<Locked>().expect("Locked");
    let btf = map.btf().expect("read back").expect("a locked storage is created with its BTF");
    assert_eq!(btf.btf.name(btf.key).expect("the key type"), "bpf_cgroup_storage_key");
    assert_eq!(btf.btf.members(btf.key).expect("a struct").len(), 2, "the kernel's two members");
    let locked = maps.get::<Locked>();
    let cgroup = Cgroup::new("locked").unwrap_or_else(|e| panic!("{e}"));
    cgroup.attach(storage_program(&[map]), INET_INGRESS).unwrap_or_else(|e| panic!("{e}"));

    let key = CgroupStorageKey::new(cgroup.id(), INET_INGRESS);
    let keys = locked.keys().collect::<Result<Vec<_>, Error>>().expect("keys");
    assert_eq!(keys, [key], "one storage, for the attach type the program was attached with");
    locked.set(&key, &Counters { lock: SpinLock::default(), packets: 3, bytes: 4500 }).expect("set");
    let read = locked.get(&key).expect("get").expect("storage");
    assert_eq!((read.packets, read.bytes), (3, 4500));
    let other = CgroupStorageKey::new(cgroup.id(), 1); // BPF_CGROUP_INET_EGRESS: nothing attached
    assert!(locked.get(&other).expect("get").is_none());
}
