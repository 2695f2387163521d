//! `Queue` and `Stack` against the kernel: a program pushes and Rust pops; Rust pushes and a
//! program pops or peeks; `Update::Exist` drops the oldest value of a full map; `drain` pops in
//! the map's order.

mod support;

use bpfmap::{Errno, Error, Op, WhenFull, bpf_map};
use support::bpf::{
    Alu, Asm, BPF_EXIST, Insn, Jmp, MAP_PEEK_ELEM, MAP_POP_ELEM, MAP_PUSH_ELEM, PROG_TYPE_SOCKET_FILTER, R0,
    R1, R2, R3, R10, Size, load_prog, test_run,
};

#[bpf_map(type = "queue", max_entries = 4)]
struct Jobs {
    value: u64,
}

#[bpf_map(type = "stack", max_entries = 4)]
struct Undo {
    value: u64,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];
/// Returned when `bpf_map_pop_elem`/`bpf_map_peek_elem` find the map empty.
const EMPTY: u32 = 0xe;

/// Pushes each of `values` with `flags`; returns 0, or the first failing helper's result.
fn push_program(map: &bpfmap::Map, values: &[u64], flags: i32) -> Vec<Insn> {
    let mut asm = Asm::new();
    for &value in values {
        asm.ld_imm64(R1, value)
            .stx_mem(Size::DW, R10, R1, -8)
            .ld_map_fd(R1, map.fd())
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -8)
            .mov64_imm(R3, flags)
            .call(MAP_PUSH_ELEM)
            .jmp_imm(Jmp::Eq, R0, 0, 1)
            .exit();
    }
    asm.mov64_imm(R0, 0).exit();
    asm.insns().to_vec()
}

/// Pops (or peeks) one value and returns its low half, or `EMPTY`.
fn take_program(map: &bpfmap::Map, helper: i32) -> Vec<Insn> {
    let mut asm = Asm::new();
    // The helper writes the value into this stack slot, which the verifier wants initialized.
    asm.st_mem(Size::DW, R10, -8, 0)
        .ld_map_fd(R1, map.fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -8)
        .call(helper)
        .jmp_imm(Jmp::Eq, R0, 0, 2)
        .mov64_imm(R0, EMPTY as i32)
        .exit()
        .ldx_mem(Size::DW, R0, R10, -8)
        .exit();
    asm.insns().to_vec()
}

fn socket_filter(insns: &[Insn]) -> std::os::fd::OwnedFd {
    load_prog(PROG_TYPE_SOCKET_FILTER, insns).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_program_pushes_and_rust_pops() {
    require_kernel!();
    let maps = load();
    let big = 0x1111_2222_3333_4444;
    let pushed = [big, 22, 33];
    let prog = socket_filter(&push_program(maps.map::<Jobs>().expect("Jobs"), &pushed, 0));
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    let jobs = maps.get::<Jobs>();
    assert_eq!(jobs.peek().expect("peek"), Some(big), "the oldest first");
    assert_eq!(jobs.pop().expect("pop"), Some(big));
    assert_eq!(jobs.pop().expect("pop"), Some(22));
    assert_eq!(jobs.pop().expect("pop"), Some(33));
    assert_eq!(jobs.pop().expect("pop"), None);

    let prog = socket_filter(&push_program(maps.map::<Undo>().expect("Undo"), &pushed, 0));
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    let undo = maps.get::<Undo>();
    assert_eq!(undo.peek().expect("peek"), Some(33), "the newest first");
    assert_eq!(undo.drain().collect::<Result<Vec<_>, _>>().expect("drain"), [33, 22, big]);
    assert_eq!(undo.pop().expect("pop"), None);
}

#[test]
fn rust_pushes_and_a_program_pops_or_peeks() {
    require_kernel!();
    let maps = load();
    let jobs = maps.get::<Jobs>();
    let pop = socket_filter(&take_program(maps.map::<Jobs>().expect("Jobs"), MAP_POP_ELEM));
    let peek = socket_filter(&take_program(maps.map::<Jobs>().expect("Jobs"), MAP_PEEK_ELEM));
    assert_eq!(test_run(&pop, &PACKET), Ok(EMPTY), "an empty queue pops nothing");
    for value in [5, 6, 7] {
        jobs.push(&value, WhenFull::Refuse).expect("push");
    }
    assert_eq!(test_run(&peek, &PACKET), Ok(5));
    assert_eq!(test_run(&peek, &PACKET), Ok(5), "peeking takes nothing");
    assert_eq!(test_run(&pop, &PACKET), Ok(5));
    assert_eq!(test_run(&pop, &PACKET), Ok(6));
    assert_eq!(jobs.peek().expect("peek"), Some(7), "Rust sees what the program left");
    assert_eq!(test_run(&pop, &PACKET), Ok(7));
    assert_eq!(test_run(&pop, &PACKET), Ok(EMPTY));
    assert_eq!(jobs.pop().expect("pop"), None);

    let undo = maps.get::<Undo>();
    let pop = socket_filter(&take_program(maps.map::<Undo>().expect("Undo"), MAP_POP_ELEM));
    undo.push(&1, WhenFull::Refuse).expect("push");
    undo.push(&2, WhenFull::Refuse).expect("push");
    assert_eq!(test_run(&pop, &PACKET), Ok(2), "a stack pops the newest");
    assert_eq!(undo.pop().expect("pop"), Some(1));
}

#[test]
fn a_full_map_refuses_with_any_and_drops_the_oldest_with_exist() {
    require_kernel!();
    let maps = load();
    let jobs = maps.get::<Jobs>();
    let undo = maps.get::<Undo>();
    for value in 1..=4 {
        jobs.push(&value, WhenFull::Refuse).expect("push within max_entries");
        undo.push(&value, WhenFull::Refuse).expect("push within max_entries");
    }
    let err = jobs.push(&5, WhenFull::Refuse).expect_err("full");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
    assert!(matches!(&err, Error::Map { op: Op::Update(_), map, .. } if map.name == "jobs"), "{err:?}");

    jobs.push(&5, WhenFull::DropOldest).expect("push over the oldest");
    undo.push(&5, WhenFull::DropOldest).expect("push over the oldest");
    assert_eq!(jobs.drain().collect::<Result<Vec<_>, _>>().expect("drain"), [2, 3, 4, 5], "1 was dropped");
    assert_eq!(undo.drain().collect::<Result<Vec<_>, _>>().expect("drain"), [5, 4, 3, 2], "1 was dropped");
    assert_eq!(jobs.drain().count(), 0, "draining an empty queue yields nothing");

    // A program's push with BPF_EXIST does the same.
    for value in 1..=4 {
        jobs.push(&value, WhenFull::Refuse).expect("refill");
    }
    let prog = socket_filter(&push_program(maps.map::<Jobs>().expect("Jobs"), &[10, 11], BPF_EXIST));
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    assert_eq!(jobs.drain().collect::<Result<Vec<_>, _>>().expect("drain"), [3, 4, 10, 11]);
    let prog = socket_filter(&push_program(maps.map::<Jobs>().expect("Jobs"), &[1, 2, 3, 4, 5], 0));
    assert_eq!(test_run(&prog, &PACKET), Ok(-(libc::E2BIG) as u32), "the fifth push finds the queue full");
}
