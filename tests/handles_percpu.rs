//! Per-CPU maps against the kernel: a program run on each CPU in turn writes that CPU's slot,
//! and `PerCpuArray`/`PerCpuHashMap` read one value per CPU; `get_into` reuses its buffer;
//! batch insert, iteration and drain keep each CPU's value apart; iteration ends while another
//! thread deletes.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use bpfmap::{Error, PerCpuHashMap, PerCpuValues, Update, bpf_map};
use support::bpf::{
    Alu, Asm, GET_SMP_PROCESSOR_ID, Insn, Jmp, MAP_UPDATE_ELEM, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4,
    R6, R10, Size, load_prog, test_run,
};

/// Counts the allocations of each thread, so a test can tell that a call allocates nothing.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A thread being torn down has no counter left; its allocations are not counted.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded; `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[bpf_map(type = "percpu_array", max_entries = 4)]
struct Slots {
    key: u32,
    value: u64,
}

#[bpf_map(type = "percpu_hash", max_entries = 128)]
struct Hits {
    key: u32,
    value: u64,
}

/// 12-byte values: each CPU's slot is 16 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bpfmap::Pod)]
struct Triple {
    a: u32,
    b: u32,
    c: u32,
}

#[bpf_map(type = "percpu_array", max_entries = 3)]
struct Triples {
    key: u32,
    value: Triple,
}

#[bpf_map(type = "percpu_hash", max_entries = 512, flags = "no_prealloc")]
struct Churn {
    key: u32,
    value: u64,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn cpus() -> usize {
    support::possible_cpus()
}

/// Runs `f` on a thread pinned to `cpu`; `None` if the CPU cannot be used (offline).
fn on_cpu<T: Send>(cpu: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes within it.
            let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
            // SAFETY: as above; `cpu` < CPU_SETSIZE on any machine this runs on.
            unsafe { libc::CPU_SET(cpu, &mut set) };
            // SAFETY: pid 0 is this thread; `set` is a valid cpu_set_t of the size given.
            let pinned = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) } == 0;
            pinned.then(f)
        })
        .join()
        .expect("the pinned thread panicked")
    })
}

/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];
const MISSING: i32 = 0xdead;

/// What the program writes on CPU `cpu`.
fn written(cpu: usize) -> u64 {
    (cpu as u64 + 1) * 1000 + 7
}

/// `percpu_array[index] = (cpu + 1) * 1000 + 7` on the CPU it runs on, through the pointer
/// the lookup returns (this CPU's copy); returns the CPU.
fn array_program(array: &bpfmap::Map, index: u32) -> Vec<Insn> {
    let mut asm = Asm::new();
    asm.call(GET_SMP_PROCESSOR_ID)
        .mov64_reg(R6, R0)
        .lookup_u32(array.fd(), index as i32, MISSING)
        .mov64_reg(R1, R6)
        .alu64_imm(Alu::Add, R1, 1)
        .alu64_imm(Alu::Mul, R1, 1000)
        .alu64_imm(Alu::Add, R1, 7)
        .stx_mem(Size::DW, R0, R1, 0)
        .mov64_reg(R0, R6)
        .exit();
    asm.insns().to_vec()
}

/// `bpf_map_update_elem(percpu_hash, &key, &((cpu + 1) * 1000 + 7), BPF_ANY)`: the helper
/// writes only the running CPU's copy. Returns the CPU, or the helper's error.
fn hash_program(hash: &bpfmap::Map, key: u32) -> Vec<Insn> {
    let mut asm = Asm::new();
    asm.call(GET_SMP_PROCESSOR_ID)
        .mov64_reg(R6, R0)
        .mov64_reg(R1, R6)
        .alu64_imm(Alu::Add, R1, 1)
        .alu64_imm(Alu::Mul, R1, 1000)
        .alu64_imm(Alu::Add, R1, 7)
        .stx_mem(Size::DW, R10, R1, -16)
        .st_mem(Size::W, R10, -4, key as i32)
        .ld_map_fd(R1, hash.fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -4)
        .mov64_reg(R3, R10)
        .alu64_imm(Alu::Add, R3, -16)
        .mov64_imm(R4, 0)
        .call(MAP_UPDATE_ELEM)
        .jmp_imm(Jmp::Eq, R0, 0, 1)
        .exit()
        .mov64_reg(R0, R6)
        .exit();
    asm.insns().to_vec()
}

/// Runs `prog` once on every CPU that can be used; returns those CPUs.
fn run_on_every_cpu(prog: &std::os::fd::OwnedFd) -> Vec<usize> {
    let mut ran = Vec::new();
    for cpu in 0..cpus() {
        if let Some(result) = on_cpu(cpu, || test_run(prog, &PACKET)) {
            assert_eq!(result, Ok(cpu as u32), "the program ran on CPU {cpu}");
            ran.push(cpu);
        }
    }
    assert!(!ran.is_empty(), "no CPU could be used");
    ran
}

#[test]
fn a_program_writes_each_cpus_slot_of_a_percpu_array() {
    require_kernel!();
    let maps = load();
    let slots = maps.get::<Slots>();
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, &array_program(maps.map::<Slots>().expect("Slots"), 2))
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = run_on_every_cpu(&prog);

    let values = slots.get(2).expect("get").expect("index 2 exists");
    assert_eq!(values.len(), cpus(), "one value per possible CPU");
    for cpu in 0..cpus() {
        let want = if ran.contains(&cpu) { written(cpu) } else { 0 };
        assert_eq!(values.get(cpu), Some(want), "CPU {cpu}");
    }
    assert_eq!(values.get(cpus()), None, "past the last CPU");
    assert_eq!(values.iter().sum::<u64>(), ran.iter().map(|&c| written(c)).sum::<u64>());
    assert_eq!(
        slots.get(1).expect("get"),
        Some(PerCpuValues::zeroed().expect("possible CPUs")),
        "other indexes untouched"
    );
    assert_eq!(slots.get(4).expect("get past the end"), None);

    // Rust's write reaches every CPU's copy, and the program then overwrites its own.
    slots.set(2, &PerCpuValues::from_fn(|cpu| cpu as u64 + 100).expect("possible CPUs")).expect("set");
    assert_eq!(
        slots.get(2).expect("get"),
        Some(PerCpuValues::from_fn(|cpu| cpu as u64 + 100).expect("possible CPUs"))
    );
    if let Some(Ok(0)) = on_cpu(0, || test_run(&prog, &PACKET)) {
        let values = slots.get(2).expect("get").expect("index 2");
        assert_eq!(values.get(0), Some(written(0)));
        assert!((1..cpus()).all(|cpu| values.get(cpu) == Some(cpu as u64 + 100)), "{values:?}");
    }
}

#[test]
fn a_program_update_of_a_percpu_hash_writes_only_its_cpu() {
    require_kernel!();
    let maps = load();
    let hits = maps.get::<Hits>();
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, &hash_program(maps.map::<Hits>().expect("Hits"), 9))
        .unwrap_or_else(|e| panic!("{e}"));

    // The first run creates the key: its CPU holds the value, the others zero.
    let first = on_cpu(0, || test_run(&prog, &PACKET)).expect("CPU 0 is online");
    assert_eq!(first, Ok(0));
    let values = hits.get(&9).expect("get").expect("the program created key 9");
    assert_eq!(values.get(0), Some(written(0)));
    assert!((1..cpus()).all(|cpu| values.get(cpu) == Some(0)), "{values:?}");

    let ran = run_on_every_cpu(&prog);
    let values = hits.get(&9).expect("get").expect("key 9");
    for cpu in 0..cpus() {
        let want = if ran.contains(&cpu) { written(cpu) } else { 0 };
        assert_eq!(values.get(cpu), Some(want), "CPU {cpu}");
    }
    let entries = hits.iter().collect::<Result<Vec<_>, _>>().expect("iter");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, 9);
    assert_eq!(entries[0].1, values, "iteration reads the same per-CPU values");
}

#[test]
fn get_into_reuses_its_buffer() {
    require_kernel!();
    let maps = load();
    let hits = maps.get::<Hits>();
    let slots = maps.get::<Slots>();
    hits.insert(&1, &PerCpuValues::from_fn(|cpu| 10 + cpu as u64).expect("possible CPUs"), Update::Any)
        .expect("insert 1");
    hits.insert(&2, &PerCpuValues::from_fn(|cpu| 20 + cpu as u64).expect("possible CPUs"), Update::Any)
        .expect("insert 2");
    slots.set(3, &PerCpuValues::from_fn(|cpu| 30 + cpu as u64).expect("possible CPUs")).expect("set 3");

    let mut values = PerCpuValues::splat(u64::MAX).expect("possible CPUs");
    let before = allocations();
    let mut sums = [0u64; 4];
    for _ in 0..100 {
        assert!(hits.get_into(&1, &mut values).expect("get_into 1"));
        sums[0] = values.iter().sum();
        assert!(hits.get_into(&2, &mut values).expect("get_into 2"));
        sums[1] = values.iter().sum();
        assert!(!hits.get_into(&3, &mut values).expect("get_into an absent key"));
        assert!(slots.get_into(3, &mut values).expect("get_into slot 3"));
        sums[2] = values.iter().sum();
        assert!(!slots.get_into(4, &mut values).expect("get_into past the end"));
    }
    assert_eq!(allocations(), before, "get_into allocates nothing");
    let n = cpus() as u64;
    let sum_of_cpus = n * (n - 1) / 2;
    assert_eq!(sums[..3], [10 * n + sum_of_cpus, 20 * n + sum_of_cpus, 30 * n + sum_of_cpus]);
    assert_eq!(
        values,
        PerCpuValues::from_fn(|cpu| 30 + cpu as u64).expect("possible CPUs"),
        "the last value read stays"
    );
}

#[test]
fn batch_insert_iterate_and_drain_keep_each_cpus_value() {
    require_kernel!();
    let maps = load();
    let hits = maps.get::<Hits>();
    let value = |key: u32, cpu: usize| u64::from(key) << 32 | (cpu as u64 + 1);
    let keys: Vec<u32> = (0..100).map(|i| i * 7 + 3).collect();
    let values: Vec<PerCpuValues<u64>> =
        keys.iter().map(|&k| PerCpuValues::from_fn(|cpu| value(k, cpu)).expect("possible CPUs")).collect();
    assert_eq!(hits.insert_batch(&keys, &values, Update::Any).expect("insert_batch"), 100);
    for &key in &[3, 3 + 7 * 50, 3 + 7 * 99] {
        let got = hits.get(&key).expect("get").expect("inserted");
        assert!((0..cpus()).all(|cpu| got.get(cpu) == Some(value(key, cpu))), "key {key}: {got:?}");
    }

    let check = |entries: Vec<(u32, PerCpuValues<u64>)>, what: &str| {
        let entries: BTreeMap<u32, PerCpuValues<u64>> = entries.into_iter().collect();
        assert_eq!(entries.keys().copied().collect::<Vec<_>>(), keys, "{what}: the keys");
        for (key, got) in &entries {
            let want: Vec<u64> = (0..cpus()).map(|cpu| value(*key, cpu)).collect();
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{what}: key {key}");
        }
    };
    check(hits.iter().collect::<Result<_, _>>().expect("iter"), "iter");

    // NoExist goes pair by pair (the kernel's batch takes no policy) and stops at key 3.
    let err = hits.insert_batch(&[1, 3], &values[..2], Update::NoExist).expect_err("key 3 exists");
    assert_eq!(err.errno(), Some(bpfmap::Errno::EEXIST), "{err}");
    assert!(hits.remove(&1).expect("key 1 was written before the failing key"));

    assert_eq!(hits.get_and_remove(&3).expect("get_and_remove"), Some(values[0].clone()));
    assert_eq!(hits.get(&3).expect("get"), None);
    hits.insert(&3, &values[0], Update::NoExist).expect("put key 3 back");

    check(hits.drain().collect::<Result<_, _>>().expect("drain"), "drain");
    assert_eq!(hits.iter().count(), 0, "drain empties the map");

    hits.insert_batch(&keys, &values, Update::Any).expect("refill");
    assert_eq!(hits.remove_batch(&keys[..60]).expect("remove_batch"), 60);
    assert_eq!(hits.keys().count(), 40);
    hits.clear().expect("clear");
    assert_eq!(hits.keys().count(), 0);
}

#[test]
fn percpu_array_set_batch_and_iter_with_padded_values() {
    require_kernel!();
    let maps = load();
    let triples = maps.get::<Triples>();
    assert_eq!(PerCpuValues::<Triple>::STRIDE, 16, "12-byte values sit 16 bytes apart");
    let triple = |i: u32, cpu: usize| Triple { a: i, b: cpu as u32, c: i * 100 + cpu as u32 };
    let values: Vec<PerCpuValues<Triple>> =
        [2, 0].iter().map(|&i| PerCpuValues::from_fn(|cpu| triple(i, cpu)).expect("possible CPUs")).collect();
    assert_eq!(triples.set_batch(&[2, 0], &values).expect("set_batch"), 2);
    let entries = triples.iter().collect::<Result<Vec<_>, _>>().expect("iter");
    assert_eq!(entries.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2], "every index, in order");
    let zero = Triple { a: 0, b: 0, c: 0 };
    for (index, got) in &entries {
        for cpu in 0..cpus() {
            let want = if *index == 1 { zero } else { triple(*index, cpu) };
            assert_eq!(got.get(cpu), Some(want), "index {index}, CPU {cpu}");
        }
    }
    assert_eq!(triples.get(2).expect("get"), Some(values[0].clone()));
}

#[test]
fn batch_iteration_of_a_percpu_hash_ends_while_another_thread_deletes() {
    require_kernel!();
    let maps = load();
    let churn = maps.get::<Churn>();
    const N: u32 = 512;
    let value =
        |key: u32| PerCpuValues::from_fn(|cpu| u64::from(key) * 100 + cpu as u64).expect("possible CPUs");
    let keys: Vec<u32> = (0..N).collect();
    let values: Vec<PerCpuValues<u64>> = keys.iter().map(|&k| value(k)).collect();
    churn.insert_batch(&keys, &values, Update::Any).expect("fill");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                churn.remove_batch(&keys[..N as usize / 2]).expect("remove half");
                for key in N / 2..N {
                    churn.remove(&key).expect("remove");
                }
                churn.insert_batch(&keys, &values, Update::Any).expect("re-insert");
            }
        });
        for _ in 0..50 {
            check_iteration_end(&churn, N);
        }
        stop.store(true, Ordering::Relaxed);
    });
}

/// An iteration over a changing map yields entries of the map with their own values, then
/// ends (after at most one `IterationAborted`, should it fall back to keys).
fn check_iteration_end(churn: &PerCpuHashMap<'_, u32, u64>, n: u32) {
    let mut iter = churn.iter();
    let mut yielded = 0u64;
    for item in iter.by_ref() {
        match item {
            Ok((key, values)) => {
                assert!(key < n, "key {key} was never inserted");
                let want: Vec<u64> = (0..cpus()).map(|cpu| u64::from(key) * 100 + cpu as u64).collect();
                assert_eq!(values.iter().collect::<Vec<_>>(), want, "the values of {key}");
                yielded += 1;
            }
            Err(Error::IterationAborted { .. }) => break,
            Err(e) => panic!("iteration failed: {e}"),
        }
    }
    assert!(yielded <= 2 * u64::from(n), "{yielded} entries from a map of at most {n}");
    assert!(iter.next().is_none(), "an iteration ends");
}
