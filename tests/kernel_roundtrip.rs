//! Maps carry data between a BPF program in the kernel and Rust: a hand-assembled program
//! writes the hash and reads the array through the map helpers, and Rust sees its writes and
//! it sees Rust's.

mod support;

use bpfmap::bpf_map;
use support::bpf::{Asm, PROG_TYPE_SOCKET_FILTER, R0, R1, R6, R10, Size, load_prog, test_run};

/// Written by the program.
#[bpf_map(type = "hash", max_entries = 16)]
struct FromKernel {
    key: u32,
    value: u64,
}

/// Slot 0 is written by Rust and read by the program; slot 1 is where the program copies it.
#[bpf_map(type = "array", max_entries = 2)]
struct FromUser {
    key: u32,
    value: u64,
}

const KERNEL_KEY: u32 = 7;
/// Both halves distinct and non-zero, so a lost or truncated high half shows.
const KERNEL_VALUE: u64 = 0x1122_3344_5566_7788;
const USER_VALUE: u64 = 0xa5a5_0000_c3c3_0042;
/// Returned when a helper fails, so the assertion tells which one.
const UPDATE_FAILED: i32 = -1;
const LOOKUP_FAILED: i32 = -2;

/// The program: `from_kernel[KERNEL_KEY] = KERNEL_VALUE`, then `v = from_user[0]`,
/// `from_user[1] = v`, and returns the low half of `v`.
fn program(maps: &bpfmap::Maps) -> Result<Vec<support::bpf::Insn>, bpfmap::Error> {
    let hash = maps.map::<FromKernel>()?.fd();
    let array = maps.map::<FromUser>()?.fd();
    let mut asm = Asm::new();
    // Helpers take pointers to the key and value: both live on the stack, key at fp-4, value
    // at fp-16.
    asm.st_mem(Size::W, R10, -4, KERNEL_KEY as i32)
        .ld_imm64(R1, KERNEL_VALUE)
        .stx_mem(Size::DW, R10, R1, -16)
        .update_from_stack(hash, UPDATE_FAILED);
    asm.lookup_u32(array, 0, LOOKUP_FAILED).ldx_mem(Size::DW, R6, R0, 0);
    asm.st_mem(Size::W, R10, -4, 1).stx_mem(Size::DW, R10, R6, -16).update_from_stack(array, UPDATE_FAILED);
    asm.mov64_reg(R0, R6).exit();
    Ok(asm.insns().to_vec())
}

/// The smallest packet a socket filter test run accepts: an Ethernet header (14 bytes).
const PACKET: [u8; 64] = [0; 64];

#[test]
fn kernel_writes_are_read_from_rust_and_rust_writes_are_read_by_the_kernel() {
    require_kernel!();
    let maps = bpfmap::load().expect("load");
    let from_kernel = maps.get::<FromKernel>();
    let from_user = maps.get::<FromUser>();
    from_user.set(0, &USER_VALUE).expect("set from_user[0]");
    assert_eq!(from_kernel.get(&KERNEL_KEY).expect("lookup before the run"), None);

    let insns = program(&maps).expect("map fds");
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, &insns).unwrap_or_else(|e| panic!("{e}"));
    let retval = test_run(&prog, &PACKET).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(retval, USER_VALUE as u32, "the program's return value is the low half of from_user[0]");
    assert_eq!(
        from_user.get(1).expect("lookup from_user[1]"),
        Some(USER_VALUE),
        "the program copied the whole value"
    );
    assert_eq!(from_kernel.get(&KERNEL_KEY).expect("lookup from_kernel"), Some(KERNEL_VALUE));
    let entries = from_kernel.iter().collect::<Result<Vec<_>, _>>().expect("iterate from_kernel");
    assert_eq!(entries, [(KERNEL_KEY, KERNEL_VALUE)], "the program wrote exactly one entry");
}

#[test]
fn a_second_run_sees_the_value_rust_wrote_in_between() {
    require_kernel!();
    let maps = bpfmap::load().expect("load");
    let from_user = maps.get::<FromUser>();
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, &program(&maps).expect("map fds"))
        .unwrap_or_else(|e| panic!("{e}"));

    from_user.set(0, &1).expect("set 1");
    assert_eq!(test_run(&prog, &PACKET), Ok(1));
    from_user.set(0, &(u64::from(u32::MAX) + 3)).expect("set 2^32 + 2");
    assert_eq!(test_run(&prog, &PACKET), Ok(2), "the return value keeps the low 32 bits");
    assert_eq!(from_user.get(1).expect("lookup"), Some(u64::from(u32::MAX) + 3));
}
