//! Ring buffers against the kernel. `ringbuf`: records a program writes with
//! `bpf_ringbuf_output` (or reserves and submits) are read by `RingBufConsumer` byte for byte
//! and in order, across the end of the ring; `wait` times out when the ring is empty and wakes
//! when a record arrives. `user_ringbuf`: records `UserRingBufProducer` writes are drained by a
//! program with `bpf_user_ringbuf_drain`; a full ring refuses with `RingProblem::Full`.

mod support;

use std::os::fd::OwnedFd;
use std::time::Duration;

use bpfmap::{Error, RingProblem, bpf_map};
use support::bpf::{
    Alu, Asm, DYNPTR_READ, Insn, Jmp, MAP_PUSH_ELEM, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R5, R6,
    R10, RINGBUF_DISCARD, RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_SUBMIT, Size, USER_RINGBUF_DRAIN,
    load_prog, load_prog_with_subprogs, test_run,
};

/// One page of records.
#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Events;

/// What the output program sends: the first `len` bytes of the value, where `len` is the
/// value's first 4 bytes (so each record starts with its own length).
#[bpf_map(type = "array", max_entries = 1)]
struct Source {
    key: u32,
    value: [u8; 64],
}

#[bpf_map(type = "user_ringbuf", max_entries = 4096)]
struct Commands;

/// Where the draining program puts each record it reads, in order.
#[bpf_map(type = "queue", max_entries = 512)]
struct Drained {
    value: u64,
}

const RING: u64 = 4096;
const MISSING: i32 = 0xdead;
const TOO_LONG: i32 = 0xbad;
/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// `bpf_ringbuf_output(events, &source[0], source[0].len, 0)`; returns the helper's result.
fn output_program(maps: &bpfmap::Maps) -> OwnedFd {
    let mut asm = Asm::new();
    asm.lookup_u32(maps.map::<Source>().expect("Source").fd(), 0, MISSING)
        .mov64_reg(R6, R0)
        .ldx_mem(Size::W, R3, R6, 0)
        // Bounds the length for the verifier: at most the value's 64 bytes.
        .jmp_imm(Jmp::Gt, R3, 64, 6)
        .ld_map_fd(R1, maps.map::<Events>().expect("Events").fd())
        .mov64_reg(R2, R6)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit()
        .mov64_imm(R0, TOO_LONG)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

/// A record of `len` bytes (4 to 64) whose other bytes derive from `seed`.
fn record(len: usize, seed: u32) -> [u8; 64] {
    assert!((4..=64).contains(&len));
    let mut value = [0u8; 64];
    value[..4].copy_from_slice(&(len as u32).to_ne_bytes());
    for (i, byte) in value.iter_mut().enumerate().skip(4) {
        *byte = (seed.wrapping_mul(31).wrapping_add(i as u32 * 7)) as u8;
    }
    value
}

/// Has the program send `value`'s record; returns the helper's result.
fn emit(maps: &bpfmap::Maps, prog: &OwnedFd, value: &[u8; 64]) -> i32 {
    maps.get::<Source>().set(0, value).expect("set source");
    test_run(prog, &PACKET).unwrap_or_else(|e| panic!("{e}")) as i32
}

fn len_of(value: &[u8; 64]) -> usize {
    u32::from_ne_bytes(value[..4].try_into().expect("4 bytes")) as usize
}

/// The space a record of `len` bytes takes in the ring: an 8-byte header, rounded up to 8.
fn footprint(len: usize) -> u64 {
    (len as u64 + 8).next_multiple_of(8)
}

#[test]
fn a_program_record_is_read_byte_for_byte() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let mut events = maps.get::<Events>().consumer().unwrap_or_else(|e| panic!("consumer: {e}"));
    assert!(events.next().is_none(), "a new ring is empty");
    assert_eq!(events.pending(), 0);

    let value = record(13, 1);
    assert_eq!(emit(&maps, &prog, &value), 0);
    assert_eq!(events.pending(), footprint(13));
    assert_eq!(events.next().transpose().expect("record").map(|r| r.bytes()), Some(&value[..13]));
    assert!(events.next().is_none(), "one record was written");
    assert_eq!(events.pending(), 0);
}

#[test]
fn several_records_come_in_order() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let mut events = maps.get::<Events>().consumer().unwrap_or_else(|e| panic!("consumer: {e}"));
    let sent: Vec<[u8; 64]> =
        [4, 5, 8, 33, 64, 7].iter().enumerate().map(|(i, &len)| record(len, i as u32)).collect();
    for value in &sent {
        assert_eq!(emit(&maps, &prog, value), 0);
    }
    assert_eq!(events.pending(), sent.iter().map(|v| footprint(len_of(v))).sum::<u64>());
    let mut read = Vec::new();
    assert_eq!(events.consume(|r| read.push(r.to_vec())).expect("consume"), sent.len());
    let expected: Vec<Vec<u8>> = sent.iter().map(|v| v[..len_of(v)].to_vec()).collect();
    assert_eq!(read, expected);
    assert_eq!(events.consume(|_| panic!("no more records")).expect("consume"), 0);
}

#[test]
fn a_record_sent_after_the_consumer_drops_is_read_by_the_next_one() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let ring = maps.get::<Events>();
    {
        let mut first = ring.consumer().expect("consumer");
        assert_eq!(emit(&maps, &prog, &record(10, 1)), 0);
        assert_eq!(first.next().transpose().expect("record").map(|r| r.len()), Some(10));
    }
    // The first consumer gave back what it read when it dropped: the next starts after it.
    assert_eq!(emit(&maps, &prog, &record(20, 2)), 0);
    let mut second = ring.consumer().expect("consumer");
    assert_eq!(second.next().transpose().expect("record").map(|r| r.bytes()), Some(&record(20, 2)[..20]));
    assert!(second.next().is_none());
}

#[test]
fn wait_times_out_when_empty_and_wakes_when_a_record_arrives() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let mut events = maps.get::<Events>().consumer().unwrap_or_else(|e| panic!("consumer: {e}"));
    assert!(!events.wait(Some(Duration::from_millis(20))).expect("wait"), "nothing was written");
    assert!(!events.wait(Some(Duration::ZERO)).expect("wait"), "a zero timeout polls");

    let value = record(40, 9);
    maps.get::<Source>().set(0, &value).expect("set source");
    std::thread::scope(|s| {
        s.spawn(|| {
            // Give the main thread time to block in epoll first (either order passes).
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(test_run(&prog, &PACKET), Ok(0));
        });
        assert!(events.wait(Some(Duration::from_secs(60))).expect("wait"), "the record woke the consumer");
    });
    assert_eq!(events.next().transpose().expect("record").map(|r| r.bytes()), Some(&value[..40]));
    // Right after the last record, before `next` has said there are no more: nothing new.
    assert!(!events.wait(Some(Duration::from_millis(20))).expect("wait"), "everything was read");
    assert!(events.next().is_none());
    assert!(!events.wait(Some(Duration::from_millis(1))).expect("wait"), "everything was read");
}

#[test]
fn records_wrap_around_the_end_of_the_ring() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let mut events = maps.get::<Events>().consumer().unwrap_or_else(|e| panic!("consumer: {e}"));
    let mut unread: Vec<Vec<u8>> = Vec::new();
    let (mut position, mut straddling, mut full, mut total) = (0u64, 0u32, 0u32, 0usize);
    let check = |events: &mut bpfmap::RingBufConsumer<'_>, unread: &mut Vec<Vec<u8>>| {
        let mut read = Vec::new();
        events.consume(|r| read.push(r.to_vec())).expect("consume");
        assert_eq!(read.len(), unread.len(), "every record sent is read once");
        assert!(read == *unread, "the records read are the records sent, in order");
        unread.clear();
    };
    for i in 0..3000u32 {
        let len = 4 + (i as usize * 7 + i as usize / 13) % 61;
        let value = record(len, i);
        let mut result = emit(&maps, &prog, &value);
        if result != 0 {
            // The ring is full (the kernel keeps the producer less than a whole ring ahead of
            // the consumer): read everything, then the record fits.
            full += 1;
            let pending = events.pending();
            assert!(pending + footprint(len) >= RING, "refused with room left: {pending} pending ({result})");
            check(&mut events, &mut unread);
            result = emit(&maps, &prog, &value);
        }
        assert_eq!(result, 0, "record {i}");
        let start = position % RING + 8;
        straddling += u32::from(start < RING && start + len as u64 > RING);
        position += footprint(len);
        unread.push(value[..len].to_vec());
        total += len;
        // In the first half, read now and then while the ring is partly full, so reads start
        // at varied offsets; in the second, read only when the ring is full.
        if i < 1500 && i % 17 == 0 {
            check(&mut events, &mut unread);
        }
    }
    check(&mut events, &mut unread);
    assert!(total as u64 > 20 * RING, "the ring went round many times");
    assert!(straddling > 0, "some records crossed the end of the ring");
    assert!(full > 0, "the ring was filled");
}

#[test]
fn discarded_records_are_skipped() {
    require_kernel!();
    let maps = load();
    let ring = maps.map::<Events>().expect("Events").fd();
    let mut asm = Asm::new();
    // Reserve 16 bytes, write them and discard; reserve 16 more, write and submit.
    for (word, helper) in [(0xaaaa, RINGBUF_DISCARD), (0xbbbb, RINGBUF_SUBMIT)] {
        asm.ld_map_fd(R1, ring)
            .mov64_imm(R2, 16)
            .mov64_imm(R3, 0)
            .call(RINGBUF_RESERVE)
            .jmp_imm(Jmp::Ne, R0, 0, 2)
            .mov64_imm(R0, MISSING)
            .exit()
            .mov64_imm(R1, word)
            .stx_mem(Size::DW, R0, R1, 0)
            .stx_mem(Size::DW, R0, R1, 8)
            .mov64_reg(R1, R0)
            .mov64_imm(R2, 0)
            .call(helper);
    }
    asm.mov64_imm(R0, 0).exit();
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"));
    let mut events = maps.get::<Events>().consumer().expect("consumer");
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    assert_eq!(events.pending(), 2 * footprint(16), "both records took space");
    let mut expected = 0xbbbb_u64.to_ne_bytes().to_vec();
    expected.extend(0xbbbb_u64.to_ne_bytes());
    assert_eq!(
        events.next().transpose().expect("record").map(|r| r.bytes()),
        Some(&expected[..]),
        "only the submitted record is read"
    );
    assert!(events.next().is_none());
    assert_eq!(events.pending(), 0);

    // The same through `consume`, which walks the ring in its own loop.
    assert_eq!(test_run(&prog, &PACKET), Ok(0));
    let mut read = Vec::new();
    assert_eq!(events.consume(|r| read.push(r.to_vec())).expect("consume"), 1);
    assert_eq!(read, [expected]);
    assert_eq!(events.pending(), 0, "the discarded record was released too");
}

/// `bpf_user_ringbuf_drain(commands, callback, NULL, 0)`, where the callback reads each
/// record's first `words` 8-byte words with `bpf_dynptr_read` and pushes them to `drained` (or
/// stops the drain if the record is shorter). Returns the helper's result: the records drained.
fn drain_program(maps: &bpfmap::Maps, words: i16) -> OwnedFd {
    let mut asm = Asm::new();
    asm.ld_map_fd(R1, maps.map::<Commands>().expect("Commands").fd());
    let load_callback = asm.len();
    asm.ld_func(R2, 0).mov64_imm(R3, 0).mov64_imm(R4, 0).call(USER_RINGBUF_DRAIN).exit();
    let callback = asm.len();
    asm.set_func_target(load_callback, callback);
    // The callback: R1 is the record (a dynptr), R2 the context. The words land at fp - 8 * words.
    asm.mov64_reg(R6, R1)
        .mov64_reg(R1, R10)
        .alu64_imm(Alu::Add, R1, -8 * i32::from(words))
        .mov64_imm(R2, 8 * i32::from(words))
        .mov64_reg(R3, R6)
        .mov64_imm(R4, 0)
        .mov64_imm(R5, 0)
        .call(DYNPTR_READ)
        .jmp_imm(Jmp::Eq, R0, 0, 2)
        .mov64_imm(R0, 1)
        .exit();
    for word in 0..words {
        asm.ld_map_fd(R1, maps.map::<Drained>().expect("Drained").fd())
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -8 * i32::from(words - word))
            .mov64_imm(R3, 0)
            .call(MAP_PUSH_ELEM);
    }
    asm.mov64_imm(R0, 0).exit();
    let insns: Vec<Insn> = asm.insns().to_vec();
    load_prog_with_subprogs(PROG_TYPE_SOCKET_FILTER, &insns, &[callback]).unwrap_or_else(|e| panic!("{e}"))
}

fn drained(maps: &bpfmap::Maps) -> Vec<u64> {
    maps.get::<Drained>().drain().collect::<Result<_, _>>().expect("drain the queue")
}

#[test]
fn a_program_drains_what_the_producer_wrote() {
    require_kernel!();
    let maps = load();
    let prog = drain_program(&maps, 1);
    let mut producer = maps.get::<Commands>().producer().unwrap_or_else(|e| panic!("producer: {e}"));
    assert_eq!(producer.available(), RING);
    assert_eq!(test_run(&prog, &PACKET), Ok(0), "nothing to drain");

    let sent: Vec<u64> = (0..10).map(|i| 0x0101_0101_0101_0101 * i + 0xfeed).collect();
    for value in &sent {
        producer.write(&value.to_ne_bytes()).expect("write");
    }
    assert_eq!(producer.available(), RING - 10 * footprint(8));
    assert_eq!(test_run(&prog, &PACKET), Ok(10), "the program drained every record");
    assert_eq!(drained(&maps), sent, "in the order written, byte for byte");
    assert_eq!(producer.available(), RING, "draining gave the space back");

    // Records longer than 8 bytes: the callback reads their first 8.
    let mut long = [0u8; 30];
    long[..8].copy_from_slice(&77u64.to_ne_bytes());
    producer.write(&long).expect("write 30 bytes");
    producer.write(&88u64.to_ne_bytes()).expect("write");
    assert_eq!(test_run(&prog, &PACKET), Ok(2));
    assert_eq!(drained(&maps), [77, 88]);
}

#[test]
fn a_full_user_ring_refuses_with_enospc_until_drained() {
    require_kernel!();
    let maps = load();
    let prog = drain_program(&maps, 1);
    let mut producer = maps.get::<Commands>().producer().unwrap_or_else(|e| panic!("producer: {e}"));
    let mut written = 0u64;
    let err = loop {
        match producer.write(&written.to_ne_bytes()) {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
        assert!(written <= RING / footprint(8), "more records than fit");
    };
    assert_eq!(written, RING / footprint(8), "the ring holds exactly this many 8-byte records");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::Full { needed: 16, available: 0 }, map } if map.name == "commands"),
        "{err:?}"
    );
    assert_eq!(producer.available(), 0);
    assert!(!producer.wait(Some(Duration::from_millis(20))).expect("wait"), "no room until a drain");

    let err = producer.write(&[0; 4096]).expect_err("a record larger than the ring");
    assert!(matches!(&err, Error::Ring { problem: RingProblem::TooLarge { len: 4096, .. }, .. }), "{err:?}");

    assert_eq!(test_run(&prog, &PACKET), Ok(written as u32));
    assert_eq!(drained(&maps), (0..written).collect::<Vec<_>>());
    assert_eq!(producer.available(), RING);
    assert!(producer.wait(Some(Duration::from_secs(60))).expect("wait"), "room again");
    producer.write(&1u64.to_ne_bytes()).expect("write after the drain");
    assert_eq!(test_run(&prog, &PACKET), Ok(1));
    assert_eq!(drained(&maps), [1]);
}

#[test]
fn user_records_wrap_around_the_end_of_the_ring() {
    require_kernel!();
    let maps = load();
    // 40-byte records take 48 bytes, which do not divide the ring: records cross its end.
    let prog = drain_program(&maps, 5);
    let mut producer = maps.get::<Commands>().producer().unwrap_or_else(|e| panic!("producer: {e}"));
    let words = |seq: u64| [seq, !seq, seq.rotate_left(17), seq * 3, 0x5a5a_5a5a ^ seq];
    let (mut seq, mut position, mut straddling) = (0u64, 0u64, 0u32);
    for _ in 0..40 {
        let mut sent = Vec::new();
        for _ in 0..50 {
            let record: Vec<u8> = words(seq).iter().flat_map(|w| w.to_ne_bytes()).collect();
            producer.write(&record).unwrap_or_else(|e| panic!("write {seq}: {e}"));
            let start = position % RING + 8;
            straddling += u32::from(start + 40 > RING);
            position += footprint(40);
            sent.extend(words(seq));
            seq += 1;
        }
        assert_eq!(test_run(&prog, &PACKET), Ok(50));
        assert!(drained(&maps) == sent, "the program read every record whole, in order");
        assert_eq!(producer.available(), RING);
    }
    assert!(position > 20 * RING, "the ring went round many times");
    assert!(straddling > 0, "some records crossed the end of the ring");
}
