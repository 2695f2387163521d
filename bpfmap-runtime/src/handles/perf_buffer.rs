//! Perf buffers: the per-CPU rings behind a `perf_event_array`, which programs fill with
//! `bpf_perf_event_output`, read by [`PerfBufferReader`].
//!
//! The layout follows `include/uapi/linux/perf_event.h`. For each online CPU the reader opens
//! a `PERF_COUNT_SW_BPF_OUTPUT` software event on that CPU and puts its fd in the map at the
//! CPU's index, where `bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, ...)` finds it. The
//! event's mapping is one metadata page (`struct perf_event_mmap_page`), whose `data_head` the
//! kernel publishes (release) after writing records and whose `data_tail` the reader writes
//! (release) once it is done with them, followed by a power of two of data pages. Records start
//! with `struct perf_event_header` (`u32 type`, `u16 misc`, `u16 size`, the size including the
//! header) and are 8-byte aligned: a `PERF_RECORD_SAMPLE` carries `u32 size` and the raw bytes,
//! a `PERF_RECORD_LOST` the number of samples dropped since the last record. Unlike a ring
//! buffer's, the data pages are mapped once, so a record that wraps around the end of the ring
//! is copied to be read as one slice.

use core::sync::atomic::{AtomicU64, Ordering};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{MapRef, PerfEventArray, Size, check_handle};
use crate::claims::Claim;
use crate::error::{Op, RingProblem};
use crate::events::Record;
use crate::mapped::Mmap;
use crate::rules::{Family, HostLimits};
use crate::{Errno, Error, Map};

/// `PERF_TYPE_SOFTWARE`.
const PERF_TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_SW_BPF_OUTPUT`: the event `bpf_perf_event_output` writes to.
const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
/// `PERF_SAMPLE_RAW`: samples carry `u32 size` and the raw bytes, nothing else.
const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// `PERF_FLAG_FD_CLOEXEC`.
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
/// `PERF_EVENT_IOC_ENABLE`: `_IO('$', 0)`.
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
/// The `disabled` bit of `perf_event_attr`'s flags: the event starts off, and is enabled once
/// its ring is mapped.
const ATTR_DISABLED: u64 = 1 << 0;
/// The `watermark` bit: wake up after `wakeup_watermark` bytes rather than `wakeup_events`
/// samples.
const ATTR_WATERMARK: u64 = 1 << 14;
/// `PERF_RECORD_LOST`: `u64 id`, `u64 lost` after the header.
const PERF_RECORD_LOST: u32 = 2;
/// `PERF_RECORD_SAMPLE`.
const PERF_RECORD_SAMPLE: u32 = 9;

/// Offsets in `struct perf_event_mmap_page`: the ring's positions (bytes written and read since
/// the event was opened, never wrapped) and, since Linux 4.1, where the data pages are.
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;
/// The bytes of `struct perf_event_mmap_page` that the kernel may write (through `aux_size`):
/// the data, which records are lent from, must lie past them.
const META_LEN: usize = 1088;

/// The pages per CPU of [`PerfEventArray::reader`].
const DEFAULT_PAGES: usize = 8;

/// `struct perf_event_attr` up to `config2` (`PERF_ATTR_SIZE_VER1`, which every kernel with
/// BPF output events reads).
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
    /// `wakeup_events`, or `wakeup_watermark` with [`ATTR_WATERMARK`].
    wakeup: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
}

const _: () = {
    assert!(core::mem::offset_of!(PerfEventAttr, sample_type) == 24);
    assert!(core::mem::offset_of!(PerfEventAttr, flags) == 40);
    assert!(core::mem::offset_of!(PerfEventAttr, wakeup) == 48);
    assert!(size_of::<PerfEventAttr>() == 72);
};

/// How a [`PerfBufferReader`] is made: the size of each CPU's ring and when the kernel wakes
/// the reader.
///
/// ```no_run
/// use bpfmap::{bpf_map, PerfBufferOptions};
///
/// #[bpf_map(type = "perf_event_array")]
/// struct Events { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let options = PerfBufferOptions::new().pages_per_cpu(64).wakeup_bytes(4096);
/// let mut reader = maps.get::<Events>().reader_with(options)?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerfBufferOptions {
    pages: usize,
    wakeup: Wakeup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wakeup {
    Events(u32),
    Bytes(u32),
}

impl PerfBufferOptions {
    /// 8 data pages per CPU (32 KiB with 4 KiB pages), and a wake-up for every sample.
    ///
    /// ```no_run
    /// let options = bpfmap::PerfBufferOptions::new();
    /// assert_eq!(options, bpfmap::PerfBufferOptions::default());
    /// ```
    pub fn new() -> PerfBufferOptions {
        PerfBufferOptions { pages: DEFAULT_PAGES, wakeup: Wakeup::Events(1) }
    }

    /// The data pages of each CPU's ring: a power of two (1, 2, 4, ...), which the kernel
    /// requires; another number makes the reader's constructor fail with
    /// [`Error::Mismatch`]. One more page per CPU holds the ring's positions.
    ///
    /// ```no_run
    /// let options = bpfmap::PerfBufferOptions::new().pages_per_cpu(64);
    /// ```
    pub fn pages_per_cpu(self, pages: usize) -> PerfBufferOptions {
        PerfBufferOptions { pages, ..self }
    }

    /// Wakes the reader's fd after every `samples` samples on a CPU (at least 1; the default
    /// is 1). The samples written meanwhile are there to read (see
    /// [`PerfBufferReader::ready`]): the wake-up only decides when a waiting reader returns.
    ///
    /// ```no_run
    /// let options = bpfmap::PerfBufferOptions::new().wakeup_events(16);
    /// ```
    pub fn wakeup_events(self, samples: u32) -> PerfBufferOptions {
        PerfBufferOptions { wakeup: Wakeup::Events(samples.max(1)), ..self }
    }

    /// Wakes the reader's fd once a CPU's ring holds `bytes` unread bytes (the kernel's
    /// `watermark`; 0 means half the ring, and more than the ring means the whole ring).
    ///
    /// ```no_run
    /// let options = bpfmap::PerfBufferOptions::new().pages_per_cpu(16).wakeup_bytes(8192);
    /// ```
    pub fn wakeup_bytes(self, bytes: u32) -> PerfBufferOptions {
        PerfBufferOptions { wakeup: Wakeup::Bytes(bytes), ..self }
    }
}

impl Default for PerfBufferOptions {
    fn default() -> PerfBufferOptions {
        PerfBufferOptions::new()
    }
}

impl<'m> PerfEventArray<'m> {
    /// A reader of the records programs send through this map with `bpf_perf_event_output`:
    /// one perf event per online CPU, each with 8 data pages, put in the map at the CPU's
    /// index. See [`PerfBufferReader::new`].
    ///
    /// ```no_run
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "perf_event_array")]
    /// struct Events { key: u32, value: u32 }
    ///
    /// let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// while let Some(record) = reader.next() {
    ///     let record = record?;
    ///     println!("CPU {:?}: {} bytes", record.cpu(), record.len());
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`PerfBufferReader::new`].
    pub fn reader(&self) -> Result<PerfBufferReader<'m>, Error> {
        PerfBufferReader::new(self.map.clone(), PerfBufferOptions::new())
    }

    /// A reader made with `options` (ring size, wake-ups). See [`PerfBufferReader::new`].
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, PerfBufferOptions};
    ///
    /// #[bpf_map(type = "perf_event_array")]
    /// struct Events { key: u32, value: u32 }
    ///
    /// let maps = bpfmap::load()?;
    /// let reader = maps.get::<Events>().reader_with(PerfBufferOptions::new().pages_per_cpu(2))?;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`PerfBufferReader::new`].
    pub fn reader_with(&self, options: PerfBufferOptions) -> Result<PerfBufferReader<'m>, Error> {
        PerfBufferReader::new(self.map.clone(), options)
    }
}

/// Reads the records BPF programs send with `bpf_perf_event_output` through a
/// `perf_event_array`: one ring per online CPU, read in turn (each ring's records in the order
/// they were written; no order across CPUs).
///
/// [`next`](Self::next) returns a sample as a [`Record`] that knows its CPU, without a
/// syscall; the record's space goes back to the kernel when the next record is asked for (or
/// the reader drops), so the bytes stay valid and unchanged while the record is borrowed. A
/// record that wraps around the end of its ring is copied into a buffer of the reader.
///
/// **Sample sizes.** The kernel pads each sample so that its record is a multiple of 8 bytes:
/// a record has the bytes the program sent followed by up to 7 bytes of padding, whose
/// contents are unspecified (`round_up(size + 4, 8) - 4` bytes for `size` bytes sent).
/// [`Record::read`] and [`Record::prefix`] ignore bytes past the type they read; a program that
/// sends variable-length data should send its length too.
///
/// **Lost samples are counted, never hidden.** When a CPU's ring is full, the kernel drops the
/// samples that do not fit (`bpf_perf_event_output` returns `-ENOSPC`) and, with the next
/// sample that fits, writes how many it dropped. The reader adds these counts up:
/// [`lost`](Self::lost) for all CPUs, [`lost_on`](Self::lost_on) per CPU. Read faster, or
/// give each CPU more pages, when they grow.
///
/// **Waiting.** The reader is an fd ([`AsFd`], an epoll instance that watches every CPU's
/// event) that turns readable when a CPU has new samples: [`wait`](Self::wait) blocks on it,
/// an [`EventPoller`](crate::EventPoller) takes the reader as an
/// [`EventSource`](crate::EventSource), and any event loop (mio, `tokio::io::unix::AsyncFd`)
/// can poll it; call [`ready`](Self::ready) before waiting, as the kernel wakes the fd once
/// per wake-up, not while samples wait.
///
/// **One reader per map.** The reader takes every online CPU's slot in the map: a second
/// reader of the same map in this process is refused ([`Error::InUse`]), and a reader in
/// another process would take the slots over, leaving this one without samples. Dropping the
/// reader empties the slots it set.
///
/// A reader made from an owned map (an `Arc<Map>`, a `Map`, [`Maps::owned`](crate::Maps::owned))
/// is `'static` and `Send`: it moves into a thread or a task.
///
/// ```no_run
/// use std::time::Duration;
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Exec { pid: u32, uid: u32 }
///
/// #[bpf_map(type = "perf_event_array")]
/// struct Events { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let mut reader = maps.get::<Events>().reader()?;
/// loop {
///     reader.wait(Some(Duration::from_secs(1)))?;
///     while let Some(record) = reader.next() {
///         let record = record?;
///         let exec: Exec = record.read()?;
///         println!("CPU {:?}: pid {} uid {}", record.cpu(), exec.pid, exec.uid);
///     }
///     if reader.lost() > 0 {
///         eprintln!("{} samples lost", reader.lost());
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerfBufferReader<'m> {
    array: PerfEventArray<'m>,
    rings: Vec<CpuRing>,
    /// Watches every ring's event for `EPOLLIN`.
    epoll: OwnedFd,
    /// Where a record that wraps around the end of its ring is copied.
    scratch: Vec<u8>,
    /// The ring being read.
    current: usize,
    /// The ring whose record is lent: its `data_tail` is written when the next record is
    /// asked for.
    lent: Option<usize>,
    /// An error `ready` found, reported by the next `next`.
    failed: Option<Error>,
    pages: usize,
    _claim: Claim,
}

/// One CPU's perf event and its mapped ring.
struct CpuRing {
    cpu: u32,
    /// The metadata page, then the data.
    mmap: Mmap,
    /// Where the data starts in the mapping: past the metadata the kernel writes, 8-aligned.
    data_offset: usize,
    /// The data's size in bytes: a power of two, at least 8; `data_offset + size` is within the
    /// mapping.
    size: u64,
    /// The reader's position: records before it were handed out (or skipped).
    tail: u64,
    /// `data_head` as last loaded: the reader reads up to it before moving to the next ring.
    head: u64,
    /// Whether `head` was loaded in the current turn of this ring.
    refreshed: bool,
    /// The samples the kernel reported lost on this CPU.
    lost: u64,
    fd: OwnedFd,
}

impl CpuRing {
    /// Opens the BPF output event of `cpu`, maps its ring of `pages` data pages and enables it.
    fn open(map: &Map, cpu: u32, pages: usize, page: usize, wakeup: Wakeup) -> Result<CpuRing, Error> {
        let fail = |call, errno| map.error(Op::PerfBuffer { cpu, call }, errno);
        let (flags, wakeup) = match wakeup {
            Wakeup::Events(n) => (ATTR_DISABLED, n),
            Wakeup::Bytes(n) => (ATTR_DISABLED | ATTR_WATERMARK, n),
        };
        let attr = PerfEventAttr {
            kind: PERF_TYPE_SOFTWARE,
            size: size_of::<PerfEventAttr>() as u32,
            config: PERF_COUNT_SW_BPF_OUTPUT,
            sample_period: 1,
            sample_type: PERF_SAMPLE_RAW,
            flags,
            wakeup,
            ..PerfEventAttr::default()
        };
        let cpu_arg = libc::c_int::try_from(cpu).map_err(|_| fail("perf_event_open", Errno::EINVAL))?;
        // SAFETY: `attr` is a `perf_event_attr` of the size it states, which the kernel only
        // reads during the call; the other arguments are integers. It returns a new fd or -1.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const PerfEventAttr,
                -1 as libc::pid_t,
                cpu_arg,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        let raw = match RawFd::try_from(ret) {
            Ok(raw) if raw >= 0 => raw,
            _ => return Err(fail("perf_event_open", Errno::last())),
        };
        // SAFETY: perf_event_open returned a fresh fd, owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let len = pages
            .checked_add(1)
            .and_then(|n| n.checked_mul(page))
            .ok_or_else(|| fail("mmap", Errno::ENOMEM))?;
        let mmap = Mmap::of_fd(fd.as_fd(), len).map_err(|errno| fail("mmap", errno))?;
        let mut ring =
            CpuRing { cpu, mmap, data_offset: 0, size: 0, tail: 0, head: 0, refreshed: false, lost: 0, fd };
        // Kernels before 4.1 leave both 0: the data is then the pages after the first.
        let (offset, size) = match (
            ring.word(DATA_OFFSET).load(Ordering::Relaxed),
            ring.word(DATA_SIZE).load(Ordering::Relaxed),
        ) {
            (0, 0) => (page as u64, (pages * page) as u64),
            found => found,
        };
        let fits = offset >= META_LEN as u64
            && offset.is_multiple_of(8)
            && size.is_power_of_two()
            && size >= 8
            && offset.checked_add(size).is_some_and(|end| end <= len as u64);
        if !fits {
            return Err(Error::Mismatch {
                map: map.label(),
                what: format!(
                    "the perf buffer of CPU {cpu} reports {size} bytes of data at offset {offset}, which is not \
                     a ring within the {len} bytes mapped"
                ),
            });
        }
        ring.data_offset = offset as usize;
        ring.size = size;
        // A new event's ring is empty; start where its reader position says anyway.
        ring.tail = ring.word(DATA_TAIL).load(Ordering::Relaxed);
        ring.head = ring.tail;
        // SAFETY: an ioctl without a pointer argument on our perf event fd.
        if unsafe { libc::ioctl(ring.fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE as _, 0) } < 0 {
            return Err(fail("PERF_EVENT_IOC_ENABLE", Errno::last()));
        }
        Ok(ring)
    }

    /// The 8-byte word at `at` (one of the `DATA_*` offsets) of the metadata page.
    #[inline]
    fn word(&self, at: usize) -> &AtomicU64 {
        metadata_word(&self.mmap, at)
    }

    /// The kernel's `data_head`, with acquire: the records before it are complete.
    #[inline]
    fn load_head(&self) -> u64 {
        self.word(DATA_HEAD).load(Ordering::Acquire)
    }

    /// Gives the kernel back the space before `tail` (release: the reads of the records there
    /// happen before the kernel may write over them).
    #[inline]
    fn release(&self) {
        self.word(DATA_TAIL).store(self.tail, Ordering::Release);
    }

    /// The start of the data: `size` bytes, 8-aligned.
    #[inline]
    fn data(&self) -> *mut u8 {
        // SAFETY: `data_offset + size` is within the mapping (checked in `open`).
        unsafe { self.mmap.ptr().add(self.data_offset) }
    }
}

/// A ring's position during a turn of [`PerfBufferReader::consume`]: a local (a register) while
/// the turn runs, written back to the ring's `tail` when the turn ends, however it ends (`f`
/// may panic), so that the ring is right for the next call without a store per record.
struct TurnPosition<'r> {
    tail: u64,
    ring: &'r mut u64,
}

impl Drop for TurnPosition<'_> {
    fn drop(&mut self) {
        *self.ring = self.tail;
    }
}

/// The 8-byte word at `at` (one of the `DATA_*` offsets) of the metadata page of `mmap`, a
/// ring's mapping made by [`CpuRing::open`]. Borrowing the mapping alone, not the ring, lets
/// `consume` hold `data_tail` while it moves the ring's position.
#[inline]
fn metadata_word(mmap: &Mmap, at: usize) -> &AtomicU64 {
    debug_assert!(at.is_multiple_of(8) && at + 8 <= META_LEN);
    // The mapping is page-aligned, at least two pages (`open` maps 1 + pages, pages >= 1)
    // and lives as long as the borrow; the kernel accesses these words with single 8-byte loads
    // and stores (`READ_ONCE`, `WRITE_ONCE`), as this reader does through the atomic.
    // SAFETY: `at` is 8-aligned and `at + 8 <= META_LEN`: an aligned word in the mapping,
    // only ever accessed atomically.
    unsafe { AtomicU64::from_ptr(mmap.ptr().add(at).cast()) }
}

/// Where `locate` found a sample: ring `ring`, `len` bytes at `offset` in its data (wrapping at
/// its end); the next record starts at position `next`.
struct Found {
    ring: usize,
    offset: usize,
    len: usize,
    next: u64,
}

impl<'m> PerfBufferReader<'m> {
    /// Opens a perf event on every online CPU (as `/sys/devices/system/cpu/online` lists them;
    /// possible CPUs that are offline get none), maps its ring with `options`' pages, enables
    /// it, and puts its fd in `map` at the CPU's index, where `bpf_perf_event_output` with
    /// `BPF_F_CURRENT_CPU` finds it.
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, Map, PerfBufferOptions, PerfBufferReader};
    ///
    /// #[bpf_map(type = "perf_event_array")]
    /// struct Events { key: u32, value: u32 }
    ///
    /// let maps = bpfmap::load()?;
    /// let reader = PerfBufferReader::new(maps.map::<Events>()?, PerfBufferOptions::new())?;
    /// // From a pinned map: a 'static reader, which moves into a thread.
    /// let owned: PerfBufferReader<'static> =
    ///     PerfBufferReader::new(Map::from_pin("/sys/fs/bpf/events")?, PerfBufferOptions::new())?;
    /// std::thread::spawn(move || drop(owned));
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Mismatch`] when `map` is not a `perf_event_array`, when the pages per CPU are
    /// not a power of two, or when an online CPU has no index in the map (`max_entries` is at
    /// most the CPU's number: declare the map without `max_entries`, for one entry per possible
    /// CPU); [`Error::InUse`] while another reader of the map lives in this process;
    /// [`Error::OnlineCpus`] when the online CPUs cannot be read; [`Error::Map`] when a step
    /// fails for a CPU ([`Op::PerfBuffer`] names the CPU and the call; `perf_event_open`
    /// needs `CAP_PERFMON` or root), or the kernel refuses the fd in the map. On any error,
    /// every event opened so far is closed and every slot set so far is emptied.
    pub fn new(
        map: impl Into<MapRef<'m>>,
        options: PerfBufferOptions,
    ) -> Result<PerfBufferReader<'m>, Error> {
        let map: MapRef<'m> = map.into();
        check_handle(
            &map,
            &[Family::PerfEventArray],
            "PerfBufferReader",
            Size::Of(4, "u32"),
            Size::OneOf(&[4]),
        )?;
        let pages = options.pages;
        if !pages.is_power_of_two() {
            return Err(Error::Mismatch {
                map: map.label(),
                what: format!(
                    "a perf buffer of {pages} data pages per CPU cannot be mapped: the kernel maps a power of two \
                     (1, 2, 4, 8, ...)"
                ),
            });
        }
        let page = HostLimits::current().page_size as usize;
        let cpus = crate::cpus::online_cpus()?;
        let claim = Claim::take(&map, "reader")?;
        // SAFETY: epoll_create1 has no memory preconditions.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll < 0 {
            return Err(map.error(Op::Poll, Errno::last()));
        }
        // SAFETY: a fresh fd, owned by nothing else.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        let array = PerfEventArray::new(map)?;
        let max_entries = array.map().def().max_entries;
        // From here on, an early return drops `reader`, whose `Drop` empties the slots of the
        // rings set so far; each ring closes its event and unmaps as it drops.
        let mut reader = PerfBufferReader {
            array,
            rings: Vec::with_capacity(cpus.len()),
            epoll,
            scratch: Vec::new(),
            current: 0,
            lent: None,
            failed: None,
            pages,
            _claim: claim,
        };
        for cpu in cpus {
            if cpu >= max_entries {
                return Err(Error::Mismatch {
                    map: reader.array.map().label(),
                    what: format!(
                        "CPU {cpu} is online, and the map has {max_entries} entries (indexes 0 to {}): \
                         `bpf_perf_event_output` with BPF_F_CURRENT_CPU on CPU {cpu} would find no perf event; \
                         give the map at least {} entries (leave `max_entries` out for one per possible CPU)",
                        max_entries.saturating_sub(1),
                        cpu + 1
                    ),
                });
            }
            let ring = CpuRing::open(reader.array.map(), cpu, pages, page, options.wakeup)?;
            reader.watch(ring)?;
        }
        Ok(reader)
    }

    /// Adds `ring` to the epoll set and its fd to the map.
    fn watch(&mut self, ring: CpuRing) -> Result<(), Error> {
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: self.rings.len() as u64 };
        // SAFETY: both fds are open; `event` is valid for the call.
        if unsafe {
            libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, ring.fd.as_raw_fd(), &mut event)
        } < 0
        {
            let errno = Errno::last();
            return Err(self.array.map().error(Op::PerfBuffer { cpu: ring.cpu, call: "epoll_ctl" }, errno));
        }
        // If this fails, `ring` drops: its fd closes, which also takes it out of the epoll set.
        self.array.set(ring.cpu, ring.fd.as_fd())?;
        self.rings.push(ring);
        Ok(())
    }

    /// The next sample of any CPU, or `None` when every CPU's ring has been read up to what
    /// the kernel had written. Lost-sample counts met on the way are added to
    /// [`lost`](Self::lost); other record types are skipped.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// while let Some(record) = reader.next() {
    ///     let record = record?;
    ///     println!("CPU {:?}: {:?}", record.cpu(), &record[..]);
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Ring`] with [`RingProblem::Corrupt`] when a CPU's positions or a record's sizes
    /// contradict its ring (something other than the kernel wrote them): the reader then skips
    /// that CPU's ring to the kernel's position, and the records in between are lost.
    #[allow(clippy::should_implement_trait)] // The record borrows the reader: not an Iterator.
    pub fn next(&mut self) -> Option<Result<Record<'_>, Error>> {
        let found = match self.locate()? {
            Ok(found) => found,
            Err(err) => return Some(Err(err)),
        };
        let ring = &mut self.rings[found.ring];
        ring.tail = found.next;
        self.lent = Some(found.ring);
        let cpu = ring.cpu;
        // `slot_at` checked that the sample's `len` bytes at `offset` (wrapping at the end) lie
        // between `data_tail` and the `data_head` the kernel published, with `offset < size` and
        // `len < size`. The kernel does not write them until `data_tail` passes them, which only
        // this reader moves (its events' fds are its own), on the next call, after the record's
        // borrow (of `self`) ends.
        // SAFETY: the data is `size` bytes mapped while `self` lives; the sample is within it
        // (`slot_at`) and not written while the record borrows the reader (above).
        let bytes = unsafe {
            sample_bytes(ring.data(), ring.size as usize, found.offset, found.len, &mut self.scratch)
        };
        Some(Ok(Record::new(bytes, self.array.map(), Some(cpu))))
    }

    /// Whether [`next`](Self::next) has something to return now: a sample, or an error. It
    /// first gives the kernel back the space of the records read so far, and counts lost
    /// samples on the way. `false` means every CPU's ring was empty when it looked (its
    /// `data_head` equal to the reader's `data_tail`). An event loop calls it before it waits
    /// on the reader's fd.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// if !reader.ready() {
    ///     reader.wait(None)?;
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn ready(&mut self) -> bool {
        match self.locate() {
            None => false,
            Some(Ok(_)) => true,
            Some(Err(err)) => {
                self.failed = Some(err);
                true
            }
        }
    }

    /// Gives back the space of the record lent before, then finds the next sample without
    /// taking it, ring by ring: each ring is read up to the `data_head` loaded when the reader
    /// came to it, then the next ring gets its turn, so that a busy CPU does not starve the
    /// others.
    fn locate(&mut self) -> Option<Result<Found, Error>> {
        if let Some(err) = self.failed.take() {
            return Some(Err(err));
        }
        if let Some(lent) = self.lent.take() {
            self.rings[lent].release();
        }
        let n = self.rings.len();
        if n == 0 {
            return None;
        }
        // The current ring (to finish its turn), then every ring once, the current one last.
        for _ in 0..=n {
            let index = self.current;
            let ring = &mut self.rings[index];
            if !ring.refreshed {
                ring.head = ring.load_head();
                ring.refreshed = true;
            }
            while ring.tail != ring.head {
                // `data()` is the ring's data, `size` bytes (a power of two of at least 8) mapped
                // as long as `self` and 8-aligned (a page-aligned mapping, an 8-aligned offset,
                // both checked in `open`); `head` was loaded with acquire, so the records before
                // it are complete, and the kernel does not write them until `data_tail` passes
                // them. `slot_at` checks `head` against `tail` and the ring before reading.
                // SAFETY: `slot_at`'s contract: valid, aligned data of `size` bytes, a power of
                // two, whose bytes from `tail` to `head` are not written (above).
                let slot = unsafe { slot_at(ring.data(), ring.size, ring.tail, ring.head) };
                match slot {
                    Slot::Sample { offset, len, next } => {
                        return Some(Ok(Found { ring: index, offset, len, next }));
                    }
                    Slot::Lost { lost, next } => {
                        ring.lost = ring.lost.saturating_add(lost);
                        ring.tail = next;
                    }
                    Slot::Skip { next } => ring.tail = next,
                    Slot::Empty => break,
                    Slot::Corrupt(what) => {
                        let position = ring.tail;
                        ring.tail = ring.head;
                        ring.release();
                        let map = self.array.map().label();
                        return Some(Err(Error::Ring {
                            map,
                            problem: RingProblem::Corrupt { position, what },
                        }));
                    }
                }
            }
            ring.release();
            ring.refreshed = false;
            self.current = (index + 1) % n;
        }
        None
    }

    /// Calls `f` on every sample available now; returns how many.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// let mut bytes = 0;
    /// let samples = reader.consume(|record| bytes += record.len())?;
    /// println!("{samples} samples, {bytes} bytes, {} lost", reader.lost());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`next`](Self::next); the samples before the error were passed to `f`.
    pub fn consume(&mut self, mut f: impl FnMut(Record<'_>)) -> Result<usize, Error> {
        // The protocol of `next` until it returns `None`, written as one loop that the caller's
        // crate compiles with `f`: the ring's position, `data_head`, data address and size stay
        // in registers through a ring's turn (the position goes back to the ring when the turn
        // ends, however it ends: `TurnPosition`), and `data_tail` is still released after each
        // sample, as `next` does. Through `next`, each sample cost two calls (`next`, `locate`),
        // a return through memory, a reload of every field and a new walk over the rings to
        // the current one.
        if let Some(err) = self.failed.take() {
            return Err(err);
        }
        if let Some(lent) = self.lent.take() {
            self.rings[lent].release();
        }
        let count = self.rings.len();
        let PerfBufferReader { array, rings, scratch, current, .. } = self;
        let map = array.map();
        let mut n = 0;
        // `next` returns `None` once `locate` went through `count + 1` turns in a row without
        // a sample, the first of them the rest of the current ring's turn: so does this loop.
        // After a turn that handed out samples, `next` would have come back for the rest of
        // that turn, found it empty and moved on: that was its first idle turn.
        let mut idle = 0;
        'rings: while idle <= count && count > 0 {
            let index = *current;
            let ring = &mut rings[index];
            if !ring.refreshed {
                ring.head = ring.load_head();
                ring.refreshed = true;
            }
            let (data, size, head, cpu) = (ring.data(), ring.size, ring.head, ring.cpu);
            // `release` without reloading the mapping and the position from the ring each time.
            let data_tail = metadata_word(&ring.mmap, DATA_TAIL);
            let before = n;
            let start = ring.tail;
            let mut position = TurnPosition { tail: start, ring: &mut ring.tail };
            // `slot_at`, split: the positions are checked once per turn rather than per record,
            // which keeps them valid (see `check_positions`); every record's sizes still are.
            let corrupt = 'turn: {
                if start != head
                    && let Err(what) = check_positions(size, start, head)
                {
                    break 'turn what;
                }
                while position.tail != head {
                    let tail = position.tail;
                    // As in `locate`: `data` is the ring's data, `size` bytes (a power of two of
                    // at least 8) mapped as long as `self` and 8-aligned (checked in `open`);
                    // `head` was loaded with acquire, so the records before it are complete, and
                    // the kernel does not write them until `data_tail` passes them. `tail` and
                    // `head` passed `check_positions` at the start of the turn, and `tail` has
                    // moved since only to the `next` of a record that `record_at` returned.
                    // SAFETY: `record_at`'s contract: `slot_at`'s (above), `tail != head` (the
                    // loop's condition) and positions that `check_positions` accepts (above).
                    match unsafe { record_at(data, size, tail, head) } {
                        Slot::Sample { offset, len, next } => {
                            // Moved before `f` runs, as `next` does: a panic in `f` leaves the
                            // sample read (`position` writes it to the ring as it drops), and
                            // its space is given back later.
                            position.tail = next;
                            // `record_at` checked that the sample's `len` bytes at `offset`
                            // (wrapping at the end) lie between `data_tail` and the `data_head`
                            // loaded, with `offset < size` and `len < size`. The kernel does not
                            // write them until `data_tail` passes them, which only this reader
                            // moves (its events' fds are its own), below, after `f` returned and
                            // the record's borrow ended.
                            // SAFETY: the data is `size` bytes mapped while `self` lives; the
                            // sample is within it (`record_at`) and not written while lent.
                            let bytes = unsafe { sample_bytes(data, size as usize, offset, len, scratch) };
                            f(Record::new(bytes, map, Some(cpu)));
                            n += 1;
                            // What `next` does when asked for the record after this one: `release`.
                            data_tail.store(next, Ordering::Release);
                        }
                        Slot::Lost { lost, next } => {
                            ring.lost = ring.lost.saturating_add(lost);
                            position.tail = next;
                        }
                        Slot::Skip { next } => position.tail = next,
                        // `record_at` never finds the ring empty (`tail != head`).
                        Slot::Empty => break,
                        Slot::Corrupt(what) => break 'turn what,
                    }
                }
                data_tail.store(position.tail, Ordering::Release);
                drop(position);
                ring.refreshed = false;
                *current = (index + 1) % count;
                idle = if n > before { 1 } else { idle + 1 };
                continue 'rings;
            };
            // As `locate` does: skip the ring to the kernel's position.
            let at = position.tail;
            position.tail = head;
            drop(position);
            data_tail.store(head, Ordering::Release);
            return Err(Error::Ring {
                map: map.label(),
                problem: RingProblem::Corrupt { position: at, what: corrupt },
            });
        }
        Ok(n)
    }

    /// This reader, read asynchronously on tokio's reactor: `next().await`, `consume(..).await`,
    /// a `Stream` of typed records; no thread of its own (the `tokio` feature).
    ///
    /// # Errors
    /// [`Error::NoReactor`] outside a tokio runtime.
    ///
    /// # Panics
    /// Inside a tokio runtime built without IO (no `enable_io`): tokio panics when asked to
    /// register an fd there, and offers no way to ask first.
    #[cfg(feature = "tokio")]
    pub fn into_async(self) -> Result<crate::events::AsyncEvents<Self>, Error> {
        crate::events::AsyncEvents::new(self)
    }

    /// Waits (epoll) until a CPU has new records or `timeout` passes (`None`: forever);
    /// `Ok(false)` on timeout. Returns at once when records wait already. `Ok(true)` says
    /// something was written: [`next`](Self::next) may still return `None` when it was only
    /// a lost-samples count.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// while reader.wait(Some(Duration::from_millis(100)))? {
    ///     reader.consume(|record| println!("{} bytes", record.len()))?;
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Map`] with [`Op::Poll`] when epoll fails.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        // No record is borrowed now (records borrow the reader mutably): give back the space
        // of those read so far, so that the kernel has it while this thread sleeps.
        for ring in &self.rings {
            ring.release();
        }
        if self.failed.is_some() || self.rings.iter().any(|ring| ring.load_head() != ring.tail) {
            return Ok(true);
        }
        let ms = crate::events::epoll_timeout(timeout);
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        loop {
            // SAFETY: `event` has room for the one event asked for.
            let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, ms) };
            match n {
                n if n >= 0 => return Ok(n > 0),
                _ if Errno::last() == Errno::EINTR => continue,
                _ => return Err(self.array.map().error(Op::Poll, Errno::last())),
            }
        }
    }

    /// The bytes written to the rings and not read yet (records, padding and lost-sample
    /// counts), over all CPUs.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let reader = maps.get::<Events>().reader()?;
    /// println!("{} bytes waiting", reader.pending());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn pending(&self) -> u64 {
        self.rings.iter().map(|ring| ring.load_head().saturating_sub(ring.tail).min(ring.size)).sum()
    }

    /// The samples the kernel dropped because a ring was full, over all CPUs, as reported so
    /// far. The kernel reports a drop with the next sample that fits the ring, so the count
    /// grows as the reader reads.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// reader.consume(|_| {})?;
    /// if reader.lost() > 0 {
    ///     eprintln!("{} samples lost: read faster or use more pages per CPU", reader.lost());
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn lost(&self) -> u64 {
        self.rings.iter().fold(0u64, |sum, ring| sum.saturating_add(ring.lost))
    }

    /// The samples dropped on CPU `cpu`, as reported so far; `None` for a CPU the reader has
    /// no ring for (offline when it was made, or not a CPU).
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let mut reader = maps.get::<Events>().reader()?;
    /// reader.consume(|_| {})?;
    /// for cpu in reader.cpus() {
    ///     println!("CPU {cpu}: {:?} lost", reader.lost_on(cpu));
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn lost_on(&self, cpu: u32) -> Option<u64> {
        self.rings.iter().find(|ring| ring.cpu == cpu).map(|ring| ring.lost)
    }

    /// The CPUs the reader has a ring for, ascending: those online when it was made.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let reader = maps.get::<Events>().reader()?;
    /// println!("reading CPUs {:?}", reader.cpus().collect::<Vec<_>>());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn cpus(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.rings.iter().map(|ring| ring.cpu)
    }

    /// The data pages of each CPU's ring.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let reader = maps.get::<Events>().reader()?;
    /// assert_eq!(reader.pages_per_cpu(), 8);
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn pages_per_cpu(&self) -> usize {
        self.pages
    }

    /// The map.
    ///
    /// ```no_run
    /// # use bpfmap::bpf_map;
    /// # #[bpf_map(type = "perf_event_array")]
    /// # struct Events { key: u32, value: u32 }
    /// # let maps = bpfmap::load()?;
    /// let reader = maps.get::<Events>().reader()?;
    /// println!("reading {}", reader.map().name());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn map(&self) -> &Map {
        self.array.map()
    }
}

/// The `len` bytes of a sample at `offset` in a ring's data of `size` bytes: the ring's own
/// bytes when they are contiguous, else a copy in `scratch` of the part up to the end followed
/// by the part from the start.
///
/// # Safety
/// `data` is valid for reads of `size` bytes while the returned slice lives; `offset < size`
/// and `len <= size`; the `len` bytes from `offset`, wrapping at `size`, are not written while
/// the returned slice lives.
#[inline]
unsafe fn sample_bytes(
    data: *const u8,
    size: usize,
    offset: usize,
    len: usize,
    scratch: &mut Vec<u8>,
) -> &[u8] {
    debug_assert!(offset < size && len <= size);
    let to_end = size - offset;
    if len <= to_end {
        // SAFETY: `offset + len <= size`: within the data, and not written while the slice lives.
        return unsafe { core::slice::from_raw_parts(data.add(offset), len) };
    }
    // SAFETY: this function's contract, which is `copy_wrapped`'s, for a sample that runs past
    // the end (`len > to_end`).
    unsafe { copy_wrapped(data, size, offset, len, scratch) }
}

/// [`sample_bytes`] for a sample that wraps around the end of the ring: the copy. Out of line
/// and cold (at most one sample per turn around a ring wraps), so that the loops that read
/// samples keep their values in registers rather than saving them around its calls.
///
/// # Safety
/// As [`sample_bytes`], and `len > size - offset`.
#[cold]
#[inline(never)]
unsafe fn copy_wrapped(
    data: *const u8,
    size: usize,
    offset: usize,
    len: usize,
    scratch: &mut Vec<u8>,
) -> &[u8] {
    debug_assert!(offset < size && len <= size && len > size - offset);
    let to_end = size - offset;
    scratch.clear();
    // SAFETY: `offset..size` and `0..len - to_end` (with `len - to_end < size - to_end <= size`)
    // are within the data, and not written during the copy.
    unsafe {
        scratch.extend_from_slice(core::slice::from_raw_parts(data.add(offset), to_end));
        scratch.extend_from_slice(core::slice::from_raw_parts(data, len - to_end));
    }
    scratch
}

/// What a perf ring holds at the reader's position.
#[derive(Debug, PartialEq, Eq)]
enum Slot {
    /// Nothing: the reader is at `data_head`.
    Empty,
    /// A sample: `len` raw bytes at `offset` from the start of the data, wrapping at its end
    /// (`offset < size`, `len < size`); the next record starts at position `next`.
    Sample { offset: usize, len: usize, next: u64 },
    /// `PERF_RECORD_LOST`: the kernel dropped `lost` samples.
    Lost { lost: u64, next: u64 },
    /// Another record type, skipped.
    Skip { next: u64 },
    /// Positions or sizes that contradict the ring.
    Corrupt(&'static str),
}

/// The reader's reading of the record at position `tail` of a perf ring whose kernel position
/// is `head`, written over raw memory so that tests run it on a plain buffer. Every size read
/// from the ring is checked here before it becomes an offset or a length: the ring's positions
/// against each other and the ring (`head - tail <= size`, both 8-aligned: [`check_positions`]),
/// a record's size against `head` (at least a header, a multiple of 8, no further than `head`),
/// a sample's raw size against its record ([`record_at`]). Nothing outside `tail..head`
/// (wrapping) is read or returned.
///
/// # Safety
/// `data` is valid for reads of `size` bytes and 8-aligned; `size` is a power of two of at
/// least 8; if `head - tail <= size`, the bytes from `tail` to `head` (wrapping at `size`) are
/// not written during the call.
#[inline]
unsafe fn slot_at(data: *const u8, size: u64, tail: u64, head: u64) -> Slot {
    if tail == head {
        return Slot::Empty;
    }
    if let Err(what) = check_positions(size, tail, head) {
        return Slot::Corrupt(what);
    }
    // SAFETY: `slot_at`'s contract, which is `record_at`'s, and the positions it adds:
    // `tail != head` and `check_positions` passed, just above.
    unsafe { record_at(data, size, tail, head) }
}

/// The checks of [`slot_at`] on a ring's positions alone: `head` no more than the whole ring
/// ahead of `tail`, both 8-aligned. A position moves only by a record's size that
/// [`record_at`] checked (a multiple of 8, no further than `head`), which keeps both true: a
/// reader that checked `tail` and `head` once reads up to `head` with `record_at` alone.
#[inline]
fn check_positions(size: u64, tail: u64, head: u64) -> Result<(), &'static str> {
    let Some(unread) = head.checked_sub(tail) else {
        return Err("data_head is behind the reader's data_tail");
    };
    if unread > size {
        return Err("data_head is more than the whole ring ahead of data_tail");
    }
    if !tail.is_multiple_of(8) || !head.is_multiple_of(8) {
        return Err("data_head or data_tail is not 8-byte aligned");
    }
    Ok(())
}

/// [`slot_at`] past the checks of the positions: the record at `tail`, its sizes checked
/// against `head` and the ring.
///
/// # Safety
/// As [`slot_at`]; and `tail != head`, with [`check_positions`]`(size, tail, head)` `Ok`.
#[inline]
unsafe fn record_at(data: *const u8, size: u64, tail: u64, head: u64) -> Slot {
    debug_assert!(tail != head && check_positions(size, tail, head).is_ok());
    // `check_positions`: `head - tail` does not underflow and is at most `size`; both are
    // 8-aligned, and they differ.
    let unread = head - tail;
    // From here `8 <= unread <= size`; every position `tail + k` with `k` a multiple of 8 below
    // the record's checked size is 8-aligned, and its 8 bytes lie in `tail..head` and inside the
    // data (size is a multiple of 8), so they neither wrap nor run past `head`.
    let mask = size - 1;
    let at = |k: u64| ((tail + k) & mask) as usize;
    // The header's 8 bytes at `at(0)` are in the data and in `tail..head`, as above
    // (`unread >= 8`); its u32 `type` and u16 `size` are read at their natural alignment.
    // SAFETY: in bounds, aligned, not written (above).
    let kind = unsafe { data.add(at(0)).cast::<u32>().read() };
    // SAFETY: as above.
    let len = unsafe { data.add(at(0) + 6).cast::<u16>().read() };
    let len = u64::from(len);
    // The three limits on the size in two tests, as every record passes them: `len - 8` wraps
    // to more than `unread - 8` (`unread >= 8`) when `len < 8`, and exceeds it when
    // `len > unread`. Which one failed is sorted out only for a corrupt record.
    if len.wrapping_sub(8) > unread - 8 || !len.is_multiple_of(8) {
        if len < 8 || !len.is_multiple_of(8) {
            return Slot::Corrupt("a record's size is not a multiple of 8 of at least 8");
        }
        return Slot::Corrupt("a record's size runs past data_head");
    }
    let next = tail + len;
    match kind {
        PERF_RECORD_SAMPLE => {
            if len < 16 {
                return Slot::Corrupt("a sample's record is too short for its raw size");
            }
            // SAFETY: the word at `tail + 8`, within the record (`len >= 16`), as above.
            let raw = u64::from(unsafe { data.add(at(8)).cast::<u32>().read() });
            if raw > len - 12 {
                return Slot::Corrupt("a sample's raw size runs past its record");
            }
            Slot::Sample { offset: at(12), len: raw as usize, next }
        }
        PERF_RECORD_LOST => {
            if len < 24 {
                return Slot::Corrupt("a lost-samples record is too short for its count");
            }
            // SAFETY: the word at `tail + 16`, within the record (`len >= 24`), as above.
            let lost = unsafe { data.add(at(16)).cast::<u64>().read() };
            Slot::Lost { lost, next }
        }
        _ => Slot::Skip { next },
    }
}

/// The reader's epoll fd, readable when a CPU's event has woken (new samples): for an event
/// loop of your own (mio, glib, `tokio::io::unix::AsyncFd`). Call
/// [`ready`](PerfBufferReader::ready) before waiting on it: the kernel wakes the fd once per
/// wake-up, not while samples wait.
///
/// ```no_run
/// use std::os::fd::AsFd;
/// # use bpfmap::bpf_map;
/// # #[bpf_map(type = "perf_event_array")]
/// # struct Events { key: u32, value: u32 }
/// # let maps = bpfmap::load()?;
/// let reader = maps.get::<Events>().reader()?;
/// let fd = reader.as_fd(); // register with the event loop, for reading
/// # Ok::<(), bpfmap::Error>(())
/// ```
impl AsFd for PerfBufferReader<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// The reader's epoll fd, as [`AsFd`].
///
/// ```no_run
/// use std::os::fd::AsRawFd;
/// # use bpfmap::bpf_map;
/// # #[bpf_map(type = "perf_event_array")]
/// # struct Events { key: u32, value: u32 }
/// # let maps = bpfmap::load()?;
/// let reader = maps.get::<Events>().reader()?;
/// println!("poll fd {}", reader.as_raw_fd());
/// # Ok::<(), bpfmap::Error>(())
/// ```
impl AsRawFd for PerfBufferReader<'_> {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

impl core::fmt::Debug for PerfBufferReader<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PerfBufferReader")
            .field("map", self.array.map())
            .field("cpus", &self.cpus().collect::<Vec<_>>())
            .field("pages_per_cpu", &self.pages)
            .field("lost", &self.lost())
            .finish()
    }
}

/// Empties the map's slots this reader set (best effort: a slot that cannot be emptied keeps
/// a perf event whose ring nobody reads), then closes the events and unmaps their rings.
impl Drop for PerfBufferReader<'_> {
    fn drop(&mut self) {
        for ring in &self.rings {
            let _ = self.array.remove(ring.cpu);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-byte perf ring's data, 8-aligned.
    struct Data([u64; 8]);

    impl Data {
        fn bytes(&mut self) -> &mut [u8; 64] {
            // SAFETY: [u64; 8] and [u8; 64] have one size; u8 has alignment 1; any bytes are
            // valid for both.
            unsafe { &mut *(&mut self.0 as *mut [u64; 8]).cast::<[u8; 64]>() }
        }

        /// Writes `bytes` at ring position `at`, wrapping.
        fn write(&mut self, at: u64, bytes: &[u8]) {
            let all = self.bytes();
            for (i, &b) in bytes.iter().enumerate() {
                all[(at as usize + i) % 64] = b;
            }
        }

        fn header(&mut self, at: u64, kind: u32, size: u16) {
            let mut h = [0u8; 8];
            h[..4].copy_from_slice(&kind.to_ne_bytes());
            h[6..].copy_from_slice(&size.to_ne_bytes());
            self.write(at, &h);
        }

        /// A sample of `data` at `at`, padded as the kernel pads it; returns the next position.
        fn sample(&mut self, at: u64, data: &[u8]) -> u64 {
            let raw = (data.len() + 4).next_multiple_of(8) - 4;
            self.header(at, PERF_RECORD_SAMPLE, (8 + 4 + raw) as u16);
            self.write(at + 8, &(raw as u32).to_ne_bytes());
            self.write(at + 12, data);
            at + 12 + raw as u64
        }

        fn slot(&mut self, tail: u64, head: u64) -> Slot {
            // SAFETY: 64 bytes, 8-aligned, from a unique borrow; nothing writes them meanwhile.
            unsafe { slot_at(self.0.as_ptr().cast(), 64, tail, head) }
        }

        /// The bytes of the sample at `tail`, as the reader lends them.
        fn read<'a>(&'a mut self, tail: u64, head: u64, scratch: &'a mut Vec<u8>) -> (&'a [u8], u64) {
            let Slot::Sample { offset, len, next } = self.slot(tail, head) else { panic!("a sample") };
            // SAFETY: `slot_at` checked the sample within the 64 bytes; `offset < 64` and
            // `len < 64` (its contract); the buffer is not written while the slice lives.
            (unsafe { sample_bytes(self.0.as_ptr().cast(), 64, offset, len, scratch) }, next)
        }
    }

    #[test]
    fn samples_are_read_where_the_header_says() {
        let mut data = Data([0; 8]);
        let end = data.sample(0, b"hello");
        assert_eq!(end, 24, "8 + 4 + 5, padded to 8");
        let end2 = data.sample(end, &[1, 2, 3, 4]);
        assert_eq!(end2, 40);
        assert_eq!(
            data.slot(0, end2),
            Slot::Sample { offset: 12, len: 12, next: 24 },
            "5 bytes padded to 12"
        );
        let mut scratch = Vec::new();
        let (bytes, next) = data.read(0, end2, &mut scratch);
        assert_eq!(&bytes[..5], b"hello");
        assert_eq!(next, 24);
        let (bytes, next) = data.read(24, end2, &mut scratch);
        assert_eq!(bytes, &[1, 2, 3, 4]);
        assert_eq!(next, 40);
        assert!(scratch.is_empty(), "no copy for contiguous samples");
        assert_eq!(data.slot(40, 40), Slot::Empty);
    }

    #[test]
    fn a_sample_that_wraps_is_copied_whole() {
        let mut data = Data([0; 8]);
        // At position 104 (offset 40): header at 40, size at 48, 20 data bytes at 52..72: the
        // last 8 wrap to 0..8.
        let payload: Vec<u8> = (100..120).collect();
        let next = data.sample(104, &payload);
        assert_eq!(next, 136);
        let mut scratch = Vec::new();
        let (bytes, after) = data.read(104, 136, &mut scratch);
        assert_eq!(bytes, &payload[..]);
        assert_eq!(after, 136);
        assert_eq!(scratch, payload, "the copy");
        // A header at the very end: its raw size wraps to the start.
        let mut data = Data([0; 8]);
        data.header(56, PERF_RECORD_SAMPLE, 24);
        data.write(64, &12u32.to_ne_bytes());
        data.write(68, &[9; 12]);
        assert_eq!(data.slot(56, 80), Slot::Sample { offset: 4, len: 12, next: 80 });
        let mut scratch = Vec::new();
        assert_eq!(data.read(56, 80, &mut scratch).0, &[9; 12]);
    }

    #[test]
    fn lost_records_carry_their_count_and_other_records_are_skipped() {
        let mut data = Data([0; 8]);
        data.header(0, PERF_RECORD_LOST, 24);
        data.write(8, &7u64.to_ne_bytes());
        data.write(16, &41u64.to_ne_bytes());
        data.header(24, 1, 16); // PERF_RECORD_MMAP
        data.sample(40, b"ok");
        assert_eq!(data.slot(0, 56), Slot::Lost { lost: 41, next: 24 });
        assert_eq!(data.slot(24, 56), Slot::Skip { next: 40 });
        assert_eq!(data.slot(40, 56), Slot::Sample { offset: 52, len: 4, next: 56 });
        data.header(0, PERF_RECORD_LOST, 16);
        assert!(matches!(data.slot(0, 56), Slot::Corrupt(_)), "no room for the count");
    }

    #[test]
    fn sizes_that_contradict_the_ring_are_corrupt() {
        let mut data = Data([0; 8]);
        data.sample(0, &[0; 28]); // 8 + 4 + 28: 40 bytes
        assert!(matches!(data.slot(0, 32), Slot::Corrupt(_)), "the record runs past data_head");
        assert!(matches!(data.slot(0, 72), Slot::Corrupt(_)), "data_head is more than a ring ahead");
        assert!(matches!(data.slot(64, 0), Slot::Corrupt(_)), "data_head behind data_tail");
        assert!(matches!(data.slot(4, 44), Slot::Corrupt(_)), "a misaligned data_tail");
        assert!(matches!(data.slot(0, 44), Slot::Corrupt(_)), "a misaligned data_head");
        data.header(0, PERF_RECORD_SAMPLE, 0);
        assert!(matches!(data.slot(0, 40), Slot::Corrupt(_)), "a size of 0 would never advance");
        data.header(0, PERF_RECORD_SAMPLE, 20);
        assert!(matches!(data.slot(0, 40), Slot::Corrupt(_)), "not a multiple of 8");
        data.header(0, PERF_RECORD_SAMPLE, 8);
        assert!(matches!(data.slot(0, 40), Slot::Corrupt(_)), "no room for the raw size");
        data.header(0, PERF_RECORD_SAMPLE, 40);
        data.write(8, &29u32.to_ne_bytes());
        assert!(matches!(data.slot(0, 40), Slot::Corrupt(_)), "the raw size runs past the record");
        data.write(8, &u32::MAX.to_ne_bytes());
        assert!(matches!(data.slot(0, 40), Slot::Corrupt(_)));
        data.write(8, &28u32.to_ne_bytes());
        assert_eq!(data.slot(0, 40), Slot::Sample { offset: 12, len: 28, next: 40 }, "exactly the record");
        data.header(0, PERF_RECORD_SAMPLE, 64);
        data.write(8, &52u32.to_ne_bytes());
        assert_eq!(data.slot(0, 64), Slot::Sample { offset: 12, len: 52, next: 64 }, "a full ring");
        data.header(0, PERF_RECORD_SAMPLE, 0xfff8);
        assert!(matches!(data.slot(0, 64), Slot::Corrupt(_)), "larger than the ring");
    }

    #[test]
    fn record_at_reads_as_slot_at_from_positions_checked_once() {
        // What `consume` relies on: positions that passed `check_positions` stay valid as the
        // reader moves by the sizes `record_at` returns, and `record_at` then reads each record
        // as `slot_at` does.
        let mut data = Data([0; 8]);
        data.header(40, PERF_RECORD_LOST, 24);
        data.write(56, &3u64.to_ne_bytes());
        let end = data.sample(64, b"abcd");
        data.header(end, 1, 16); // PERF_RECORD_MMAP: skipped
        let head = end + 16;
        assert_eq!(check_positions(64, 40, head), Ok(()));
        let ptr = data.0.as_ptr().cast::<u8>();
        let (mut tail, mut read) = (40, Vec::new());
        while tail != head {
            // SAFETY: 64 bytes, 8-aligned, not written meanwhile; `tail != head`, and the
            // positions were checked above and moved since only by the records' own sizes.
            let (slot, whole) = unsafe { (record_at(ptr, 64, tail, head), slot_at(ptr, 64, tail, head)) };
            assert_eq!(slot, whole);
            tail = match slot {
                Slot::Sample { next, .. } | Slot::Lost { next, .. } | Slot::Skip { next } => next,
                other => panic!("{other:?} at {tail}"),
            };
            read.push(slot);
        }
        let expected = [
            Slot::Lost { lost: 3, next: 64 },
            Slot::Sample { offset: 12, len: 4, next: 80 },
            Slot::Skip { next: 96 },
        ];
        assert_eq!(read, expected);
        assert!(check_positions(64, 8, 0).is_err(), "data_head behind");
        assert!(check_positions(64, 0, 72).is_err(), "more than a ring ahead");
        assert!(check_positions(64, 4, 44).is_err(), "misaligned");
    }

    #[test]
    fn setup_errors_name_the_cpu_and_the_call_and_explain_it() {
        let map = crate::MapLabel {
            name: "events".to_string(),
            map_type: crate::MapType::PERF_EVENT_ARRAY,
            declared: None,
        };
        let open = Error::Map {
            op: Op::PerfBuffer { cpu: 3, call: "perf_event_open" },
            map: map.clone(),
            errno: Errno::EACCES,
        };
        let message = open.to_string();
        assert!(
            message
                .starts_with("cannot set up the perf buffer of CPU 3 (`perf_event_open`) for map `events`")
        );
        assert!(message.contains("CAP_PERFMON") && message.contains("perf_event_paranoid"), "{message}");
        let mmap = Error::Map { op: Op::PerfBuffer { cpu: 0, call: "mmap" }, map, errno: Errno::EPERM };
        assert!(mmap.to_string().contains("perf_event_mlock_kb"), "{mmap}");
        assert!(!mmap.to_string().contains("frozen"), "not the explanation of a map's mmap: {mmap}");
    }

    #[test]
    fn a_reader_of_an_owned_map_is_static_and_send() {
        fn owned<T: Send + 'static>() {}
        owned::<PerfBufferReader<'static>>();
    }
}
