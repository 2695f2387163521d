//! Events against the kernel: records a program sends are read as typed values (a short one is
//! an error naming both sizes), several rings are waited on by one `EventPoller`, the async
//! readers wake when a program writes (and not before), the async user ring producer waits
//! out a full ring until a program drains it, and owned handles move into threads and tasks.

mod support;

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::mpsc;
use std::time::Duration;

use bpfmap::{Error, EventPoller, HashMap, Pod, RingBuf, RingProblem, bpf_map};
use futures_util::StreamExt;
use support::bpf::{
    Alu, Asm, DYNPTR_READ, Insn, Jmp, MAP_PUSH_ELEM, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R5, R6,
    R10, RINGBUF_OUTPUT, Size, USER_RINGBUF_DRAIN, load_prog, load_prog_with_subprogs, test_run,
};

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Events;

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Logs;

/// What the output program sends: the first `len` bytes of the value, where `len` is the
/// value's first 4 bytes.
#[bpf_map(type = "array", max_entries = 1)]
struct Source {
    key: u32,
    value: [u8; 64],
}

#[bpf_map(type = "user_ringbuf", max_entries = 4096)]
struct Commands;

#[bpf_map(type = "queue", max_entries = 512)]
struct Drained {
    value: u64,
}

#[bpf_map(type = "hash", max_entries = 4)]
struct NotARing {
    key: u32,
    value: u32,
}

/// A 16-byte record as the tests send it: its length, a tag, a sequence number.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod)]
struct Sample {
    len: u32,
    tag: u32,
    seq: u64,
}

const PACKET: [u8; 64] = [0; 64];

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// `bpf_ringbuf_output(ring, &source[0], source[0].len, 0)`; returns the helper's result.
fn output_program(maps: &bpfmap::Maps, ring: &bpfmap::Map) -> OwnedFd {
    let mut asm = Asm::new();
    asm.lookup_u32(maps.map::<Source>().expect("Source").fd(), 0, 0xdead)
        .mov64_reg(R6, R0)
        .ldx_mem(Size::W, R3, R6, 0)
        .jmp_imm(Jmp::Gt, R3, 64, 6)
        .ld_map_fd(R1, ring.fd())
        .mov64_reg(R2, R6)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit()
        .mov64_imm(R0, 0xbad)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

fn sample(tag: u32, seq: u64) -> Sample {
    Sample { len: 16, tag, seq }
}

/// Has the program send the first `len` bytes of `bytes` (at most 64; `len` goes first).
fn emit_bytes(source: &bpfmap::ArrayMap<'_, [u8; 64]>, prog: &OwnedFd, len: u32, bytes: &[u8]) {
    let mut value = [0u8; 64];
    value[..bytes.len()].copy_from_slice(bytes);
    value[..4].copy_from_slice(&len.to_ne_bytes());
    source.set(0, &value).expect("set source");
    assert_eq!(test_run(prog, &PACKET), Ok(0), "bpf_ringbuf_output");
}

fn emit(source: &bpfmap::ArrayMap<'_, [u8; 64]>, prog: &OwnedFd, sample: Sample) {
    let bytes: [u8; 16] = bytes_of(&sample);
    emit_bytes(source, prog, 16, &bytes);
}

/// The bytes of a sample, field by field (native order, as the program's memory holds them).
fn bytes_of(s: &Sample) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&s.len.to_ne_bytes());
    bytes[4..8].copy_from_slice(&s.tag.to_ne_bytes());
    bytes[8..].copy_from_slice(&s.seq.to_ne_bytes());
    bytes
}

#[test]
fn records_read_as_types_and_as_header_and_payload() {
    require_kernel!();
    let maps = load();
    let events = maps.map::<Events>().expect("Events");
    let prog = output_program(&maps, events);
    let source = maps.get::<Source>();
    let mut consumer = maps.get::<Events>().consumer().expect("consumer");

    emit(&source, &prog, sample(7, 42));
    let record = consumer.next().expect("a record").expect("readable");
    assert_eq!(record.cpu(), None, "a ring buffer is shared by all CPUs");
    assert_eq!(record.read::<Sample>().expect("16 bytes"), sample(7, 42));
    let (len, rest) = record.prefix::<u32>().expect("a header");
    assert_eq!(len, 16);
    assert_eq!(rest, &bytes_of(&sample(7, 42))[4..]);

    // A record of 8 bytes read as the 16-byte `Sample`: an error naming both sizes; the
    // consumer goes on to the next record.
    emit_bytes(&source, &prog, 8, &[0; 8]);
    emit(&source, &prog, sample(8, 43));
    let short = consumer.next().expect("a record").expect("readable");
    assert_eq!(short.len(), 8);
    let err = short.read::<Sample>().expect_err("8 bytes are not a Sample");
    match &err {
        Error::Ring { problem: RingProblem::TooShort { type_name, needed, found }, map } => {
            assert_eq!((*needed, *found), (16, 8));
            assert!(type_name.ends_with("Sample"), "{type_name}");
            assert_eq!(map.name, "events");
        }
        other => panic!("expected TooShort, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("8 bytes") && message.contains("is 16"), "{message}");
    assert!(message.contains("`events`") || message.contains("events"), "{message}");
    assert_eq!(
        consumer.next().expect("a record").expect("readable").read::<Sample>().expect("read"),
        sample(8, 43)
    );
    assert!(consumer.next().is_none());
}

#[test]
fn a_ring_consumer_cannot_be_made_on_a_map_of_another_type() {
    require_kernel!();
    let maps = load();
    let err = RingBuf::new(maps.map::<NotARing>().expect("NotARing")).expect_err("a hash map is no ring");
    assert!(matches!(err, Error::Mismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("`RingBuf` cannot serve `hash` maps"), "{message}");
}

/// Whether `fd` is readable now (`poll` with a zero timeout).
fn readable(fd: impl AsFd) -> bool {
    let mut pfd = libc::pollfd { fd: fd.as_fd().as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n == 1 && pfd.revents & libc::POLLIN != 0
}

#[test]
fn one_poller_waits_on_two_rings_with_a_handler_each() {
    require_kernel!();
    let maps = load();
    let to_events = output_program(&maps, maps.map::<Events>().expect("Events"));
    let to_logs = output_program(&maps, maps.map::<Logs>().expect("Logs"));
    let source = maps.get::<Source>();

    let events = maps.get::<Events>().consumer().expect("events");
    let logs = maps.get::<Logs>().consumer().expect("logs");
    assert!(!readable(&events), "an empty ring's fd is not readable");
    let (mut samples, mut lines) = (Vec::new(), Vec::new());
    {
        let mut poller = EventPoller::new().expect("poller");
        poller.add_typed(events, |s: Sample| samples.push(s)).expect("add events");
        poller.add(logs, |r| lines.push(r.to_vec())).expect("add logs");
        assert_eq!(poller.len(), 2);
        assert_eq!(poller.poll(Some(Duration::from_millis(20))).expect("poll"), 0, "nothing yet: a timeout");
        assert!(!readable(&poller));

        emit(&source, &to_events, sample(1, 1));
        emit_bytes(&source, &to_logs, 12, b"\0\0\0\0log line");
        emit(&source, &to_events, sample(1, 2));
        assert!(readable(&poller), "the poller's fd turns readable with its sources");
        let mut handled = 0;
        while handled < 3 {
            let n = poller.poll(Some(Duration::from_secs(10))).expect("poll");
            assert!(n > 0, "records were waiting");
            handled += n;
        }
        assert_eq!(handled, 3);
        assert_eq!(poller.consume().expect("consume"), 0, "all handled");

        // A record too short for its source's type: `poll` says so, names both sizes.
        emit_bytes(&source, &to_events, 4, &[0; 4]);
        let err = poller.poll(Some(Duration::from_secs(10))).expect_err("4 bytes are no Sample");
        assert!(
            matches!(err, Error::Ring { problem: RingProblem::TooShort { needed: 16, found: 4, .. }, .. }),
            "{err:?}"
        );
    }
    assert_eq!(samples, [sample(1, 1), sample(1, 2)]);
    assert_eq!(lines.len(), 1);
    assert_eq!(&lines[0][4..], b"log line");
}

#[test]
fn a_poller_wakes_when_a_program_writes_from_another_thread() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps, maps.map::<Logs>().expect("Logs"));
    let mut seen = 0;
    let mut poller = EventPoller::new().expect("poller");
    poller.add(maps.get::<Logs>().consumer().expect("logs"), |_| seen += 1).expect("add");
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            emit_bytes(&maps.get::<Source>(), &prog, 8, &[0; 8]);
        });
        assert_eq!(poller.poll(Some(Duration::from_secs(60))).expect("poll"), 1, "woken by the record");
    });
    drop(poller);
    assert_eq!(seen, 1);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

#[test]
fn async_next_sleeps_until_a_program_writes() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps, maps.map::<Events>().expect("Events"));
    let rt = runtime();
    let (tx, rx) = mpsc::channel();
    // An owned consumer: the task holds it with no lifetime tied to `maps`.
    let consumer = maps.owned::<Events>().expect("owned").consumer().expect("consumer");
    let task = rt.spawn(async move {
        let mut events = consumer.into_async().expect("register");
        tx.send(()).expect("started");
        let record = events.next().await.expect("a record");
        record.read::<Sample>().expect("a Sample")
    });
    rx.recv().expect("the task started");
    std::thread::sleep(Duration::from_millis(100));
    assert!(!task.is_finished(), "no record yet: the task sleeps");
    emit(&maps.get::<Source>(), &prog, sample(3, 99));
    let got = rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
    assert_eq!(got.expect("woken within 10 s").expect("the task"), sample(3, 99));
}

#[test]
fn an_async_stream_yields_every_record_in_order() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps, maps.map::<Events>().expect("Events"));
    const N: u64 = 1000;
    let rt = runtime();
    let consumer = maps.owned::<Events>().expect("owned").consumer().expect("consumer");
    let reader = rt.spawn(async move {
        let mut stream = consumer.into_async().expect("register").into_stream::<Sample>();
        let mut got = Vec::new();
        while (got.len() as u64) < N {
            got.push(stream.next().await.expect("endless").expect("a Sample"));
        }
        got
    });
    // The 4096-byte ring holds 170 of these 24-byte records: the program outruns the reader
    // unless the reader keeps up, so each write waits for room.
    let source = maps.get::<Source>();
    for seq in 0..N {
        let value = sample(5, seq);
        let mut bytes = [0u8; 64];
        bytes[..16].copy_from_slice(&bytes_of(&value));
        source.set(0, &bytes).expect("set");
        let mut tries = 0;
        while test_run(&prog, &PACKET).expect("run") != 0 {
            tries += 1;
            assert!(tries < 100_000, "the reader stopped draining");
            std::thread::yield_now();
        }
    }
    let got = rt.block_on(async { tokio::time::timeout(Duration::from_secs(30), reader).await });
    let got = got.expect("all read within 30 s").expect("the task");
    assert_eq!(got.len() as u64, N);
    assert!(got.iter().enumerate().all(|(i, s)| *s == sample(5, i as u64)), "in order, intact");
}

#[test]
fn async_readers_need_a_runtime_and_say_so() {
    require_kernel!();
    let maps = load();
    let consumer = maps.get::<Events>().consumer().expect("consumer");
    let err = consumer.into_async().expect_err("no runtime here");
    assert!(matches!(err, Error::NoReactor), "{err:?}");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

/// `bpf_user_ringbuf_drain(commands, callback)`; the callback pushes each record's first
/// 8 bytes to `drained`.
fn drain_program(maps: &bpfmap::Maps) -> OwnedFd {
    let mut asm = Asm::new();
    asm.ld_map_fd(R1, maps.map::<Commands>().expect("Commands").fd());
    let load_callback = asm.len();
    asm.ld_func(R2, 0).mov64_imm(R3, 0).mov64_imm(R4, 0).call(USER_RINGBUF_DRAIN).exit();
    let callback = asm.len();
    asm.set_func_target(load_callback, callback);
    asm.mov64_reg(R6, R1)
        .mov64_reg(R1, R10)
        .alu64_imm(Alu::Add, R1, -8)
        .mov64_imm(R2, 8)
        .mov64_reg(R3, R6)
        .mov64_imm(R4, 0)
        .mov64_imm(R5, 0)
        .call(DYNPTR_READ)
        .jmp_imm(Jmp::Eq, R0, 0, 2)
        .mov64_imm(R0, 1)
        .exit()
        .ld_map_fd(R1, maps.map::<Drained>().expect("Drained").fd())
        .mov64_reg(R2, R10)
        .alu64_imm(Alu::Add, R2, -8)
        .mov64_imm(R3, 0)
        .call(MAP_PUSH_ELEM)
        .mov64_imm(R0, 0)
        .exit();
    let insns: Vec<Insn> = asm.insns().to_vec();
    load_prog_with_subprogs(PROG_TYPE_SOCKET_FILTER, &insns, &[callback]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_async_producer_waits_out_a_full_ring_until_a_program_drains_it() {
    require_kernel!();
    let maps = load();
    let drain = drain_program(&maps);
    let rt = runtime();
    let mut producer = maps.owned::<Commands>().expect("owned").producer().expect("producer");
    // 16 bytes per 8-byte record: 256 fill the 4096-byte ring.
    let mut written = 0u64;
    while producer.write_value(&written).is_ok() {
        written += 1;
    }
    assert_eq!(written, 256);
    let task = rt.spawn(async move {
        let mut producer = producer.into_async().expect("register");
        producer.write_value(&written).await.expect("written once drained");
        written + 1
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(!task.is_finished(), "the ring is full: the write waits");
    // The program drains at most what the kernel lets one call take; run it until the write lands.
    assert!(test_run(&drain, &PACKET).expect("drain") > 0);
    let total = rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
    let total = total.expect("woken by the drain").expect("the task");
    while test_run(&drain, &PACKET).expect("drain") > 0 {}
    let drained: Vec<u64> = maps.get::<Drained>().drain().collect::<Result<_, _>>().expect("drained");
    assert_eq!(drained, (0..total).collect::<Vec<_>>(), "every record, in order");
}

#[test]
fn owned_handles_outlive_their_maps_and_move_into_threads() {
    require_kernel!();
    let maps = load();
    let source = maps.owned::<Source>().expect("owned");
    let hash: HashMap<'static, u32, u32> = maps.owned::<NotARing>().expect("owned");
    hash.insert(&1, &10, bpfmap::Update::Any).expect("insert");
    drop(maps);
    let value = std::thread::spawn(move || {
        source.set(0, &[9; 64]).expect("set");
        let copy = hash.clone();
        std::thread::spawn(move || copy.get(&1))
            .join()
            .expect("inner thread")
            .expect("get")
            .zip(source.get(0).expect("get"))
    })
    .join()
    .expect("thread");
    assert_eq!(value, Some((10, [9; 64])), "both maps stayed open after `Maps` dropped");

    // A handle built from a `Map` it owns is `'static` too.
    let map = bpfmap::create_map(&bpfmap::MapDef::new(bpfmap::MapType::HASH, 4, 4, 4)).expect("create");
    let owned: HashMap<'static, u32, u32> = HashMap::new(map).expect("handle");
    let seen = std::thread::spawn(move || {
        owned.insert(&2, &20, bpfmap::Update::Any)?;
        owned.get(&2)
    });
    assert_eq!(seen.join().expect("thread").expect("get"), Some(20));
}
