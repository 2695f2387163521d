//! `ArrayMap` and its `mmap` view against the kernel: batch writes and iteration, and an
//! `mmapable` array shared by a hand-assembled program and the `MmapArray` view (what the
//! program writes, the view reads from memory; what the view writes, the syscall path and the
//! program read; atomic increments from both sides add up).

mod support;

use std::sync::atomic::Ordering;

use bpfmap::{Errno, Error, Op, Pod, bpf_map};
use support::bpf::{
    Asm, Insn, PROG_TYPE_SOCKET_FILTER, R0, R1, R6, Size, load_prog, test_run, test_run_repeat,
};

#[bpf_map(type = "array", max_entries = 16)]
struct Plain {
    key: u32,
    value: u64,
}

/// One page: 512 slots of 8 bytes.
#[bpf_map(type = "array", max_entries = 512, flags = "mmapable")]
struct Shared {
    key: u32,
    value: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod)]
struct Pair {
    a: u64,
    b: u32,
    c: u32,
}

/// Values wider than 8 bytes: the view's stride is the value size rounded up to 8.
#[bpf_map(type = "array", max_entries = 8, flags = "mmapable")]
struct Pairs {
    key: u32,
    value: Pair,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];
const MISSING: i32 = 0xdead;

/// `r0 = &array[index]`, or return `MISSING` if the lookup fails.
fn lookup(asm: &mut Asm, array: &bpfmap::Map, index: u32) {
    asm.lookup_u32(array.fd(), index as i32, MISSING);
}

/// `array[index] = value` through the value pointer (no helper call: a plain store into the
/// map's memory, which is what user space has mapped).
fn store_program(array: &bpfmap::Map, index: u32, value: u64) -> Vec<Insn> {
    let mut asm = Asm::new();
    lookup(&mut asm, array, index);
    asm.ld_imm64(R1, value).stx_mem(Size::DW, R0, R1, 0).mov64_imm(R0, 0).exit();
    asm.insns().to_vec()
}

/// Returns the low half of `array[index]`.
fn read_program(array: &bpfmap::Map, index: u32) -> Vec<Insn> {
    let mut asm = Asm::new();
    lookup(&mut asm, array, index);
    asm.ldx_mem(Size::DW, R0, R0, 0).exit();
    asm.insns().to_vec()
}

/// `lock array[index] += 1`; returns 0.
fn increment_program(array: &bpfmap::Map, index: u32) -> Vec<Insn> {
    let mut asm = Asm::new();
    lookup(&mut asm, array, index);
    asm.mov64_imm(R6, 1).atomic_add(Size::DW, R0, R6, 0).mov64_imm(R0, 0).exit();
    asm.insns().to_vec()
}

fn load_socket_filter(insns: &[Insn]) -> std::os::fd::OwnedFd {
    load_prog(PROG_TYPE_SOCKET_FILTER, insns).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn set_batch_writes_and_iter_reads_in_index_order() {
    require_kernel!();
    let maps = load();
    let plain = maps.get::<Plain>();
    let indexes = [15, 0, 7, 3];
    let values = [150, 1, 70, u64::MAX];
    assert_eq!(plain.set_batch(&indexes, &values).expect("set_batch"), 4);
    let mut expected = [0u64; 16];
    for (&i, &v) in indexes.iter().zip(&values) {
        expected[i as usize] = v;
        assert_eq!(plain.get(i).expect("get"), Some(v), "index {i}");
    }
    let entries = plain.iter().collect::<Result<Vec<_>, _>>().expect("iter");
    let want: Vec<(u32, u64)> = expected.iter().enumerate().map(|(i, &v)| (i as u32, v)).collect();
    assert_eq!(entries, want, "every index, in order, zero where not written");

    // The batch stops at the first index past the end; the ones before it are written.
    let err = plain.set_batch(&[1, 16, 2], &[11, 160, 22]).expect_err("index 16 is past the end");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
    assert!(matches!(&err, Error::Batch { op: Op::Update(_), done: 1, .. }), "{err:?}");
    assert_eq!(plain.get(1).expect("get"), Some(11));
    assert_eq!(plain.get(2).expect("get"), Some(0));
}

#[test]
fn a_program_store_is_read_by_the_view() {
    require_kernel!();
    let maps = load();
    let shared = maps.get::<Shared>();
    let view = shared.mmap().unwrap_or_else(|e| panic!("mmap: {e}"));
    assert_eq!(view.len(), 512);
    assert_eq!(view.mapped_len(), 4096);
    assert_eq!(view.get(100), Some(0));

    let prog =
        load_socket_filter(&store_program(maps.map::<Shared>().expect("Shared"), 100, 0x0123_4567_89ab_cdef));
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    // The view reads the map's memory itself: no lookup syscall between the run and this read.
    assert_eq!(view.get(100), Some(0x0123_4567_89ab_cdef));
    assert_eq!(view.get(99), Some(0), "neighbours are untouched");
    assert_eq!(view.get(101), Some(0));
    assert_eq!(shared.get(100).expect("get"), Some(0x0123_4567_89ab_cdef), "the syscall path agrees");
    let nonzero: Vec<(usize, u64)> = view.iter().enumerate().filter(|&(_, v)| v != 0).collect();
    assert_eq!(nonzero, [(100, 0x0123_4567_89ab_cdef)]);

    // The last slot, at the end of the page.
    let prog = load_socket_filter(&store_program(maps.map::<Shared>().expect("Shared"), 511, 7));
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    assert_eq!(view.get(511), Some(7));
    assert_eq!(view.get(512), None, "past the end");
}

#[test]
fn a_view_write_is_read_by_the_syscall_path_and_by_a_program() {
    require_kernel!();
    let maps = load();
    let shared = maps.get::<Shared>();
    let view = shared.mmap().unwrap_or_else(|e| panic!("mmap: {e}"));
    assert!(view.set(42, 0x5566_7788_1122_3344));
    assert!(!view.set(512, 1), "past the end");
    assert_eq!(shared.get(42).expect("get"), Some(0x5566_7788_1122_3344));

    let prog = load_socket_filter(&read_program(maps.map::<Shared>().expect("Shared"), 42));
    assert_eq!(test_run(&prog, &PACKET), Ok(0x1122_3344), "the program reads the view's write");

    // And the other way round through the syscall path: the view sees `set`.
    shared.set(43, &9).expect("set");
    assert_eq!(view.get(43), Some(9));

    // Two views of one map share the memory.
    let other = shared.mmap().expect("a second view");
    assert_eq!(other.get(42), Some(0x5566_7788_1122_3344));
}

#[test]
fn atomic_increments_from_a_program_and_from_rust_add_up() {
    require_kernel!();
    let maps = load();
    let shared = maps.get::<Shared>();
    let view = shared.mmap().unwrap_or_else(|e| panic!("mmap: {e}"));
    let prog = load_socket_filter(&increment_program(maps.map::<Shared>().expect("Shared"), 5));
    let counter = view.atomic_u64(5).expect("an 8-byte slot");
    const ROUNDS: u32 = 200;
    const REPEAT: u32 = 50;
    std::thread::scope(|s| {
        // The program and Rust increment the same word at the same time.
        s.spawn(|| {
            for _ in 0..ROUNDS {
                assert_eq!(test_run_repeat(&prog, &PACKET, REPEAT), Ok(0));
            }
        });
        for _ in 0..ROUNDS * REPEAT {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let total = u64::from(2 * ROUNDS * REPEAT);
    assert_eq!(counter.load(Ordering::Relaxed), total, "no increment is lost");
    assert_eq!(view.get(5), Some(total));
    assert_eq!(shared.get(5).expect("get"), Some(total));
    assert!(view.atomic_u32(5).is_none(), "a u64 slot is not a u32");
    assert!(view.atomic_u64(512).is_none(), "past the end");
}

#[test]
fn wide_values_have_a_stride_of_their_size_rounded_to_8() {
    require_kernel!();
    let maps = load();
    let pairs = maps.get::<Pairs>();
    let view = pairs.mmap().unwrap_or_else(|e| panic!("mmap: {e}"));
    let one = Pair { a: u64::MAX - 1, b: 2, c: 3 };
    let two = Pair { a: 4, b: 5, c: u32::MAX };
    assert!(view.set(1, one));
    pairs.set(6, &two).expect("set");
    assert_eq!(pairs.get(1).expect("get"), Some(one));
    assert_eq!(view.get(6), Some(two));
    let all: Vec<Pair> = view.iter().collect();
    let zero = Pair { a: 0, b: 0, c: 0 };
    assert_eq!(all, [zero, one, zero, zero, zero, zero, two, zero]);
    assert!(view.atomic_u64(0).is_none(), "a 16-byte slot is not an atomic");
}

#[test]
fn only_mmapable_arrays_map_and_frozen_ones_refuse_writable_views() {
    require_kernel!();
    let maps = load();
    let err = maps.get::<Plain>().mmap().map(drop).expect_err("not mmapable");
    assert!(matches!(&err, Error::Mismatch { what, .. } if what.contains("mmapable")), "{err:?}");

    let shared = maps.get::<Shared>();
    {
        let _view = shared.mmap().expect("mmap");
        // A writable mapping would let user space write a frozen map.
        let err = shared.freeze().expect_err("freeze while mapped writable");
        assert_eq!(err.errno(), Some(Errno::EBUSY), "{err}");
    }
    shared.freeze().expect("freeze once the view is gone");
    let err = shared.mmap().map(drop).expect_err("writable view of a frozen map");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
    assert!(matches!(&err, Error::Map { op: Op::Mmap, .. }), "{err:?}");
    assert!(err.to_string().ends_with("map it with `mmap_read_only()`"), "{err}");
    let view = shared.mmap_read_only().expect("a read-only view of the frozen map");
    assert_eq!(view.len(), shared.len());
}
