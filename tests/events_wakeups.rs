//! Wake-ups: a ring buffer consumer that has said "nothing ready" must be woken by the next
//! record. The kernel wakes a ring's fd for a committed record only when the consumer position
//! it reads at commit is that record's own position (`bpf_ringbuf_commit`), so `ready()` (and
//! the async readers built on it) must publish the position past every record it skipped,
//! discarded ones included, before it says `false`.

mod support;

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::mpsc;
use std::time::Duration;

use bpfmap::bpf_map;
use support::bpf::{
    Asm, Jmp, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, RINGBUF_DISCARD, RINGBUF_RESERVE, RINGBUF_SUBMIT,
    Size, load_prog, test_run,
};

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Wakes;

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct EdgeWakes;

const PACKET: [u8; 64] = [0; 64];

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// Reserves 16 bytes, fills them with `word` and hands them to `helper` (submit or discard).
fn program(ring: &bpfmap::Map, word: i32, helper: i32) -> OwnedFd {
    let mut asm = Asm::new();
    asm.ld_map_fd(R1, ring.fd())
        .mov64_imm(R2, 16)
        .mov64_imm(R3, 0)
        .call(RINGBUF_RESERVE)
        .jmp_imm(Jmp::Ne, R0, 0, 2)
        .mov64_imm(R0, 0xdead)
        .exit()
        .mov64_imm(R1, word)
        .stx_mem(Size::DW, R0, R1, 0)
        .stx_mem(Size::DW, R0, R1, 8)
        .mov64_reg(R1, R0)
        .mov64_imm(R2, 0)
        .call(helper)
        .mov64_imm(R0, 0)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

fn expected(word: i32) -> Vec<u8> {
    let mut bytes = (word as u64).to_ne_bytes().to_vec();
    bytes.extend((word as u64).to_ne_bytes());
    bytes
}

#[test]
fn async_next_wakes_for_a_record_after_a_discarded_one() {
    require_kernel!();
    let maps = load();
    let ring = maps.map::<Wakes>().expect("Wakes");
    let discard = program(ring, 0xaaaa, RINGBUF_DISCARD);
    let submit = program(ring, 0xbbbb, RINGBUF_SUBMIT);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let consumer = maps.owned::<Wakes>().expect("owned").consumer().expect("consumer");
    let (tx, rx) = mpsc::channel();
    let task = rt.spawn(async move {
        let mut events = consumer.into_async().expect("register");
        tx.send(()).expect("started");
        let record = events.next().await.expect("a record");
        record.bytes().to_vec()
    });
    rx.recv().expect("the task started");
    std::thread::sleep(Duration::from_millis(100));
    // A discarded record at the consumer's position: the kernel wakes the fd, the task looks,
    // skips it, finds nothing else and sleeps again.
    assert_eq!(test_run(&discard, &PACKET), Ok(0));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!task.is_finished(), "a discarded record is no record");
    // The next record must wake it.
    assert_eq!(test_run(&submit, &PACKET), Ok(0));
    let got = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await });
    let got = got.expect("the record after a discarded one wakes the reader within 5 s");
    assert_eq!(got.expect("the task"), expected(0xbbbb));
}

/// The same contract on a raw edge-triggered epoll, as an event loop of one's own (mio) uses
/// the consumer's fd: `ready()` said `false`, so the next record wakes the fd.
#[test]
fn ready_false_means_the_next_record_wakes_an_edge_triggered_fd() {
    require_kernel!();
    let maps = load();
    let ring = maps.map::<EdgeWakes>().expect("EdgeWakes");
    let discard = program(ring, 0xaaaa, RINGBUF_DISCARD);
    let submit = program(ring, 0xbbbb, RINGBUF_SUBMIT);
    let mut consumer = maps.get::<EdgeWakes>().consumer().expect("consumer");
    // SAFETY: epoll_create1 has no memory preconditions.
    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epoll >= 0);
    // SAFETY: a fresh fd.
    let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
    let mut event = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLET) as u32, u64: 0 };
    // SAFETY: both fds are open; `event` is valid for the call.
    let added = unsafe {
        libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, consumer.as_fd().as_raw_fd(), &mut event)
    };
    assert_eq!(added, 0);
    let wait = |ms| {
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: room for the one event asked for.
        unsafe { libc::epoll_wait(epoll.as_raw_fd(), &mut event, 1, ms) }
    };
    assert!(!consumer.ready());
    assert_eq!(wait(0), 0, "nothing yet");
    assert_eq!(test_run(&discard, &PACKET), Ok(0));
    assert_eq!(wait(1000), 1, "the discarded record wakes the fd");
    assert!(!consumer.ready(), "only a discarded record");
    assert_eq!(test_run(&submit, &PACKET), Ok(0));
    assert_eq!(wait(1000), 1, "ready() said false: the next record wakes the fd");
    assert_eq!(consumer.next().transpose().expect("record").map(|r| r.to_vec()), Some(expected(0xbbbb)));
}

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct NoIo;

/// Inside a tokio runtime built without IO, `into_async` cannot return `Error::NoReactor`:
/// tokio offers no way to ask whether IO is enabled, and panics when asked to register an fd.
/// The docs said `NoReactor`; they now say it panics, and this pins that (outside any runtime
/// it is `NoReactor`, as `tests/events.rs` checks).
#[test]
fn into_async_in_a_runtime_without_io_panics_as_documented() {
    require_kernel!();
    let maps = load();
    let consumer = maps.get::<NoIo>().consumer().expect("consumer");
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("a runtime without IO");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { consumer.into_async().map(drop) })
    }));
    let panic = match result {
        Ok(returned) => panic!("the docs say tokio panics here; it returned {returned:?}"),
        Err(panic) => panic,
    };
    let message =
        panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied());
    assert!(message.is_some_and(|m| m.contains("IO is disabled")), "{message:?}");
    // The consumer went with the panic: its claim was released, a new one can be made.
    drop(maps.get::<NoIo>().consumer().expect("a new consumer"));
}

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Timeouts;

/// A timeout shorter than a millisecond is a wait, not a poll: epoll counts milliseconds, so
/// it is rounded up (as the perf buffer reader does), never down to 0, which would make a
/// `while !wait(..)? {}` loop spin.
#[test]
fn sub_millisecond_timeouts_wait_at_least_that_long() {
    require_kernel!();
    let maps = load();
    let consumer = maps.get::<Timeouts>().consumer().expect("consumer");
    let timeout = Duration::from_micros(900);
    let start = std::time::Instant::now();
    assert!(!consumer.wait(Some(timeout)).expect("wait"), "nothing was written");
    assert!(start.elapsed() >= timeout, "RingBufConsumer::wait returned after {:?}", start.elapsed());
    let mut poller = bpfmap::EventPoller::new().expect("poller");
    poller.add(consumer, |_| {}).expect("add");
    let start = std::time::Instant::now();
    assert_eq!(poller.poll(Some(timeout)).expect("poll"), 0);
    assert!(start.elapsed() >= timeout, "EventPoller::poll returned after {:?}", start.elapsed());
}

/// A poller with no sources yet waits out its timeout and handles nothing, rather than
/// failing with the EINVAL of an `epoll_wait` for 0 events.
#[test]
fn a_poller_with_no_sources_waits_out_its_timeout() {
    let mut poller = bpfmap::EventPoller::new().expect("poller");
    let start = std::time::Instant::now();
    assert_eq!(poller.poll(Some(Duration::from_millis(20))).expect("an empty poller waits"), 0);
    assert!(start.elapsed() >= Duration::from_millis(20));
}
