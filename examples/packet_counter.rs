//! Counts the packets a UDP socket receives, by length, in a hash map that a socket filter
//! (`BPF_PROG_TYPE_SOCKET_FILTER`, attached with `SO_ATTACH_BPF`) updates in the kernel.
//!
//! The example binds a UDP socket on 127.0.0.1, attaches the filter, sends it datagrams of a
//! few sizes, receives them, then reads the map with `iter()` and checks that the counts are
//! what it sent. The filter sees each datagram with its UDP header: 8 bytes more than the
//! payload.
//!
//! Run as root (or with CAP_BPF and CAP_NET_ADMIN): `cargo run --example packet_counter`.

// The kernel tests' eBPF assembler: bpfmap creates maps, not programs, so the example
// assembles its own small one.
#[path = "../tests/support/bpf.rs"]
#[allow(dead_code)]
mod bpf;

use std::collections::BTreeMap;
use std::error::Error;
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::Duration;

use bpf::{
    Alu, Asm, Jmp, MAP_LOOKUP_ELEM, MAP_UPDATE_ELEM, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R6, R7,
    R10, SKB_LEN, Size,
};
use bpfmap::bpf_map;

/// Packets seen, by length (UDP header and payload).
#[bpf_map(type = "hash", max_entries = 64)]
struct Lengths {
    key: u32,
    value: u64,
}

/// Payload sizes and how many datagrams of each to send.
const SENDS: [(usize, u64); 4] = [(16, 5), (100, 3), (512, 7), (1200, 1)];
const UDP_HEADER: usize = 8;
/// `SO_ATTACH_BPF` from `asm-generic/socket.h`.
const SO_ATTACH_BPF: libc::c_int = 50;
/// `BPF_NOEXIST`.
const NOEXIST: i32 = 1;

/// `lengths[skb->len] += 1`, creating the entry at 1; the packet is kept whole.
fn filter(lengths: &bpfmap::Map) -> Result<OwnedFd, String> {
    let mut asm = Asm::new();
    asm.mov64_reg(R6, R1).ldx_mem(Size::W, R7, R6, SKB_LEN).stx_mem(Size::W, R10, R7, -4).st_mem(
        Size::DW,
        R10,
        -16,
        1,
    );
    // Emits `if (v = lookup(lengths, &len)) { lock *v += 1; goto done; }`; returns the index of
    // the jump to `done`, patched once `done` is known.
    let add_if_present = |asm: &mut Asm| {
        asm.ld_map_fd(R1, lengths.fd())
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -4)
            .call(MAP_LOOKUP_ELEM)
            .jmp_imm(Jmp::Eq, R0, 0, 3)
            .mov64_imm(R1, 1)
            .atomic_add(Size::DW, R0, R1, 0);
        let jump = asm.len();
        asm.ja(0);
        jump
    };
    let first = add_if_present(&mut asm);
    // Absent: create it at 1. If another CPU created it meanwhile (EEXIST), add to its entry.
    asm.ld_map_fd(R1, lengths.fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -4)
        .mov64_reg(R3, R10)
        .alu64_imm(Alu::Add, R3, -16)
        .mov64_imm(R4, NOEXIST)
        .call(MAP_UPDATE_ELEM);
    let created = asm.len();
    asm.jmp_imm(Jmp::Eq, R0, 0, 0);
    let second = add_if_present(&mut asm);
    let done = asm.len();
    // A socket filter returns how many bytes of the packet to keep: all of them.
    asm.mov64_imm(R0, -1).exit();
    for jump in [first, created, second] {
        asm.set_jump_target(jump, done);
    }
    bpf::load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns())
}

fn attach(socket: &UdpSocket, prog: &OwnedFd) -> std::io::Result<()> {
    let fd: libc::c_int = prog.as_raw_fd();
    // SAFETY: `fd` is a readable c_int of the size given, for the duration of the call.
    let ret = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_ATTACH_BPF,
            &fd as *const libc::c_int as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

fn run() -> Result<(), Box<dyn Error>> {
    let maps = bpfmap::load()?;
    let lengths = maps.get::<Lengths>();
    let prog = filter(maps.map::<Lengths>()?)?;

    let receiver = UdpSocket::bind("127.0.0.1:0")?;
    attach(&receiver, &prog).map_err(|e| format!("SO_ATTACH_BPF: {e}"))?;
    // The filter has run once a datagram can be received; the timeout only keeps a lost
    // datagram from hanging the example.
    receiver.set_read_timeout(Some(Duration::from_secs(5)))?;
    let sender = UdpSocket::bind("127.0.0.1:0")?;
    let to = receiver.local_addr()?;
    let total: u64 = SENDS.iter().map(|&(_, n)| n).sum();
    for &(size, count) in &SENDS {
        for _ in 0..count {
            sender.send_to(&vec![0xab; size], to)?;
        }
    }
    let mut buf = [0u8; 2048];
    for i in 0..total {
        receiver.recv(&mut buf).map_err(|e| format!("receiving datagram {} of {total}: {e}", i + 1))?;
    }

    let counted: BTreeMap<u32, u64> = lengths.iter().collect::<Result<_, _>>()?;
    println!("{:>8}  {:>7}  {:>7}", "length", "payload", "packets");
    for (&length, &packets) in &counted {
        println!("{length:>8}  {:>7}  {packets:>7}", length as usize - UDP_HEADER);
    }
    let sent: BTreeMap<u32, u64> =
        SENDS.iter().map(|&(size, count)| ((size + UDP_HEADER) as u32, count)).collect();
    if counted != sent {
        return Err(format!("the filter counted {counted:?}, but the example sent {sent:?}").into());
    }
    println!("{total} packets counted by length, as sent");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("packet_counter: {e}");
            ExitCode::FAILURE
        }
    }
}
