//! The perf-buffer section: a program that sends samples with `bpf_perf_event_output` to the
//! perf event of the CPU it runs on, and the five readers of them (bpfmap, bpfmap async, a raw
//! loop over the mappings, libbpf-rs, aya).
//!
//! Unlike a ring buffer's records, which wait in the one ring for whichever reader comes, a
//! sample goes to the perf event that the map holds for the CPU when it is sent, and every
//! reader opens perf events of its own and puts them in the map. So each reader is made
//! first, the samples are produced into its rings, it drains them, and it empties the map's
//! slots when it closes: each owns the slots only while it is the one measured. The benchmark
//! thread is pinned to one CPU (see [`Pinned`]), so every sample of a production lands in that
//! CPU's ring, which is large enough for one production of the largest samples: no sample is
//! lost, and every reader checks that none was.

use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bpfmap::{
    ArrayMap, AsyncEvents, Map, MapDef, MapType, PerfBufferOptions, PerfBufferReader, PerfEventArray,
    create_map,
};

use crate::bpf::{
    Asm, BPF_F_CURRENT_CPU, PERF_EVENT_OUTPUT, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R5, R6,
    load_prog, test_run_repeat,
};
use crate::{Consumer, Tally};

/// The largest sample the program sends; the source value it copies from has this many bytes.
pub const MAX_SAMPLE: usize = 512;
/// Every byte the program sends: the readers' sums of first and last bytes are checked with it.
pub const FILL: u8 = 1;
/// The smallest packet a socket filter test run accepts is an Ethernet header.
const PACKET: [u8; 64] = [0; 64];

/// `include/uapi/linux/perf_event.h`, as the raw loop needs it.
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
const PERF_SAMPLE_RAW: u64 = 1 << 10;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
/// `_IO('$', 0)`.
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
/// The `disabled` bit of the attribute flags: the event is enabled once its ring is mapped.
const ATTR_DISABLED: u64 = 1;
const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;
/// `data_head`, `data_tail`, `data_offset` and `data_size` in `struct perf_event_mmap_page`.
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;

/// The bytes a sample of `sent` bytes carries: the kernel pads it so that its record (an
/// 8-byte header, the 4-byte raw size, the bytes) is a multiple of 8, with bytes it does not
/// write.
pub const fn sample_len(sent: usize) -> usize {
    (sent + 4).next_multiple_of(8) - 4
}

/// The space a sample of `sent` bytes takes in a ring.
pub const fn footprint(sent: usize) -> u64 {
    (8 + 4 + sample_len(sent)) as u64
}

/// The map, the source of the samples, one program per size, and what every reader opens.
pub struct Setup {
    pub events: Map,
    /// Keeps the programs' source value alive.
    _source: Map,
    programs: Vec<(usize, OwnedFd)>,
    /// The online CPUs: every reader has a ring on each, as bpfmap's and libbpf's do.
    cpus: Vec<u32>,
    /// The data pages of each ring.
    pages: usize,
    /// The bytes each sample of the last production carries before its padding: the readers
    /// sum the first and last of those (the padding's bytes are unspecified).
    sent: Cell<usize>,
    /// The CPU the thread is pinned to, whose ring every sample goes to.
    cpu: u32,
}

impl Setup {
    /// A map with a slot for every possible CPU, rings of `ring_bytes` each, and a program for
    /// each of `sizes`, run on `pinned`'s CPU.
    pub fn new(ring_bytes: usize, sizes: &[usize], pinned: &Pinned) -> Setup {
        let possible = bpfmap::possible_cpus().expect("the possible CPUs") as u32;
        let events = create_map(&MapDef::new(MapType::PERF_EVENT_ARRAY, 4, 4, possible))
            .expect("create the events map");
        let source =
            create_map(&MapDef::new(MapType::ARRAY, 4, MAX_SAMPLE as u32, 1)).expect("create the source");
        ArrayMap::<[u8; MAX_SAMPLE]>::new(&source)
            .expect("source handle")
            .set(0, &[FILL; MAX_SAMPLE])
            .expect("fill the source");
        let programs = sizes.iter().map(|&size| (size, output_program(&events, &source, size))).collect();
        // SAFETY: sysconf has no memory preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let pages = ring_bytes / page;
        assert!(pages.is_power_of_two() && pages * page == ring_bytes, "a ring of a power of two of pages");
        let cpus = online_cpus();
        assert!(cpus.contains(&pinned.cpu), "pinned to an online CPU");
        Setup { events, _source: source, programs, cpus, pages, sent: Cell::new(0), cpu: pinned.cpu }
    }

    /// Has the program for `size` send `n` samples in one `BPF_PROG_TEST_RUN`, on this
    /// thread's CPU, into the rings of the reader opened last; returns how long that took.
    pub fn produce(&self, size: usize, n: u64) -> Duration {
        let (_, prog) = self.programs.iter().find(|(s, _)| *s == size).expect("a program for this size");
        self.sent.set(size);
        let start = Instant::now();
        let ret = test_run_repeat(prog, &PACKET, n.try_into().expect("repeat fits u32")).expect("test run");
        let took = start.elapsed();
        assert_eq!(current_cpu(), self.cpu, "the thread stays on its CPU");
        // Only the last run's result comes back; the readers' exact counts and lost counts
        // check the others.
        assert_eq!(ret as i32, 0, "bpf_perf_event_output failed (no perf event of this CPU in the map?)");
        took
    }
}

/// `bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, &source[0], size)`; returns the
/// helper's result.
fn output_program(events: &Map, source: &Map, size: usize) -> OwnedFd {
    const MISSING: i32 = 0xdead;
    let mut asm = Asm::new();
    // The context outlives the lookup's call in a callee-saved register.
    asm.mov64_reg(R6, R1)
        .lookup_u32(source.fd(), 0, MISSING)
        .mov64_reg(R1, R6)
        .ld_map_fd(R2, events.fd())
        .ld_imm64(R3, BPF_F_CURRENT_CPU)
        .mov64_reg(R4, R0)
        .mov64_imm(R5, size as i32)
        .call(PERF_EVENT_OUTPUT)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("load the output program: {e}"))
}

/// The online CPUs, read here rather than asked of any reader.
fn online_cpus() -> Vec<u32> {
    let list = std::fs::read_to_string("/sys/devices/system/cpu/online").expect("the online CPUs");
    let mut cpus = Vec::new();
    for range in list.trim().split(',') {
        match range.split_once('-') {
            Some((a, b)) => cpus.extend(a.parse::<u32>().expect("a CPU")..=b.parse::<u32>().expect("a CPU")),
            None => cpus.push(range.parse().expect("a CPU")),
        }
    }
    cpus
}

/// The calling thread pinned to the CPU it runs on, until dropped (the previous CPU set comes
/// back): the program's samples go to the ring of the CPU the test run is on, and a thread
/// that moved between productions, or during one, would spread them over the rings.
pub struct Pinned {
    cpu: u32,
    previous: libc::cpu_set_t,
}

impl Pinned {
    pub fn here() -> Pinned {
        let cpu = current_cpu();
        // SAFETY: a zeroed cpu_set_t is an empty set, which sched_getaffinity fills (it writes
        // at most the size given); CPU_SET writes within the set (checked below its size).
        let previous = unsafe {
            let mut previous: libc::cpu_set_t = std::mem::zeroed();
            let ret = libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut previous);
            assert_eq!(ret, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert!((cpu as usize) < 8 * size_of::<libc::cpu_set_t>());
            libc::CPU_SET(cpu as usize, &mut set);
            set_affinity(&set);
            previous
        };
        Pinned { cpu, previous }
    }
}

/// The CPU the calling thread runs on.
fn current_cpu() -> u32 {
    // SAFETY: sched_getcpu has no memory preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).unwrap_or_else(|_| panic!("sched_getcpu: {}", std::io::Error::last_os_error()))
}

impl Drop for Pinned {
    fn drop(&mut self) {
        set_affinity(&self.previous);
    }
}

fn set_affinity(set: &libc::cpu_set_t) {
    // SAFETY: the kernel reads the set, of the size given, during the call.
    let ret = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), set) };
    assert_eq!(ret, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
}

/// `struct perf_event_attr` up to `config2` (`PERF_ATTR_SIZE_VER1`).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
}

const _: () = assert!(size_of::<PerfEventAttr>() == 72);

/// One CPU's BPF output event and its ring, mapped and read the way libbpf's
/// `perf_event_read_simple` does it, without its callback: the metadata page, then the data
/// pages, mapped once (a record that wraps around the end is copied to be read whole).
struct RawPerfRing {
    cpu: u32,
    base: *mut u8,
    len: usize,
    /// The data: `size` bytes, a power of two, from the page after the metadata.
    data: *const u8,
    size: u64,
    lost: u64,
    /// Closed after the mapping is gone (`Drop` unmaps before the fields drop).
    fd: OwnedFd,
}

impl RawPerfRing {
    /// Opens the BPF output event of `cpu` (a sample per output, a wake-up per sample, as the
    /// other readers ask), maps `pages` data pages and enables it.
    fn open(cpu: u32, pages: usize) -> RawPerfRing {
        let attr = PerfEventAttr {
            kind: PERF_TYPE_SOFTWARE,
            size: size_of::<PerfEventAttr>() as u32,
            config: PERF_COUNT_SW_BPF_OUTPUT,
            sample_period: 1,
            sample_type: PERF_SAMPLE_RAW,
            flags: ATTR_DISABLED,
            wakeup_events: 1,
            ..PerfEventAttr::default()
        };
        // SAFETY: `attr` is a `perf_event_attr` of the size it states, read during the call; the
        // other arguments are integers.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &raw const attr,
                -1,
                cpu as libc::c_int,
                -1,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        assert!(ret >= 0, "perf_event_open on CPU {cpu}: {}", std::io::Error::last_os_error());
        // SAFETY: a fresh fd, owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(ret as i32) };
        // SAFETY: sysconf has no memory preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let len = (pages + 1) * page;
        // SAFETY: a new mapping at an address the kernel picks; nothing else is touched.
        let base = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap the perf ring: {}", std::io::Error::last_os_error());
        let base = base.cast::<u8>();
        let mut ring = RawPerfRing { cpu, base, len, data: core::ptr::null(), size: 0, lost: 0, fd };
        let (offset, size) =
            (ring.word(DATA_OFFSET).load(Ordering::Relaxed), ring.word(DATA_SIZE).load(Ordering::Relaxed));
        // The layout is the one a C reader assumes (and that kernels before 4.1 reported as 0).
        assert!(
            (offset, size) == (page as u64, (pages * page) as u64) || (offset, size) == (0, 0),
            "the data at {offset}, {size} bytes"
        );
        // SAFETY: the data pages follow the metadata page, within the mapping.
        ring.data = unsafe { base.add(page) };
        ring.size = (pages * page) as u64;
        // SAFETY: an ioctl without a pointer argument on our perf event fd.
        let ret = unsafe { libc::ioctl(ring.fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE as _, 0) };
        assert_eq!(ret, 0, "PERF_EVENT_IOC_ENABLE: {}", std::io::Error::last_os_error());
        ring
    }

    /// The 8-byte word at `at` of the metadata page.
    fn word(&self, at: usize) -> &AtomicU64 {
        // SAFETY: an 8-aligned word of the page-aligned metadata page, mapped read-write while
        // `self` lives, which the kernel accesses with single 8-byte loads and stores.
        unsafe { AtomicU64::from_ptr(self.base.add(at).cast()) }
    }

    /// The raw loop: every record between `data_tail` and `data_head` (acquire), samples to
    /// `f`, lost counts added up, a wrapping record copied into `scratch`; then `data_tail`
    /// stored once (release), as `perf_event_read_simple` does. It trusts the kernel's sizes.
    #[inline(always)]
    fn consume(&mut self, scratch: &mut Vec<u8>, f: &mut impl FnMut(&[u8])) -> u64 {
        let head = self.word(DATA_HEAD).load(Ordering::Acquire);
        let mut tail = self.word(DATA_TAIL).load(Ordering::Relaxed);
        let mask = self.size - 1;
        let mut n = 0;
        while tail != head {
            let offset = (tail & mask) as usize;
            // SAFETY: records are 8-aligned and at least their 8-byte header, which the end of
            // the data (a multiple of 8) cannot split; written before `data_head` (acquire).
            let mut record = unsafe { self.data.add(offset) };
            // SAFETY: the header's `size`, as above.
            let len = usize::from(unsafe { record.add(6).cast::<u16>().read() });
            if offset + len > self.size as usize {
                let first = self.size as usize - offset;
                scratch.clear();
                // SAFETY: the record's `len` bytes, from `offset` to the end of the data and
                // then from its start; the kernel does not write them before `data_tail` passes.
                unsafe {
                    scratch.extend_from_slice(core::slice::from_raw_parts(record, first));
                    scratch.extend_from_slice(core::slice::from_raw_parts(self.data, len - first));
                }
                record = scratch.as_ptr();
            }
            // SAFETY: the header's `type`, at the (now contiguous) record's start.
            match unsafe { record.cast::<u32>().read() } {
                PERF_RECORD_SAMPLE => {
                    // SAFETY: a sample is the header, its u32 raw size and the raw bytes, all
                    // within the record's `len` bytes.
                    let sample = unsafe {
                        let raw = record.add(8).cast::<u32>().read() as usize;
                        core::slice::from_raw_parts(record.add(12), raw)
                    };
                    f(sample);
                    n += 1;
                }
                // SAFETY: a lost record is the header, an id and the count.
                PERF_RECORD_LOST => self.lost += unsafe { record.add(16).cast::<u64>().read() },
                _ => {}
            }
            tail += len as u64;
        }
        self.word(DATA_TAIL).store(tail, Ordering::Release);
        n
    }
}

impl Drop for RawPerfRing {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, with its length; nothing borrows it past `self`.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// The baseline: [`RawPerfRing::consume`] over a ring per online CPU, opened and put in the
/// map on `open`, taken out of it on `close`.
pub struct Raw<'s> {
    setup: &'s Setup,
    array: PerfEventArray<'s>,
    rings: Vec<RawPerfRing>,
    scratch: Vec<u8>,
}

impl<'s> Raw<'s> {
    pub fn new(setup: &'s Setup) -> Raw<'s> {
        let array = PerfEventArray::new(&setup.events).expect("PerfEventArray handle");
        Raw { setup, array, rings: Vec::new(), scratch: Vec::new() }
    }
}

impl Consumer for Raw<'_> {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn open(&mut self) {
        for &cpu in &self.setup.cpus {
            let ring = RawPerfRing::open(cpu, self.setup.pages);
            self.array.set(cpu, ring.fd.as_fd()).expect("put the perf event in the map");
            self.rings.push(ring);
        }
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let sent = self.setup.sent.get();
        let mut tally = Tally::default();
        let mut visit = |sample: &[u8]| tally.visit_sample(sample, sent);
        let mut n = 0;
        for ring in &mut self.rings {
            n += ring.consume(&mut self.scratch, &mut visit);
        }
        assert_eq!(n, tally.records);
        tally
    }

    fn close(&mut self) {
        for ring in self.rings.drain(..) {
            assert_eq!(ring.lost, 0, "raw: samples lost on CPU {}", ring.cpu);
            self.array.remove(ring.cpu).expect("empty the map's slot");
        }
    }
}

/// bpfmap's `PerfBufferReader`, made on `open` (bpfmap allows one reader per map in a process;
/// it puts its events in the map) and dropped on `close` (which empties the slots).
pub struct Bpfmap<'s> {
    setup: &'s Setup,
    array: PerfEventArray<'s>,
    reader: Option<PerfBufferReader<'s>>,
}

impl<'s> Bpfmap<'s> {
    pub fn new(setup: &'s Setup) -> Bpfmap<'s> {
        let array = PerfEventArray::new(&setup.events).expect("PerfEventArray handle");
        Bpfmap { setup, array, reader: None }
    }

    fn options(&self) -> PerfBufferOptions {
        PerfBufferOptions::new().pages_per_cpu(self.setup.pages)
    }
}

impl Consumer for Bpfmap<'_> {
    fn name(&self) -> &'static str {
        "bpfmap"
    }

    fn open(&mut self) {
        self.reader = Some(self.array.reader_with(self.options()).expect("bpfmap reader"));
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let sent = self.setup.sent.get();
        let reader = self.reader.as_mut().expect("opened");
        let mut tally = Tally::default();
        let n = reader.consume(|record| tally.visit_sample(record.bytes(), sent)).expect("bpfmap consume");
        assert_eq!(n as u64, tally.records);
        tally
    }

    fn close(&mut self) {
        let reader = self.reader.take().expect("opened");
        assert_eq!(reader.lost(), 0, "bpfmap: samples lost");
        assert_eq!(reader.pending(), 0, "bpfmap: the reader read every record");
    }
}

/// bpfmap's async reader (the `tokio` feature) on a current-thread runtime, which runs on this
/// (pinned) thread: each drain is one `block_on` of `AsyncEvents::consume` until `expected`
/// samples arrived; the first call finds them waiting, as a task that keeps up with a busy
/// CPU does.
pub struct BpfmapAsync<'s> {
    inner: Bpfmap<'s>,
    runtime: tokio::runtime::Runtime,
    events: Option<AsyncEvents<PerfBufferReader<'s>>>,
}

impl<'s> BpfmapAsync<'s> {
    pub fn new(setup: &'s Setup) -> BpfmapAsync<'s> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
        BpfmapAsync { inner: Bpfmap::new(setup), runtime, events: None }
    }
}

impl Consumer for BpfmapAsync<'_> {
    fn name(&self) -> &'static str {
        "bpfmap async"
    }

    fn open(&mut self) {
        let _in_runtime = self.runtime.enter();
        let reader = self.inner.array.reader_with(self.inner.options()).expect("bpfmap reader");
        self.events = Some(reader.into_async().expect("register with tokio"));
    }

    fn consume(&mut self, expected: u64) -> Tally {
        let sent = self.inner.setup.sent.get();
        let events = self.events.as_mut().expect("opened");
        let mut tally = Tally::default();
        self.runtime.block_on(async {
            while tally.records < expected {
                events
                    .consume(|record| tally.visit_sample(record.bytes(), sent))
                    .await
                    .expect("bpfmap async consume");
            }
        });
        tally
    }

    fn close(&mut self) {
        let events = self.events.take().expect("opened");
        assert_eq!(events.get_ref().lost(), 0, "bpfmap async: samples lost");
        // Unregistered from the reactor inside the runtime, then dropped (emptying the slots).
        let _in_runtime = self.runtime.enter();
        drop(events.into_inner());
    }
}

/// libbpf-rs's `PerfBuffer` over a `MapHandle` of the same map (opened by id), calling
/// libbpf's `perf_buffer__consume`, which opens its own events on every online CPU and empties
/// the map's slots when freed. The callbacks are boxed and called through C, so what they count
/// lives behind an `Rc` rather than on this stack.
pub struct LibbpfRs<'s> {
    setup: &'s Setup,
    handle: libbpf_rs::MapHandle,
    tally: Rc<Cell<Tally>>,
    lost: Rc<Cell<u64>>,
    /// [`Setup::sent`], copied where the callback sees it.
    sent: Rc<Cell<usize>>,
    buffer: Option<libbpf_rs::PerfBuffer<'static>>,
}

impl<'s> LibbpfRs<'s> {
    pub fn new(setup: &'s Setup) -> LibbpfRs<'s> {
        let id = setup.events.info().expect("map info").id;
        let handle = libbpf_rs::MapHandle::from_map_id(id).expect("libbpf-rs MapHandle");
        LibbpfRs {
            setup,
            handle,
            tally: Rc::default(),
            lost: Rc::default(),
            sent: Rc::default(),
            buffer: None,
        }
    }
}

impl Consumer for LibbpfRs<'_> {
    fn name(&self) -> &'static str {
        "libbpf-rs"
    }

    fn open(&mut self) {
        let (tally, lost, sent) = (Rc::clone(&self.tally), Rc::clone(&self.lost), Rc::clone(&self.sent));
        let buffer = libbpf_rs::PerfBufferBuilder::new(&self.handle)
            .sample_cb(move |_cpu, sample: &[u8]| {
                let mut t = tally.get();
                t.visit_sample(sample, sent.get());
                tally.set(t);
            })
            .lost_cb(move |_cpu, count| lost.set(lost.get() + count))
            .pages(self.setup.pages)
            .build()
            .expect("libbpf-rs PerfBuffer");
        self.buffer = Some(buffer);
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        self.sent.set(self.setup.sent.get());
        self.tally.set(Tally::default());
        self.buffer.as_ref().expect("opened").consume().expect("perf_buffer__consume");
        self.tally.get()
    }

    fn close(&mut self) {
        self.buffer = None;
        assert_eq!(self.lost.replace(0), 0, "libbpf-rs: samples lost");
    }
}

/// aya's `PerfEventArray` over `MapData::from_fd` of a duplicate of the map's fd, with a
/// `PerfEventArrayBuffer` per online CPU (aya puts each event in the map as it opens it, and
/// leaves it there: `close` empties the slots). aya lends a sample as two slices when it wraps
/// around the end of the ring; it is then copied, as the other readers do, to be read whole.
pub struct Aya<'s> {
    setup: &'s Setup,
    array: PerfEventArray<'s>,
    buffers: Vec<aya::maps::perf::PerfEventArrayBuffer<aya::maps::MapData>>,
    scratch: Vec<u8>,
    lost: u64,
}

impl<'s> Aya<'s> {
    pub fn new(setup: &'s Setup) -> Aya<'s> {
        let array = PerfEventArray::new(&setup.events).expect("PerfEventArray handle");
        Aya { setup, array, buffers: Vec::new(), scratch: Vec::new(), lost: 0 }
    }
}

impl Consumer for Aya<'_> {
    fn name(&self) -> &'static str {
        "aya"
    }

    fn open(&mut self) {
        let fd = self.setup.events.fd().try_clone_to_owned().expect("dup the map fd");
        let data = aya::maps::MapData::from_fd(fd).expect("aya MapData");
        let mut array = aya::maps::PerfEventArray::try_from(aya::maps::Map::PerfEventArray(data))
            .expect("aya PerfEventArray");
        for &cpu in &self.setup.cpus {
            self.buffers.push(array.open(cpu, Some(self.setup.pages)).expect("aya perf buffer"));
        }
    }

    fn consume(&mut self, _expected: u64) -> Tally {
        let sent = self.setup.sent.get();
        let mut tally = Tally::default();
        let (scratch, lost) = (&mut self.scratch, &mut self.lost);
        for buffer in &mut self.buffers {
            buffer.for_each(|event| match event {
                aya::maps::perf::PerfEvent::Sample { head, tail: [] } => {
                    tally.visit_sample(head, sent);
                }
                aya::maps::perf::PerfEvent::Sample { head, tail } => {
                    scratch.clear();
                    scratch.extend_from_slice(head);
                    scratch.extend_from_slice(tail);
                    tally.visit_sample(scratch, sent);
                }
                aya::maps::perf::PerfEvent::Lost { count } => *lost += count,
            });
        }
        tally
    }

    fn close(&mut self) {
        self.buffers.clear();
        for &cpu in &self.setup.cpus {
            self.array.remove(cpu).expect("empty the map's slot");
        }
        assert_eq!(std::mem::take(&mut self.lost), 0, "aya: samples lost");
    }
}
