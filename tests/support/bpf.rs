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
pub const R5: Reg = Reg(5);
pub const R6: Reg = Reg(6);
pub const R7: Reg = Reg(7);
pub const R8: Reg = Reg(8);
pub const R9: Reg = Reg(9);
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
    Mul = 0x20,
    And = 0x50,
}

/// A conditional jump (the `BPF_OP` bits of a JMP instruction).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum Jmp {
    Eq = 0x10,
    /// Unsigned `>`.
    Gt = 0x20,
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
const ATOMIC: u8 = 0xc0;
const K: u8 = 0x00;
const X: u8 = 0x08;
// Operations outside `Alu` and `Jmp`.
const MOV: u8 = 0xb0;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;
/// `src_reg` of a 64-bit immediate load that the verifier replaces with the map of fd `imm`.
const PSEUDO_MAP_FD: u8 = 1;
/// `src_reg` of a 64-bit immediate load of the address of the subprogram at `pc + 1 + imm`
/// (a callback for helpers such as `bpf_user_ringbuf_drain`).
const PSEUDO_FUNC: u8 = 4;

/// `bpf_map_lookup_elem(map, key)`: a pointer to the value, or NULL.
pub const MAP_LOOKUP_ELEM: i32 = 1;
/// `bpf_map_update_elem(map, key, value, flags)`: 0 or a negative errno.
pub const MAP_UPDATE_ELEM: i32 = 2;
/// `bpf_get_smp_processor_id()`: the CPU the program runs on.
pub const GET_SMP_PROCESSOR_ID: i32 = 8;
/// `bpf_perf_event_output(ctx, perf_event_array, flags, data, size)`: 0 or a negative errno
/// (`-ENOSPC` when the CPU's ring is full, `-ENOENT` when its slot holds no event). With
/// [`BPF_F_CURRENT_CPU`] in `flags`, the slot of the CPU the program runs on.
pub const PERF_EVENT_OUTPUT: i32 = 25;
/// `bpf_tail_call(ctx, prog_array, index)`: jumps to the program at `index`; falls through
/// if there is none.
pub const TAIL_CALL: i32 = 12;
/// `bpf_get_stackid(ctx, stack_trace_map, flags)`: the id of the current stack in the map, or
/// a negative errno.
pub const GET_STACKID: i32 = 27;
/// `bpf_map_push_elem(map, value, flags)` (queue, stack): 0 or a negative errno; with
/// `BPF_EXIST` a full map drops its oldest value.
pub const MAP_PUSH_ELEM: i32 = 87;
/// `bpf_map_pop_elem(map, value)` (queue, stack): 0, or `-ENOENT` when empty.
pub const MAP_POP_ELEM: i32 = 88;
/// `bpf_map_peek_elem(map, value)` (queue, stack, and bloom filter membership): 0 or a
/// negative errno.
pub const MAP_PEEK_ELEM: i32 = 89;
/// `bpf_ringbuf_output(ringbuf, data, size, flags)`: 0 or a negative errno.
pub const RINGBUF_OUTPUT: i32 = 130;
/// `bpf_get_local_storage`.
pub const GET_LOCAL_STORAGE: i32 = 81;
/// `bpf_ringbuf_reserve(ringbuf, size, flags)`: a pointer to `size` bytes of the ring, or NULL.
pub const RINGBUF_RESERVE: i32 = 131;
/// `bpf_ringbuf_submit(data, flags)`: commits a reserved record.
pub const RINGBUF_SUBMIT: i32 = 132;
/// `bpf_ringbuf_discard(data, flags)`: gives a reserved record back; readers skip it.
pub const RINGBUF_DISCARD: i32 = 133;
/// `bpf_dynptr_read(dst, len, src, offset, flags)`: 0 or a negative errno.
pub const DYNPTR_READ: i32 = 201;
/// `bpf_user_ringbuf_drain(map, callback, ctx, flags)`: the number of records drained, or a
/// negative errno. The callback gets `(const struct bpf_dynptr *record, void *ctx)` and
/// returns 0 to go on, 1 to stop.
pub const USER_RINGBUF_DRAIN: i32 = 209;

/// `BPF_F_CURRENT_CPU`: the index mask of `bpf_perf_event_output`'s flags, all ones. Load it
/// with `ld_imm64`: a 32-bit `mov` of -1 would sign-extend into the flags' upper bits.
pub const BPF_F_CURRENT_CPU: u64 = 0xffff_ffff;

/// `BPF_EXIST`, for `bpf_map_update_elem` and `bpf_map_push_elem`.
pub const BPF_EXIST: i32 = 2;

/// `offsetof(struct __sk_buff, len)`.
pub const SKB_LEN: i16 = 0;

/// `BPF_PROG_TYPE_SOCKET_FILTER`: may call the map helpers and runs under `BPF_PROG_TEST_RUN`
/// with nothing but a packet.
pub const PROG_TYPE_SOCKET_FILTER: u32 = 1;
/// `BPF_PROG_TYPE_RAW_TRACEPOINT`: runs under `BPF_PROG_TEST_RUN` with an array of arguments
/// as its context, and may call the tracing helpers (`bpf_get_stackid`).
pub const PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
/// `BPF_PROG_TYPE_XDP`: the programs device and CPU maps run on redirected packets.
pub const PROG_TYPE_XDP: u32 = 6;
/// `BPF_XDP_DEVMAP`: the expected attach type of an XDP program stored in a devmap.
pub const ATTACH_XDP_DEVMAP: u32 = 33;
/// `BPF_XDP_CPUMAP`: the expected attach type of an XDP program stored in a cpumap.
pub const ATTACH_XDP_CPUMAP: u32 = 35;

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

    /// The index the next instruction will have.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
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

    /// `lock *(size *)(dst + off) += src` (`BPF_ATOMIC` with `BPF_ADD`; `size` is `W` or `DW`).
    pub fn atomic_add(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.push(insn(STX | size as u8 | ATOMIC, dst, src, off, Alu::Add as i32))
    }

    /// `dst = *(size *)(src + off)`.
    pub fn ldx_mem(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> &mut Asm {
        self.push(insn(LDX | size as u8 | MEM, dst, src, off, 0))
    }

    /// `if dst op imm goto pc + 1 + off` (`off` counts instruction slots).
    pub fn jmp_imm(&mut self, op: Jmp, dst: Reg, imm: i32, off: i16) -> &mut Asm {
        self.push(insn(JMP | op as u8 | K, dst, R0, off, imm))
    }

    /// `goto pc + 1 + off`.
    pub fn ja(&mut self, off: i16) -> &mut Asm {
        self.push(insn(JMP, R0, R0, off, 0))
    }

    /// Points the jump at instruction `at` (emitted with any offset) to instruction `target`,
    /// for forward jumps whose target is emitted later.
    pub fn set_jump_target(&mut self, at: usize, target: usize) -> &mut Asm {
        self.insns[at].off = i16::try_from(relative(at, target)).expect("jumps are short");
        self
    }

    /// Calls helper number `helper`: arguments in `R1`..`R5`, result in `R0`, `R1`..`R5`
    /// clobbered.
    pub fn call(&mut self, helper: i32) -> &mut Asm {
        self.push(insn(JMP | CALL, R0, R0, 0, helper))
    }

    /// `dst = &subprogram`: the address of the subprogram that starts at instruction `target`,
    /// as a callback argument (`BPF_PSEUDO_FUNC`). Use [`Asm::set_func_target`] when the
    /// target is not known yet.
    pub fn ld_func(&mut self, dst: Reg, target: usize) -> &mut Asm {
        let imm = relative(self.len(), target);
        self.push(insn(LD | Size::DW as u8 | IMM, dst, Reg(PSEUDO_FUNC), 0, imm)).push(insn(0, R0, R0, 0, 0))
    }

    /// Points the `ld_func` at instruction `at` to the subprogram starting at `target`.
    pub fn set_func_target(&mut self, at: usize, target: usize) -> &mut Asm {
        self.insns[at].imm = relative(at, target);
        self
    }

    /// Returns `R0`.
    pub fn exit(&mut self) -> &mut Asm {
        self.push(insn(JMP | EXIT, R0, R0, 0, 0))
    }

    /// `r0 = bpf_map_lookup_elem(map, &key)` with the u32 `key` at `fp-4`; returns `missing`
    /// from the program when there is no such element.
    pub fn lookup_u32(&mut self, map: BorrowedFd<'_>, key: i32, missing: i32) -> &mut Asm {
        self.st_mem(Size::W, R10, -4, key)
            .ld_map_fd(R1, map)
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -4)
            .call(MAP_LOOKUP_ELEM)
            .jmp_imm(Jmp::Ne, R0, 0, 2)
            .mov64_imm(R0, missing)
            .exit()
    }

    /// `bpf_map_update_elem(map, fp-4, fp-16, BPF_ANY)`: the key (at `fp-4`) and the value
    /// (at `fp-16`) are already on the stack; returns `failed` from the program on error.
    pub fn update_from_stack(&mut self, map: BorrowedFd<'_>, failed: i32) -> &mut Asm {
        self.ld_map_fd(R1, map)
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -4)
            .mov64_reg(R3, R10)
            .alu64_imm(Alu::Add, R3, -16)
            .mov64_imm(R4, 0)
            .call(MAP_UPDATE_ELEM)
            .jmp_imm(Jmp::Eq, R0, 0, 2)
            .mov64_imm(R0, failed)
            .exit()
    }
}

/// The offset from instruction `at` to `target` as jumps and function loads encode it:
/// relative to the next instruction slot.
fn relative(at: usize, target: usize) -> i32 {
    i32::try_from(target as i64 - at as i64 - 1).expect("programs are short")
}

/// The `BPF_PROG_LOAD` part of `union bpf_attr`, up to `line_info_rec_size`; the kernel
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
    prog_btf_fd: u32,
    func_info_rec_size: u32,
    func_info: u64,
    func_info_cnt: u32,
    line_info_rec_size: u32,
}

const _: () = {
    assert!(std::mem::offset_of!(ProgLoadAttr, insns) == 8);
    assert!(std::mem::offset_of!(ProgLoadAttr, log_buf) == 32);
    assert!(std::mem::offset_of!(ProgLoadAttr, prog_name) == 48);
    assert!(std::mem::offset_of!(ProgLoadAttr, expected_attach_type) == 68);
    assert!(std::mem::offset_of!(ProgLoadAttr, prog_btf_fd) == 72);
    assert!(std::mem::offset_of!(ProgLoadAttr, func_info) == 80);
    assert!(std::mem::offset_of!(ProgLoadAttr, func_info_cnt) == 88);
    assert!(size_of::<ProgLoadAttr>() == 96);
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

/// `BPF_MAP_CREATE` of `map_type` with these sizes and no flags, made here without bpfmap: what
/// the kernel answers, for tests that must know it independently of the code under test.
pub fn raw_map_create(
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> std::io::Result<OwnedFd> {
    #[repr(C)]
    #[derive(Default)]
    struct Create {
        map_type: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        map_flags: u32,
    }
    let mut attr = Create { map_type, key_size, value_size, max_entries, map_flags: 0 };
    // SAFETY: MAP_CREATE reads no pointers from this zeroed prefix and returns a new fd.
    let fd = unsafe { sys_bpf(0, &mut attr) }?;
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Loads `insns` as a program of `prog_type`; on failure, the errno and the verifier's log.
pub fn load_prog(prog_type: u32, insns: &[Insn]) -> Result<OwnedFd, String> {
    load_prog_for(prog_type, 0, insns)
}

/// Loads `insns` as a program of `prog_type` for `expected_attach_type` (0 for types that
/// have none).
pub fn load_prog_for(prog_type: u32, expected_attach_type: u32, insns: &[Insn]) -> Result<OwnedFd, String> {
    load(&Load { prog_type, expected_attach_type, insns, btf: None })
}

/// Loads `insns`, whose static subprograms (callbacks) start at the instructions `subprogs`:
/// the verifier takes the address of a subprogram (`BPF_PSEUDO_FUNC`) only with BTF that
/// describes every function, so a minimal BTF object is built and loaded for them.
pub fn load_prog_with_subprogs(
    prog_type: u32,
    insns: &[Insn],
    subprogs: &[usize],
) -> Result<OwnedFd, String> {
    let btf = FuncBtf::new(subprogs.len());
    let btf_fd = btf.load()?;
    let mut func_info = vec![FuncInfo { insn_off: 0, type_id: btf.main_id() }];
    for (i, &at) in subprogs.iter().enumerate() {
        func_info.push(FuncInfo { insn_off: at as u32, type_id: btf.subprog_id(i) });
    }
    load(&Load { prog_type, expected_attach_type: 0, insns, btf: Some((btf_fd.as_fd(), &func_info)) })
}

/// What `BPF_PROG_LOAD` gets.
struct Load<'a> {
    prog_type: u32,
    expected_attach_type: u32,
    insns: &'a [Insn],
    /// The BTF object and the function of each subprogram.
    btf: Option<(BorrowedFd<'a>, &'a [FuncInfo])>,
}

fn load(what: &Load<'_>) -> Result<OwnedFd, String> {
    // The first attempt runs without a log, as a real loader would; only a refused program is
    // loaded again to learn why.
    if let Ok(fd) = prog_load(what, &mut []) {
        return Ok(fd);
    }
    let mut log = vec![0u8; 1 << 20];
    prog_load(what, &mut log).map_err(|e| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        format!("BPF_PROG_LOAD: {e}; verifier log:\n{}", String::from_utf8_lossy(&log[..end]))
    })
}

/// One `BPF_PROG_LOAD`, with the verifier's log in `log` if it is not empty.
fn prog_load(what: &Load<'_>, log: &mut [u8]) -> std::io::Result<OwnedFd> {
    let license = c"GPL";
    let (btf_fd, func_info): (u32, &[FuncInfo]) = match what.btf {
        Some((fd, info)) => (fd.as_raw_fd() as u32, info),
        None => (0, &[]),
    };
    let mut attr = ProgLoadAttr {
        prog_type: what.prog_type,
        insn_cnt: what.insns.len() as u32,
        insns: what.insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: u32::from(!log.is_empty()),
        log_size: log.len() as u32,
        log_buf: if log.is_empty() { 0 } else { log.as_mut_ptr() as u64 },
        expected_attach_type: what.expected_attach_type,
        prog_btf_fd: btf_fd,
        func_info_rec_size: if func_info.is_empty() { 0 } else { size_of::<FuncInfo>() as u32 },
        func_info: if func_info.is_empty() { 0 } else { func_info.as_ptr() as u64 },
        func_info_cnt: func_info.len() as u32,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns`, `license`, `func_info` and `log` outlive the call and have the sizes
    // given.
    let fd = unsafe { sys_bpf(BPF_PROG_LOAD, &mut attr) }?;
    // SAFETY: BPF_PROG_LOAD returns a new fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `struct bpf_func_info`: a function starts at `insn_off` and has the BTF type `type_id`.
#[repr(C)]
struct FuncInfo {
    insn_off: u32,
    type_id: u32,
}

/// A BTF object describing a main function `int main(void *ctx)` and `count` static
/// functions `int subprogN(void *a, void *b)`: all the verifier asks of callbacks.
///
/// Type ids: 1 `int`, 2 `void *`, 3 the prototype (two `void *` arguments), 4 `main`, then one
/// `FUNC` per subprogram.
struct FuncBtf {
    count: usize,
}

const BTF_KIND_INT: u32 = 1;
const BTF_KIND_PTR: u32 = 2;
const BTF_KIND_FUNC: u32 = 12;
const BTF_KIND_FUNC_PROTO: u32 = 13;
const BTF_INT_SIGNED: u32 = 1;
const BTF_FUNC_STATIC: u32 = 0;
const BTF_FUNC_GLOBAL: u32 = 1;
const BPF_BTF_LOAD: libc::c_long = 18;

impl FuncBtf {
    fn new(count: usize) -> FuncBtf {
        FuncBtf { count }
    }

    fn main_id(&self) -> u32 {
        4
    }

    fn subprog_id(&self, i: usize) -> u32 {
        5 + i as u32
    }

    /// The raw object: header, types, strings.
    fn encode(&self) -> Vec<u8> {
        let mut strings = b"\0int\0a\0b\0main\0".to_vec();
        let (int_name, a_name, b_name, main_name) = (1u32, 5u32, 7u32, 9u32);
        let mut types: Vec<u32> = Vec::new();
        let info = |kind: u32, vlen: u32| kind << 24 | vlen;
        // [1] int: 4 bytes, signed, 32 bits.
        types.extend([int_name, info(BTF_KIND_INT, 0), 4, BTF_INT_SIGNED << 24 | 32]);
        // [2] void *.
        types.extend([0, info(BTF_KIND_PTR, 0), 0]);
        // [3] int (void *a, void *b).
        types.extend([0, info(BTF_KIND_FUNC_PROTO, 2), 1, a_name, 2, b_name, 2]);
        // [4] main, global as a program's entry is.
        types.extend([main_name, info(BTF_KIND_FUNC, BTF_FUNC_GLOBAL), 3]);
        for i in 0..self.count {
            let name = strings.len() as u32;
            strings.extend(format!("subprog{i}\0").bytes());
            // Callbacks must be static.
            types.extend([name, info(BTF_KIND_FUNC, BTF_FUNC_STATIC), 3]);
        }
        let type_bytes: Vec<u8> = types.iter().flat_map(|w| w.to_ne_bytes()).collect();
        let mut out = Vec::new();
        out.extend(0xeb9f_u16.to_ne_bytes());
        out.extend([1u8, 0]);
        for word in [24, 0, type_bytes.len() as u32, type_bytes.len() as u32, strings.len() as u32] {
            out.extend(word.to_ne_bytes());
        }
        out.extend(type_bytes);
        out.extend(strings);
        out
    }

    /// `BPF_BTF_LOAD`; on failure, the errno and the kernel's log.
    fn load(&self) -> Result<OwnedFd, String> {
        let btf = self.encode();
        let mut log = vec![0u8; 64 << 10];
        let mut attr = BtfLoadAttr {
            btf: btf.as_ptr() as u64,
            btf_log_buf: log.as_mut_ptr() as u64,
            btf_size: btf.len() as u32,
            btf_log_size: log.len() as u32,
            btf_log_level: 1,
        };
        // SAFETY: `btf` and `log` outlive the call and have the sizes given.
        match unsafe { sys_bpf(BPF_BTF_LOAD, &mut attr) } {
            // SAFETY: BPF_BTF_LOAD returns a new fd that nobody else owns.
            Ok(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
            Err(e) => {
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                Err(format!("BPF_BTF_LOAD: {e}; log:\n{}", String::from_utf8_lossy(&log[..end])))
            }
        }
    }
}

/// The `BPF_BTF_LOAD` part of `union bpf_attr`.
#[repr(C)]
struct BtfLoadAttr {
    btf: u64,
    btf_log_buf: u64,
    btf_size: u32,
    btf_log_size: u32,
    btf_log_level: u32,
}

/// Runs the program once on `packet` (`BPF_PROG_TEST_RUN`) and returns its return value.
pub fn test_run(prog: impl AsFd, packet: &[u8]) -> Result<u32, String> {
    test_run_repeat(prog, packet, 1)
}

/// Runs the program `repeat` times on `packet` in one `BPF_PROG_TEST_RUN`, on the calling
/// thread's CPU, and returns the last return value.
pub fn test_run_repeat(prog: impl AsFd, packet: &[u8], repeat: u32) -> Result<u32, String> {
    let mut attr = TestRunAttr {
        prog_fd: prog.as_fd().as_raw_fd() as u32,
        data_size_in: u32::try_from(packet.len()).map_err(|_| "packet too long".to_string())?,
        data_in: packet.as_ptr() as u64,
        repeat,
        ..TestRunAttr::default()
    };
    // SAFETY: `packet` outlives the call and has the size given; `data_out` is null, so the
    // kernel writes only into `attr`.
    unsafe { sys_bpf(BPF_PROG_TEST_RUN, &mut attr) }.map_err(|e| format!("BPF_PROG_TEST_RUN: {e}"))?;
    Ok(attr.retval)
}

/// Runs a program that takes a context rather than a packet (raw tracepoints: `ctx` is its
/// arguments) once, and returns its return value.
pub fn test_run_ctx(prog: impl AsFd, ctx: &[u8]) -> Result<u32, String> {
    let mut attr = TestRunAttr {
        prog_fd: prog.as_fd().as_raw_fd() as u32,
        ctx_size_in: u32::try_from(ctx.len()).map_err(|_| "context too long".to_string())?,
        ctx_in: if ctx.is_empty() { 0 } else { ctx.as_ptr() as u64 },
        ..TestRunAttr::default()
    };
    // SAFETY: `ctx` outlives the call and has the size given; the kernel writes only into
    // `attr`.
    unsafe { sys_bpf(BPF_PROG_TEST_RUN, &mut attr) }.map_err(|e| format!("BPF_PROG_TEST_RUN: {e}"))?;
    Ok(attr.retval)
}

/// The `BPF_OBJ_GET_INFO_BY_FD` part of `union bpf_attr`.
#[repr(C)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// The start of `struct bpf_prog_info`: its type and id; the kernel fills `info_len` bytes.
#[repr(C)]
#[derive(Default)]
struct ProgInfo {
    prog_type: u32,
    id: u32,
}

const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;

/// The kernel's id of the loaded program `prog` (as `bpftool prog show` lists it).
pub fn prog_id(prog: impl AsFd) -> Result<u32, String> {
    let mut info = ProgInfo::default();
    let mut attr = InfoAttr {
        bpf_fd: prog.as_fd().as_raw_fd() as u32,
        info_len: size_of::<ProgInfo>() as u32,
        info: &mut info as *mut ProgInfo as u64,
    };
    // SAFETY: `info` is writable for `info_len` bytes and outlives the call.
    unsafe { sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr) }
        .map_err(|e| format!("BPF_OBJ_GET_INFO_BY_FD: {e}"))?;
    Ok(info.id)
}

/// `struct bpf_prog_info` up to its map ids: the kernel fills `info_len` bytes.
#[repr(C)]
#[derive(Default)]
struct ProgMapIdsInfo {
    prog_type: u32,
    id: u32,
    tag: [u8; 8],
    jited_prog_len: u32,
    xlated_prog_len: u32,
    jited_prog_insns: u64,
    xlated_prog_insns: u64,
    load_time: u64,
    created_by_uid: u32,
    /// In: room in `map_ids`; out: how many maps the program uses.
    nr_map_ids: u32,
    map_ids: u64,
}

const _: () = assert!(std::mem::offset_of!(ProgMapIdsInfo, map_ids) == 56);

/// The ids of the maps the loaded program `prog` uses, sorted (as `bpftool prog show` lists
/// them in `map_ids`): asked of the kernel, not of the loader that loaded it.
pub fn prog_map_ids(prog: impl AsFd) -> Result<Vec<u32>, String> {
    let mut ids = vec![0u32; 64];
    let mut info = ProgMapIdsInfo {
        nr_map_ids: ids.len() as u32,
        map_ids: ids.as_mut_ptr() as u64,
        ..Default::default()
    };
    let mut attr = InfoAttr {
        bpf_fd: prog.as_fd().as_raw_fd() as u32,
        info_len: size_of::<ProgMapIdsInfo>() as u32,
        info: &mut info as *mut ProgMapIdsInfo as u64,
    };
    // SAFETY: `info` is writable for `info_len` bytes, `ids` for `nr_map_ids` ids, and both
    // outlive the call.
    unsafe { sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr) }
        .map_err(|e| format!("BPF_OBJ_GET_INFO_BY_FD: {e}"))?;
    let count = info.nr_map_ids as usize;
    if count > ids.len() {
        return Err(format!("the program uses {count} maps, more than the {} asked for", ids.len()));
    }
    ids.truncate(count);
    ids.sort_unstable();
    Ok(ids)
}
