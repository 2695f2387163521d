//! Counting events from a BPF program, asynchronously: a tokio task reads a ring buffer as a
//! `Stream` of typed events while the program runs, then prints the counts.
//!
//! The program is a socket filter, run with `BPF_PROG_TEST_RUN` on packets of three sizes
//! (each many times, with `repeat`) from a blocking task. For each packet it emits an `Event`
//! (the packet's length and the CPU it ran on) with `bpf_ringbuf_output`. The reader owns its
//! map (`Maps::owned`), so it moves into `tokio::spawn`; it sleeps on the ring's fd between
//! records (no thread of its own, no busy loop).
//!
//! Run as root (or with CAP_BPF): `cargo run --example async_events`.

// The kernel tests' eBPF assembler: bpfmap creates maps, not programs, so the example
// assembles its own small one.
#[path = "../tests/support/bpf.rs"]
#[allow(dead_code)]
mod bpf;

use std::collections::BTreeMap;
use std::error::Error;
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::time::Duration;

use bpf::{
    Alu, Asm, GET_SMP_PROCESSOR_ID, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R6, R10, RINGBUF_OUTPUT,
    SKB_LEN, Size,
};
use bpfmap::{Pod, bpf_map};
use futures_util::StreamExt;

/// What the program emits, laid out as it writes it on its stack.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod)]
struct Event {
    len: u32,
    cpu: u32,
}

#[bpf_map(type = "ringbuf", max_entries = 262144)]
struct Events;

/// Packet sizes, and how many times the program runs on each.
const PACKETS: [(usize, u32); 3] = [(64, 3000), (512, 2000), (1500, 1000)];
/// The test run hands a socket filter the packet without its Ethernet header.
const ETH_HLEN: usize = 14;

/// `output(events, &Event { skb->len, cpu })`; returns the helper's result (0, or a negative
/// errno: a full ring drops the event and says so).
fn emitter(maps: &bpfmap::Maps) -> Result<OwnedFd, Box<dyn Error>> {
    let mut asm = Asm::new();
    asm.mov64_reg(R6, R1)
        .ldx_mem(Size::W, R1, R6, SKB_LEN)
        .stx_mem(Size::W, R10, R1, -8)
        .call(GET_SMP_PROCESSOR_ID)
        .stx_mem(Size::W, R10, R0, -4)
        .ld_map_fd(R1, maps.map::<Events>()?.fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -8)
        .mov64_imm(R3, size_of::<Event>() as i32)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit();
    Ok(bpf::load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns())?)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let maps = bpfmap::load()?;
    let prog = emitter(&maps)?;
    let expected: u32 = PACKETS.iter().map(|&(_, n)| n).sum();

    // The reader owns a dup of the ring's fd: `'static`, so it moves into the task.
    let mut events = maps.owned::<Events>()?.consumer()?.into_async()?.into_stream::<Event>();
    let reader = tokio::spawn(async move {
        let mut counts: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for _ in 0..expected {
            let event = events.next().await.ok_or("the stream ended")??;
            *counts.entry((event.len, event.cpu)).or_default() += 1;
        }
        Ok::<_, Box<dyn Error + Send + Sync>>(counts)
    });

    // The program runs in a blocking task: BPF_PROG_TEST_RUN holds its thread until done.
    let producer = tokio::task::spawn_blocking(move || -> Result<(), String> {
        for (size, times) in PACKETS {
            // In slices, so that the reader drains the ring between them.
            for _ in 0..times / 100 {
                match bpf::test_run_repeat(&prog, &vec![0; size], 100)? {
                    0 => {}
                    ret => return Err(format!("the program failed on a {size}-byte packet: {}", ret as i32)),
                }
            }
        }
        Ok(())
    });
    producer.await??;
    // Generous: only a reader that never wakes keeps us waiting this long.
    let counts = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .map_err(|_| "the reader stalled")??
        .map_err(|e| e.to_string())?;

    let mut total = 0;
    for ((len, cpu), n) in &counts {
        println!("{n:>5} events: skb->len {len:>4} on CPU {cpu}");
        total += n;
    }
    for (size, times) in PACKETS {
        let seen: u32 =
            counts.iter().filter(|((len, _), _)| *len as usize == size - ETH_HLEN).map(|(_, n)| n).sum();
        if seen != times {
            return Err(format!("{seen} events for {times} runs on {size}-byte packets").into());
        }
    }
    println!("{total} events, all counted");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("async_events: {e}");
            ExitCode::FAILURE
        }
    }
}
