//! A tiny BPF program loader for the kernel tests: just enough eBPF assembly to call the map
//! helpers, `BPF_PROG_LOAD` and `BPF_PROG_TEST_RUN`. Test support only: bpfmap loads no
//! programs, but its maps exist to be shared with them, so the tests check that side too.
//!
//! Encodings follow `include/uapi/linux/bpf.h` and `bpf_common.h`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `struct bpf_insn`: opcode, `dst_reg` in the low nibble of `regs` and `src_reg` in the high
/// one (x86_64 is little-endian), a signed offset and a signed immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const _: () = assert!(size_of::<Insn>() == 8);

/// A register: `R0` holds return values, `R1`..`R5` helper arguments, `R6`..`R9` survive
/// calls, `R10` is the read-only frame pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg(u8);

pub const R0: Reg = Reg(0);
pub const R1: Reg = Reg(1);
pub const R2: Reg = Reg(2);
pub const R3: Reg = Reg(3);
pub const R4: Reg = Reg(4);
pub const R6: Reg = Reg(6);
pub const R10: Reg = Reg(10);

/// The width of a memory access (`BPF_W`, `BPF_H`, `BPF_B`, `BPF_DW`).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Size {
    W = 0x00,
    H = 0x08,
    B = 0x10,
    DW = 0x18,
}

/// An arithmetic operation (the `BPF_OP` bits of an ALU instruction).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Alu {
    Add = 0x00,
    Sub = 0x10,
    And = 0x50,
}

/// A conditional jump (the `BPF_OP` bits of a JMP instruction).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Jmp {
    Eq = 0x10,
    Ne = 0x50,
}

// Instruction classes.
const LD: u8 = 0x00;
const LDX: u8 = 0x01;
const ST: u8 = 0x02;
const STX: u8 = 0x03;
const JMP: u8 = 0x05;
const ALU64: u8 = 0x07;
// Modes and sources.
const IMM: u8 = 0x00;
const MEM: u8 = 0x60;
const K: u8 = 0x00;
const X: u8 = 0x08;
// Operations outside `Alu` and `Jmp`.
const MOV: u8 = 0xb0;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;
/// `src_reg` of a 64-bit immediate load that the verifier replaces with the map of fd `imm`.
const PSEUDO_MAP_FD: u8 = 1;

/// `bpf_map_lookup_elem(map, key)`: a pointer to the value, or NULL.
pub const MAP_LOOKUP_ELEM: i32 = 1;
/// `bpf_map_update_elem(map, key, value, flags)`: 0 or a negative errno.
pub const MAP_UPDATE_ELEM: i32 = 2;

/// `BPF_PROG_TYPE_SOCKET_FILTER`: may call the map helpers and runs under `BPF_PROG_TEST_RUN`
/// with nothing but a packet.
pub const PROG_TYPE_SOCKET_FILTER: u32 = 1;

const fn insn(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
    Insn { code, regs: (src.0 << 4) | dst.0, off, imm }
}

/// A program under construction; each method appends one instruction (two for the 64-bit
/// immediate loads) and returns the builder.
#[derive(Default)]
pub struct Asm {
    insns: Vec<Insn>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    fn push(&mut self, insn: Insn) -> &mut Asm {
        self.insns.push(insn);
        self
    }

    /// `dst = imm` (sign-extended to 64 bits).
    pub fn mov64_imm(&mut self, dst: Reg, imm: i32) -> &mut Asm {
        self.push(insn(ALU64 | MOV | K, dst, R0, 0, imm))
    }

    /// `dst = src`.
    pub fn mov64_reg(&mut self, dst: Reg, src: Reg) -> &mut Asm {
        self.push(insn(ALU64 | MOV | X, dst, src, 0, 0))
    }

    /// `dst op= imm`, 64-bit.
    pub fn alu64_imm(&mut self, op: Alu, dst: Reg, imm: i32) -> &mut Asm {
        self.push(insn(ALU64 | op as u8 | K, dst, R0, 0, imm))
    }

    /// `dst = imm` for a full 64-bit `imm`: `BPF_LD_IMM64`, whose second slot carries the
    /// high half.
    pub fn ld_imm64(&mut self, dst: Reg, imm: u64) -> &mut Asm {
        self.push(insn(LD | Size::DW as u8 | IMM, dst, R0, 0, imm as u32 as i32)).push(insn(
            0,
            R0,
            R0,
            0,
            (imm >> 32) as u32 as i32,
        ))
    }

    /// `dst = &map`: a 64-bit load of the map's fd marked `BPF_PSEUDO_MAP_FD`, which the
    /// verifier turns into the map's address.
    pub fn ld_map_fd(&mut self, dst: Reg, map: BorrowedFd<'_>) -> &mut Asm {
        self.push(insn(LD | Size::DW as u8 | IMM, dst, Reg(PSEUDO_MAP_FD), 0, map.as_raw_fd()))
            .push(insn(0, R0, R0, 0, 0))
    }

    /// `*(size *)(dst + off) = imm`.
    pub fn st_mem(&mut self, size: Size, dst: Reg, off: i16, imm: i32) -> &mut Asm {
        self.push(insn(ST | size as u8 | MEM, dst, R0, off, imm))
    }

    /// `*(size *)(dst + off) = src`.
    pub fn stx_mem(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.push(insn(STX | size as u8 | MEM, dst, src, off, 0))
    }

    /// `dst = *(size *)(src + off)`.
    pub fn ldx_mem(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.push(insn(LDX | size as u8 | MEM, dst, src, off, 0))
    }

    /// `if dst op imm goto pc + 1 + off` (`off` counts instruction slots).
    pub fn jmp_imm(&mut self, op: Jmp, dst: Reg, imm: i32, off: i16) -> &mut Asm {
        self.push(insn(JMP | op as u8 | K, dst, R0, off, imm))
    }

    /// Calls helper number `helper`: arguments in `R1`..`R5`, result in `R0`, `R1`..`R5`
    /// clobbered.
    pub fn call(&mut self, helper: i32) -> &mut Asm {
        self.push(insn(JMP | CALL, R0, R0, 0, helper))
    }

    /// Returns `R0`.
    pub fn exit(&mut self) -> &mut Asm {
        self.push(insn(JMP | EXIT, R0, R0, 0, 0))
    }
}

/// The `BPF_PROG_LOAD` part of `union bpf_attr`, up to `expected_attach_type`; the kernel
/// zero-fills the rest.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

const _: () = {
    assert!(std::mem::offset_of!(ProgLoadAttr, insns) == 8);
    assert!(std::mem::offset_of!(ProgLoadAttr, log_buf) == 32);
    assert!(std::mem::offset_of!(ProgLoadAttr, prog_name) == 48);
    assert!(std::mem::offset_of!(ProgLoadAttr, expected_attach_type) == 68);
    assert!(size_of::<ProgLoadAttr>() == 72);
};

/// The `BPF_PROG_TEST_RUN` part of `union bpf_attr`, up to `batch_size`.
#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
    flags: u32,
    cpu: u32,
    batch_size: u32,
    _pad: u32,
}

const _: () = {
    assert!(std::mem::offset_of!(TestRunAttr, data_in) == 16);
    assert!(std::mem::offset_of!(TestRunAttr, repeat) == 32);
    assert!(std::mem::offset_of!(TestRunAttr, ctx_in) == 48);
    assert!(std::mem::offset_of!(TestRunAttr, batch_size) == 72);
    assert!(size_of::<TestRunAttr>() == 80);
};

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;

/// `bpf(cmd, attr, sizeof *attr)`: the return value, or the errno.
///
/// # Safety
/// Every pointer in `attr` must be valid for what the kernel reads or writes through it.
unsafe fn sys_bpf<A>(cmd: libc::c_long, attr: &mut A) -> Result<libc::c_long, std::io::Error> {
    // SAFETY: `attr` is a live, zero-initialised `#[repr(C)]` prefix of `union bpf_attr` of
    // the size passed; its pointers are the caller's responsibility.
    let ret = unsafe {
        libc::syscall(libc::SYS_bpf, cmd, attr as *mut A as *mut libc::c_void, size_of::<A>() as libc::c_long)
    };
    if ret < 0 { Err(std::io::Error::last_os_error()) } else { Ok(ret) }
}

/// Loads `insns` as a program of `prog_type`; on failure, the errno and the verifier's log.
pub fn load_prog(prog_type: u32, insns: &[Insn]) -> Result<OwnedFd, String> {
    // The first attempt runs without a log, as a real loader would; only a refused program is
    // loaded again to learn why.
    if let Ok(fd) = prog_load(prog_type, insns, &mut []) {
        return Ok(fd);
    }
    let mut log = vec![0u8; 1 << 20];
    prog_load(prog_type, insns, &mut log).map_err(|e| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        format!("BPF_PROG_LOAD: {e}; verifier log:\n{}", String::from_utf8_lossy(&log[..end]))
    })
}

/// One `BPF_PROG_LOAD`, with the verifier's log in `log` if it is not empty.
fn prog_load(prog_type: u32, insns: &[Insn], log: &mut [u8]) -> std::io::Result<OwnedFd> {
    let license = c"GPL";
    let mut attr = ProgLoadAttr {
        prog_type,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: u32::from(!log.is_empty()),
        log_size: log.len() as u32,
        log_buf: if log.is_empty() { 0 } else { log.as_mut_ptr() as u64 },
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns`, `license` and `log` outlive the call and have the sizes given.
    let fd = unsafe { sys_bpf(BPF_PROG_LOAD, &mut attr) }?;
    // SAFETY: BPF_PROG_LOAD returns a new fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Runs the program once on `packet` (`BPF_PROG_TEST_RUN`) and returns its return value.
pub fn test_run(prog: impl AsFd, packet: &[u8]) -> Result<u32, String> {
    let mut attr = TestRunAttr {
        prog_fd: prog.as_fd().as_raw_fd() as u32,
        data_size_in: u32::try_from(packet.len()).map_err(|_| "packet too long".to_string())?,
        data_in: packet.as_ptr() as u64,
        repeat: 1,
        ..TestRunAttr::default()
    };
    // SAFETY: `packet` outlives the call and has the size given; `data_out` is null, so the
    // kernel writes only into `attr`.
    unsafe { sys_bpf(BPF_PROG_TEST_RUN, &mut attr) }.map_err(|e| format!("BPF_PROG_TEST_RUN: {e}"))?;
    Ok(attr.retval)
}
