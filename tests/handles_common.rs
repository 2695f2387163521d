//! What every typed handle has, against the kernel, one map of each family: `map()`, `info()`
//! (the kernel's report of that very map), `AsFd` (the map's fd), and `freeze()`, after which
//! every write from user space fails with `EPERM` and an error that says the map is frozen,
//! while reads still work.

mod support;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use bpfmap::{Errno, Error, LpmKey, Map, MapInfo, Op, PerCpuValues, Update, WhenFull, bpf_map};

#[bpf_map(type = "hash", max_entries = 8)]
struct Hash {
    key: u32,
    value: u64,
}

#[bpf_map(type = "lru_hash", max_entries = 8)]
struct Lru {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 8, flags = "mmapable")]
struct Array {
    key: u32,
    value: u64,
}

#[bpf_map(type = "percpu_hash", max_entries = 8)]
struct PcpuHash {
    key: u32,
    value: u64,
}

#[bpf_map(type = "percpu_array", max_entries = 8)]
struct PcpuArray {
    key: u32,
    value: u64,
}

#[bpf_map(type = "lpm_trie", max_entries = 8, flags = "no_prealloc")]
struct Trie {
    key: LpmKey<[u8; 4]>,
    value: u32,
}

#[bpf_map(type = "queue", max_entries = 8)]
struct Fifo {
    value: u64,
}

#[bpf_map(type = "stack", max_entries = 8)]
struct Lifo {
    value: u64,
}

#[bpf_map(type = "bloom_filter", max_entries = 8)]
struct Bloom {
    value: u64,
}

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Ring;

#[bpf_map(type = "user_ringbuf", max_entries = 4096)]
struct UserRing;

#[bpf_map(type = "array", max_entries = 1)]
struct Template {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array_of_maps", max_entries = 2, inner = Template)]
struct Outer {
    key: u32,
    value: u32,
}

#[bpf_map(type = "prog_array", max_entries = 2)]
struct Progs {
    key: u32,
    value: u32,
}

#[bpf_map(type = "perf_event_array", max_entries = 2)]
struct Perf {
    key: u32,
    value: u32,
}

#[bpf_map(type = "cgroup_array", max_entries = 2)]
struct Cgroups {
    key: u32,
    value: u32,
}

#[bpf_map(type = "devmap", max_entries = 2)]
struct Devs {
    key: u32,
    value: u32,
}

#[bpf_map(type = "cpumap", max_entries = 2)]
struct Cpus {
    key: u32,
    value: u32,
}

#[bpf_map(type = "xskmap", max_entries = 2)]
struct Xsks {
    key: u32,
    value: u32,
}

#[bpf_map(type = "sockmap", max_entries = 2)]
struct Socks {
    key: u32,
    value: u64,
}

#[bpf_map(type = "reuseport_sockarray", max_entries = 2)]
struct Reuse {
    key: u32,
    value: u64,
}

#[bpf_map(type = "stack_trace", max_entries = 2)]
struct Traces {
    key: u32,
    value: [u64; 8],
}

#[bpf_map(type = "cgroup_storage")]
struct Storage {
    key: u64,
    value: u64,
}

#[bpf_map(type = "percpu_cgroup_storage")]
struct PcpuStorage {
    key: u64,
    value: u64,
}

#[bpf_map(type = "arena", max_entries = 4, flags = "mmapable")]
struct Heap;

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// `info()` describes `map` itself, `AsFd` is its fd, and `map()` is it.
fn check_identity(map: &Map, handle_map: &Map, fd: BorrowedFd<'_>, info: Result<MapInfo, Error>) {
    let name = map.name();
    let info = info.unwrap_or_else(|e| panic!("{name}: info: {e}"));
    assert_eq!(info.id, map.id().expect("id"), "{name}: info is the map's");
    assert_eq!(info.map_type, map.def().map_type, "{name}");
    assert_eq!(info.name.as_str(), name);
    assert_eq!(fd.as_raw_fd(), map.fd().as_raw_fd(), "{name}: AsFd gives the map's fd");
    assert!(std::ptr::eq(handle_map, map), "{name}: map() is the map");
}

/// A write to a frozen map: `EPERM`, and the message says why.
fn assert_frozen<T>(what: &str, result: Result<T, Error>) {
    let Err(err) = result else { panic!("{what}: a write to a frozen map succeeded") };
    assert_eq!(err.errno(), Some(Errno::EPERM), "{what}: {err}");
    let message = err.to_string();
    assert!(message.contains("frozen"), "{what}: the message does not say the map is frozen: {message}");
}

/// Freezes through the handle; a second freeze is refused as a write would be (`EPERM`).
fn freeze(what: &str, result: Result<(), Error>, again: Result<(), Error>) {
    result.unwrap_or_else(|e| panic!("{what}: freeze: {e}"));
    let err = again.expect_err("a second freeze");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{what}: {err}");
    assert!(matches!(&err, Error::Map { op: Op::Freeze, .. }), "{what}: {err:?}");
}

/// An fd of no use to any map: frozen maps refuse writes before looking at the value.
fn some_fd() -> std::fs::File {
    std::fs::File::open("/proc/self/stat").expect("open")
}

macro_rules! identity {
    ($maps:ident, $decl:ty) => {{
        let handle = $maps.get::<$decl>();
        let map = $maps.map::<$decl>().expect(stringify!($decl));
        check_identity(map, handle.map(), handle.as_fd(), handle.info());
        handle
    }};
}

#[test]
fn hash_like_handles() {
    require_kernel!();
    let maps = load();
    for handle in [identity!(maps, Hash), identity!(maps, Lru)] {
        handle.insert(&1, &10, Update::Any).expect("insert");
        freeze("hash", handle.freeze(), handle.freeze());
        assert_frozen("insert", handle.insert(&2, &20, Update::Any));
        assert_frozen("remove", handle.remove(&1));
        assert_frozen("get_and_remove", handle.get_and_remove(&1));
        assert_frozen("insert_batch", handle.insert_batch(&[3], &[30], Update::Any));
        assert_frozen("remove_batch", handle.remove_batch(&[1]));
        assert_frozen("drain", handle.drain().next().expect("an error"));
        assert_frozen("clear", handle.clear());
        assert_eq!(handle.get(&1).expect("reads still work"), Some(10));
        assert_eq!(handle.iter().count(), 1);
    }

    let pcpu = identity!(maps, PcpuHash);
    pcpu.insert(&1, &PerCpuValues::splat(5).expect("possible CPUs"), Update::Any).expect("insert");
    freeze("percpu_hash", pcpu.freeze(), pcpu.freeze());
    assert_frozen("insert", pcpu.insert(&2, &PerCpuValues::splat(1).expect("possible CPUs"), Update::Any));
    assert_frozen("remove", pcpu.remove(&1));
    assert_frozen(
        "insert_batch",
        pcpu.insert_batch(&[3], &[PerCpuValues::splat(1).expect("possible CPUs")], Update::Any),
    );
    assert_frozen("drain", pcpu.drain().next().expect("an error"));
    assert_eq!(pcpu.get(&1).expect("reads still work"), Some(PerCpuValues::splat(5).expect("possible CPUs")));

    let trie = identity!(maps, Trie);
    freeze("lpm_trie", trie.freeze(), trie.freeze());
    assert_frozen("insert", trie.insert(&LpmKey::new(8, [10, 0, 0, 0]), &1, Update::Any));
    assert_eq!(trie.longest_match([10, 0, 0, 1]).expect("reads still work"), None);
}

#[test]
fn array_handles() {
    require_kernel!();
    let maps = load();
    let array = identity!(maps, Array);
    array.set(1, &11).expect("set");
    freeze("array", array.freeze(), array.freeze());
    assert_frozen("set", array.set(1, &12));
    assert_frozen("set_batch", array.set_batch(&[1], &[12]));
    let err = array.mmap().map(drop).expect_err("a writable view of a frozen array");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
    assert_eq!(array.get(1).expect("reads still work"), Some(11));

    let pcpu = identity!(maps, PcpuArray);
    freeze("percpu_array", pcpu.freeze(), pcpu.freeze());
    assert_frozen("set", pcpu.set(0, &PerCpuValues::splat(1).expect("possible CPUs")));
    assert_frozen("set_batch", pcpu.set_batch(&[0], &[PerCpuValues::splat(1).expect("possible CPUs")]));
    assert_eq!(pcpu.get(0).expect("reads still work"), Some(PerCpuValues::zeroed().expect("possible CPUs")));
}

#[test]
fn keyless_handles() {
    require_kernel!();
    let maps = load();
    let fifo = identity!(maps, Fifo);
    let lifo = identity!(maps, Lifo);
    fifo.push(&1, WhenFull::Refuse).expect("push");
    lifo.push(&1, WhenFull::Refuse).expect("push");
    freeze("queue", fifo.freeze(), fifo.freeze());
    freeze("stack", lifo.freeze(), lifo.freeze());
    assert_frozen("push", fifo.push(&2, WhenFull::Refuse));
    assert_frozen("pop", fifo.pop());
    assert_frozen("push", lifo.push(&2, WhenFull::Refuse));
    assert_frozen("pop", lifo.pop());
    assert_eq!(fifo.peek().expect("peek still works"), Some(1));
    assert_eq!(lifo.peek().expect("peek still works"), Some(1));

    let bloom = identity!(maps, Bloom);
    bloom.insert(&7).expect("insert");
    freeze("bloom_filter", bloom.freeze(), bloom.freeze());
    assert_frozen("insert", bloom.insert(&8));
    assert!(bloom.contains(&7).expect("reads still work"));
}

#[test]
fn ring_buffer_handles() {
    require_kernel!();
    let maps = load();
    let ring = identity!(maps, Ring);
    freeze("ringbuf", ring.freeze(), ring.freeze());
    // The consumer writes its position into the map's memory: a writable mapping.
    let err = ring.consumer().map(drop).expect_err("a consumer of a frozen ring");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
    assert!(matches!(&err, Error::Map { op: Op::Mmap, .. }), "{err:?}");

    let user = identity!(maps, UserRing);
    freeze("user_ringbuf", user.freeze(), user.freeze());
    let err = user.producer().map(drop).expect_err("a producer of a frozen ring");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
}

#[test]
fn fd_handles() {
    require_kernel!();
    let maps = load();
    let outer = identity!(maps, Outer);
    freeze("array_of_maps", outer.freeze(), outer.freeze());
    assert_frozen("set", outer.set(&0, maps.map::<Template>().expect("Template"), Update::Any));
    assert_frozen("remove", outer.remove(&0));
    assert_eq!(outer.get(&0).expect("reads still work"), None);

    let progs = identity!(maps, Progs);
    freeze("prog_array", progs.freeze(), progs.freeze());
    assert_frozen("set", progs.set(0, some_fd()));
    assert_frozen("remove", progs.remove(0));

    let perf = identity!(maps, Perf);
    freeze("perf_event_array", perf.freeze(), perf.freeze());
    assert_frozen("set", perf.set(0, some_fd()));

    let cgroups = identity!(maps, Cgroups);
    freeze("cgroup_array", cgroups.freeze(), cgroups.freeze());
    assert_frozen("set", cgroups.set(0, some_fd()));

    let devs = identity!(maps, Devs);
    freeze("devmap", devs.freeze(), devs.freeze());
    assert_frozen("set", devs.set(0, 1, None::<std::fs::File>));

    let cpus = identity!(maps, Cpus);
    freeze("cpumap", cpus.freeze(), cpus.freeze());
    assert_frozen("set", cpus.set(0, 64, None::<std::fs::File>));

    let xsks = identity!(maps, Xsks);
    freeze("xskmap", xsks.freeze(), xsks.freeze());
    assert_frozen("set", xsks.set(0, some_fd()));

    let socks = identity!(maps, Socks);
    freeze("sockmap", socks.freeze(), socks.freeze());
    assert_frozen("set", socks.set(&0, some_fd(), Update::Any));

    let reuse = identity!(maps, Reuse);
    freeze("reuseport_sockarray", reuse.freeze(), reuse.freeze());
    assert_frozen("set", reuse.set(0, some_fd(), Update::Any));
}

#[test]
fn other_handles() {
    require_kernel!();
    let maps = load();
    let traces = identity!(maps, Traces);
    freeze("stack_trace", traces.freeze(), traces.freeze());
    assert_frozen("remove", traces.remove(0));
    assert_eq!(traces.ids().count(), 0);

    // Cgroup storage has entries only while a program using it is attached; a frozen map
    // refuses the write before looking for the entry.
    let storage = identity!(maps, Storage);
    assert_eq!(storage.keys().count(), 0);
    freeze("cgroup_storage", storage.freeze(), storage.freeze());
    assert_frozen("set", storage.set(&1, &1));
    let pcpu = identity!(maps, PcpuStorage);
    assert_eq!(pcpu.get(&1).expect("get"), None);
    freeze("percpu_cgroup_storage", pcpu.freeze(), pcpu.freeze());
    assert_frozen("set", pcpu.set(&1, &PerCpuValues::splat(1).expect("possible CPUs")));
}

#[test]
fn arena_handle() {
    require_kernel!();
    let maps = load();
    let heap = identity!(maps, Heap);
    let memory = heap.mmap().unwrap_or_else(|e| panic!("mmap: {e}"));
    assert_eq!(memory.len(), 4 * 4096);
    assert!(!memory.is_empty());
    let word = memory.as_ptr().wrapping_add(2 * 4096 + 8) as *mut u64;
    // SAFETY: within the mapping, 8-aligned; the kernel gives a user-space write a page.
    unsafe { word.write_volatile(0x1234_5678) };
    // SAFETY: as above; the page is now present.
    assert_eq!(unsafe { word.read_volatile() }, 0x1234_5678);
}

#[test]
fn a_frozen_arena_cannot_be_mapped() {
    require_kernel!();
    let maps = load();
    let heap = identity!(maps, Heap);
    // Frozen before any mapping: once an arena has been mapped writable, this kernel refuses to
    // freeze it (EBUSY), even after the mapping is gone.
    freeze("arena", heap.freeze(), heap.freeze());
    let err = heap.mmap().map(drop).expect_err("a writable mapping of a frozen arena");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
}
