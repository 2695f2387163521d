//! The ring-buffer section: a program that writes records with `bpf_ringbuf_output`, and the
//! four readers of them (bpfmap, a raw loop over the mapping, libbpf-rs, aya).

use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::time::{Duration, Instant};

use bpfmap::{ArrayMap, Map, MapDef, MapType, RingBuf, RingBufConsumer, create_map};

use crate::bpf::{
    Asm, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, RINGBUF_OUTPUT, load_prog, test_run_repeat,
};
use crate::{Consumer, Tally};

const BUSY: u32 = 1 << 31;
const DISCARD: u32 = 1 << 30;
const HEADER: u64 = 8;
/// The largest record; the source value the program copies from has this many bytes.
pub const MAX_RECORD: usize = 512;
/// Every byte the program sends: the readers' sums of first and last bytes are checked with it.
pub const FILL: u8 = 1;
/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];

/// The space a record of `len` bytes takes in the ring: its header, rounded up to 8.
pub const fn footprint(len: usize) -> u64 {
    (len as u64 + HEADER).next_multiple_of(8)
}

/// The ring, the source of the records, and one program per record size.
pub struct Setup {
    pub ring: Map,
    /// Keeps the programs' source value alive.
    _source: Map,
    programs: Vec<(usize, OwnedFd)>,
    /// Where the positions are read to check each production: a mapping of our own, so that
    /// the check trusts none of the readers.
    positions: RawRing,
}

impl Setup {
    /// A ring of `bytes` (a power of two of pages) and a program for each of `sizes`.
    pub fn new(bytes: u32, sizes: &[usize]) -> Setup {
        let ring = create_map(&MapDef::new(MapType::RINGBUF, 0, 0, bytes)).expect("create the ring");
        let source =
            create_map(&MapDef::new(MapType::ARRAY, 4, MAX_RECORD as u32, 1)).expect("create the source");
        ArrayMap::<[u8; MAX_RECORD]>::new(&source)
            .expect("source handle")
            .set(0, &[FILL; MAX_RECORD])
            .expect("fill the source");
        let programs = sizes.iter().map(|&size| (size, output_program(&ring, &source, size))).collect();
        let positions = RawRing::map(ring.fd());
        Setup { ring, _source: source, programs, positions }
    }

    /// Has the program for `size` submit `n` records in one `BPF_PROG_TEST_RUN`; returns how
    /// long that took, after checking that exactly those records wait in the ring.
    pub fn produce(&self, size: usize, n: u64) -> Duration {
        let (_, prog) = self.programs.iter().find(|(s, _)| *s == size).expect("a program for this size");
        let before = self.positions.producer();
        // Every reader must have given back all it read: a reader that left its position
        // behind would make the next one read old records.
        assert_eq!(self.positions.consumer(), before, "the last reader released every record");
        let start = Instant::now();
        let ret = test_run_repeat(prog, &PACKET, n.try_into().expect("repeat fits u32")).expect("test run");
        let took = start.elapsed();
        assert_eq!(ret, 0, "bpf_ringbuf_output failed (ring full?)");
        assert_eq!(self.positions.producer() - before, n * footprint(size), "{n} records of {size} bytes");
        took
    }
}

/// `bpf_ringbuf_output(ring, &source[0], size, 0)`; returns the helper's result.
fn output_program(ring: &Map, source: &Map, size: usize) -> OwnedFd {
    const MISSING: i32 = 0xdead;
    let mut asm = Asm::new();
    asm.lookup_u32(source.fd(), 0, MISSING)
        .ld_map_fd(R1, ring.fd())
        .mov64_reg(R2, R0)
        .mov64_imm(R3, size as i32)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("load the output program: {e}"))
}

/// A ring mapped as `kernel/bpf/ringbuf.c` lays it out: the consumer page (ours to write), then
/// the producer page and the data pages mapped twice in a row, read-only.
pub struct RawRing {
    consumer: *mut u8,
    producer: *mut u8,
    page: usize,
    /// The data size: a power of two.
    size: u64,
}

impl RawRing {
    fn map(fd: BorrowedFd<'_>) -> RawRing {
        let size = u64::from(max_entries(fd));
        // SAFETY: sysconf has no memory preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let map = |len: usize, prot: i32, offset: usize| {
            // SAFETY: a new mapping at an address the kernel picks; nothing else is touched.
            let ptr = unsafe {
                libc::mmap(core::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd.as_raw_fd(), offset as i64)
            };
            assert_ne!(ptr, libc::MAP_FAILED, "mmap the ring: {}", std::io::Error::last_os_error());
            ptr.cast::<u8>()
        };
        let consumer = map(page, libc::PROT_READ | libc::PROT_WRITE, 0);
        let producer = map(page + 2 * size as usize, libc::PROT_READ, page);
        RawRing { consumer, producer, page, size }
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the consumer page: 8-aligned, mapped while `self` lives,
        // and accessed atomically by the kernel (smp_load_acquire / smp_store_release).
        unsafe { AtomicU64::from_ptr(self.consumer.cast()) }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the producer page, as above; mapped read-only, so it is
        // only loaded relaxed (std allows that on read-only memory), with a fence for acquire.
        unsafe { AtomicU64::from_ptr(self.producer.cast()) }
    }

    fn producer(&self) -> u64 {
        let value = self.producer_pos().load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        value
    }

    fn consumer(&self) -> u64 {
        self.consumer_pos().load(Ordering::Acquire)
    }

    /// The raw loop: what a C program (or libbpf's `ringbuf_process_ring`) does, with the
    /// callback inlined. Every record available now goes to `f`; the consumer position is
    /// stored after each, as the kernel expects of the ring's one consumer.
    #[inline(always)]
    fn consume(&self, mut f: impl FnMut(&[u8])) -> u64 {
        let mask = self.size - 1;
        // SAFETY: the data starts one page into the producer mapping, which holds `2 * size`
        // data bytes after that page.
        let data = unsafe { self.producer.add(self.page) };
        let cons = self.consumer_pos();
        let mut pos = cons.load(Ordering::Relaxed);
        let mut n = 0;
        'ring: loop {
            let producer = self.producer();
            if pos >= producer {
                return n;
            }
            while pos < producer {
                let offset = (pos & mask) as usize;
                // SAFETY: an aligned u32 in the data (positions move by 8 from an aligned start),
                // which the kernel writes atomically; read-only: a relaxed load, then a fence.
                let len = unsafe { AtomicU32::from_ptr(data.add(offset).cast()) }.load(Ordering::Relaxed);
                fence(Ordering::Acquire);
                if len & BUSY != 0 {
                    break 'ring;
                }
                let bytes = len & !(BUSY | DISCARD);
                pos += footprint(bytes as usize);
                if len & DISCARD == 0 {
                    // Programs write the record again only once the consumer position, which
                    // only this loop moves, passes it: after `f` returns.
                    // SAFETY: committed (busy bit clear, read with acquire), within the double
                    // mapping (the kernel keeps records under the ring size), unchanged meanwhile.
                    f(unsafe {
                        core::slice::from_raw_parts(data.add(offset + HEADER as usize), bytes as usize)
                    });
                    n += 1;
                }
                cons.store(pos, Ordering::Release);
            }
        }
        n
    }
}

impl Drop for RawRing {
    fn drop(&mut self) {
        // SAFETY: the two mappings made in `map`, with their lengths; nothing borrows them
        // past `self`.
        unsafe {
            libc::munmap(self.consumer.cast(), self.page);
            libc::munmap(self.producer.cast(), self.page + 2 * self.size as usize);
        }
    }
}

/// The ring's size in bytes, asked of the kernel here rather than of any reader.
fn max_entries(fd: BorrowedFd<'_>) -> u32 {
    /// The first words of `struct bpf_map_info`.
    #[repr(C)]
    #[derive(Default)]
    struct Info {
        map_type: u32,
        id: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    }
    /// The `BPF_OBJ_GET_INFO_BY_FD` part of `union bpf_attr`.
    #[repr(C)]
    struct Attr {
        bpf_fd: u32,
        info_len: u32,
        info: u64,
    }
    let mut info = Info::default();
    let mut attr = Attr {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: size_of::<Info>() as u32,
        info: &raw mut info as u64,
    };
    // SAFETY: `attr` and the `info` it points to live through the call, with the sizes given.
    let ret = unsafe { libc::syscall(libc::SYS_bpf, 15, &raw mut attr, size_of::<Attr>()) };
    assert_eq!(ret, 0, "BPF_OBJ_GET_INFO_BY_FD: {}", std::io::Error::last_os_error());
    assert_eq!(info.map_type, MapType::RINGBUF.raw(), "a ring buffer");
    info.max_entries
}

/// The baseline: [`RawRing::consume`], over a mapping made when the reader opens.
pub struct Raw<'m> {
    fd: BorrowedFd<'m>,
    ring: Option<RawRing>,
}

impl<'m> Raw<'m> {
    pub fn new(ring: &'m Map) -> Raw<'m> {
        Raw { fd: ring.fd(), ring: None }
    }
}

impl Consumer for Raw<'_> {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn open(&mut self) {
        self.ring = Some(RawRing::map(self.fd));
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let ring = self.ring.as_ref().expect("opened");
        let mut tally = Tally::default();
        let n = ring.consume(|record| tally.visit(record));
        assert_eq!(n, tally.records);
        tally
    }

    fn close(&mut self) {
        self.ring = None;
    }
}

/// bpfmap's `RingBufConsumer`. bpfmap allows one consumer per ring in a process, and a
/// consumer that finds the position moved by someone else reports it: the consumer lives only
/// between `open` and `close`, while no other reader runs.
pub struct Bpfmap<'m> {
    ring: RingBuf<'m>,
    consumer: Option<RingBufConsumer<'m>>,
}

impl<'m> Bpfmap<'m> {
    pub fn new(ring: &'m Map) -> Bpfmap<'m> {
        Bpfmap { ring: RingBuf::new(ring).expect("RingBuf handle"), consumer: None }
    }
}

impl Consumer for Bpfmap<'_> {
    fn name(&self) -> &'static str {
        "bpfmap"
    }

    fn open(&mut self) {
        self.consumer = Some(self.ring.consumer().expect("bpfmap consumer"));
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let consumer = self.consumer.as_mut().expect("opened");
        let mut tally = Tally::default();
        let n = consumer.consume(|record| tally.visit(record.bytes())).expect("bpfmap consume");
        assert_eq!(n as u64, tally.records);
        tally
    }

    fn close(&mut self) {
        self.consumer = None;
    }
}

/// bpfmap's async reader (the `tokio` feature) on a current-thread runtime: each drain is one
/// `block_on` of `AsyncEvents::consume`, which checks the ring before it would sleep on the
/// fd, as a task that keeps up with a busy ring does.
pub struct BpfmapAsync<'m> {
    ring: RingBuf<'m>,
    runtime: tokio::runtime::Runtime,
    events: Option<bpfmap::AsyncEvents<RingBufConsumer<'m>>>,
}

impl<'m> BpfmapAsync<'m> {
    pub fn new(ring: &'m Map) -> BpfmapAsync<'m> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
        BpfmapAsync { ring: RingBuf::new(ring).expect("RingBuf handle"), runtime, events: None }
    }
}

impl Consumer for BpfmapAsync<'_> {
    fn name(&self) -> &'static str {
        "bpfmap async"
    }

    fn open(&mut self) {
        let _in_runtime = self.runtime.enter();
        let consumer = self.ring.consumer().expect("bpfmap consumer");
        self.events = Some(consumer.into_async().expect("register with tokio"));
    }

    fn consume(&mut self, expected: u64) -> Tally {
        let events = self.events.as_mut().expect("opened");
        let mut tally = Tally::default();
        self.runtime.block_on(async {
            while tally.records < expected {
                events.consume(|record| tally.visit(record.bytes())).await.expect("bpfmap async consume");
            }
        });
        tally
    }

    fn close(&mut self) {
        self.events = None;
    }
}

/// libbpf-rs's `RingBuffer` over a `MapHandle` of the same map (opened by id), calling
/// libbpf's `ring_buffer__consume`. The callback is boxed and called through C, so its tally
/// lives behind an `Rc` rather than on this stack.
pub struct LibbpfRs {
    handle: libbpf_rs::MapHandle,
    tally: Rc<Cell<Tally>>,
    ring: Option<libbpf_rs::RingBuffer<'static>>,
}

impl LibbpfRs {
    pub fn new(ring: &Map) -> LibbpfRs {
        let id = ring.info().expect("map info").id;
        let handle = libbpf_rs::MapHandle::from_map_id(id).expect("libbpf-rs MapHandle");
        LibbpfRs { handle, tally: Rc::default(), ring: None }
    }
}

impl Consumer for LibbpfRs {
    fn name(&self) -> &'static str {
        "libbpf-rs"
    }

    fn open(&mut self) {
        let tally = Rc::clone(&self.tally);
        let mut builder = libbpf_rs::RingBufferBuilder::new();
        builder
            .add(&self.handle, move |record: &[u8]| {
                let mut t = tally.get();
                t.visit(record);
                tally.set(t);
                0
            })
            .expect("add the ring");
        self.ring = Some(builder.build().expect("libbpf-rs RingBuffer"));
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        self.tally.set(Tally::default());
        let n = self.ring.as_ref().expect("opened").consume_raw();
        let tally = self.tally.get();
        assert_eq!(i64::from(n), tally.records as i64, "ring_buffer__consume's count");
        tally
    }

    fn close(&mut self) {
        self.ring = None;
    }
}

/// aya's `RingBuf` over `MapData::from_fd` of a duplicate of the map's fd. aya keeps the
/// consumer position in the reader once made, so a new one is made on every `open`.
pub struct Aya<'m> {
    fd: BorrowedFd<'m>,
    ring: Option<aya::maps::RingBuf<aya::maps::MapData>>,
}

impl<'m> Aya<'m> {
    pub fn new(ring: &'m Map) -> Aya<'m> {
        Aya { fd: ring.fd(), ring: None }
    }
}

impl Consumer for Aya<'_> {
    fn name(&self) -> &'static str {
        "aya"
    }

    fn open(&mut self) {
        let fd = self.fd.as_fd().try_clone_to_owned().expect("dup the map fd");
        let data = aya::maps::MapData::from_fd(fd).expect("aya MapData");
        let ring = aya::maps::RingBuf::try_from(aya::maps::Map::RingBuf(data)).expect("aya RingBuf");
        self.ring = Some(ring);
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let ring = self.ring.as_mut().expect("opened");
        let mut tally = Tally::default();
        while let Some(item) = ring.next() {
            tally.visit(&item);
        }
        tally
    }

    fn close(&mut self) {
        self.ring = None;
    }
}
