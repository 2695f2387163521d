//! A program in the kernel emits events into a ring buffer; Rust waits for them and reads them.
//!
//! The program is a socket filter run with `BPF_PROG_TEST_RUN` on packets of a few sizes, from
//! another thread while the main thread waits on the ring. For each packet it emits an `Event`
//! (a sequence number it keeps in an array map, the packet's length and the CPU it ran on) with
//! `bpf_ringbuf_output`; the main thread checks that every event arrived, in order, with the
//! length of its packet.
//!
//! Run as root (or with CAP_BPF): `cargo run --example ringbuf_events`.

// The kernel tests' eBPF assembler: bpfmap creates maps, not programs, so the example
// assembles its own small one.
#[path = "../tests/support/bpf.rs"]
#[allow(dead_code)]
mod bpf;

use std::error::Error;
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::time::Duration;

use bpf::{
    Alu, Asm, GET_SMP_PROCESSOR_ID, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R6, R7, R10, RINGBUF_OUTPUT,
    SKB_LEN, Size,
};
use bpfmap::{Pod, bpf_map};

/// What the program emits, laid out as it writes it on its stack.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod)]
struct Event {
    seq: u64,
    len: u32,
    cpu: u32,
}

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Events;

/// The program's sequence counter.
#[bpf_map(type = "array", max_entries = 1)]
struct Sequence {
    key: u32,
    value: u64,
}

/// Packet sizes to run the program on.
const PACKETS: [usize; 6] = [64, 128, 256, 512, 1000, 1500];
/// The test run hands a socket filter the packet without its Ethernet header.
const ETH_HLEN: usize = 14;

/// `seq = ++sequence[0]; output(events, &Event { seq, skb->len, cpu })`; returns the
/// helper's result (0, or a negative errno), or 1 if the counter is missing.
fn emitter(maps: &bpfmap::Maps) -> Result<OwnedFd, Box<dyn Error>> {
    let mut asm = Asm::new();
    asm.mov64_reg(R6, R1)
        .lookup_u32(maps.map::<Sequence>()?.fd(), 0, 1)
        .ldx_mem(Size::DW, R7, R0, 0)
        .alu64_imm(Alu::Add, R7, 1)
        .stx_mem(Size::DW, R0, R7, 0)
        // The event at fp-16: seq, then len, then cpu.
        .stx_mem(Size::DW, R10, R7, -16)
        .ldx_mem(Size::W, R1, R6, SKB_LEN)
        .stx_mem(Size::W, R10, R1, -8)
        .call(GET_SMP_PROCESSOR_ID)
        .stx_mem(Size::W, R10, R0, -4)
        .ld_map_fd(R1, maps.map::<Events>()?.fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -16)
        .mov64_imm(R3, size_of::<Event>() as i32)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit();
    Ok(bpf::load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns())?)
}

fn run() -> Result<(), Box<dyn Error>> {
    let maps = bpfmap::load()?;
    let prog = emitter(&maps)?;
    let mut events = maps.get::<Events>().consumer()?;

    let mut received = Vec::new();
    std::thread::scope(|s| -> Result<(), Box<dyn Error>> {
        let producer = s.spawn(|| -> Result<(), String> {
            for size in PACKETS {
                match bpf::test_run(&prog, &vec![0; size])? {
                    0 => {}
                    ret => return Err(format!("the program failed on a {size}-byte packet: {}", ret as i32)),
                }
            }
            Ok(())
        });
        while received.len() < PACKETS.len() {
            // Generous: only a program that never runs keeps the consumer waiting this long.
            if !events.wait(Some(Duration::from_secs(10)))? {
                break;
            }
            while let Some(record) = events.next() {
                // A length check, then a copy: a record of another size is an error that
                // names both sizes.
                received.push(record?.read::<Event>()?);
            }
        }
        producer.join().map_err(|_| "the producer thread panicked")??;
        Ok(())
    })?;

    for event in &received {
        println!(
            "event {}: skb->len {} (packet minus Ethernet header) on CPU {}",
            event.seq, event.len, event.cpu
        );
    }
    let events = received;
    if events.len() != PACKETS.len() {
        return Err(format!("{} events for {} packets", events.len(), PACKETS.len()).into());
    }
    for ((i, event), size) in events.iter().enumerate().zip(PACKETS) {
        if event.seq != i as u64 + 1 || event.len as usize != size - ETH_HLEN {
            return Err(
                format!("event {i} is {event:?}, expected seq {} for a {size}-byte packet", i + 1).into()
            );
        }
    }
    println!("{} events, in order", events.len());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringbuf_events: {e}");
            ExitCode::FAILURE
        }
    }
}
