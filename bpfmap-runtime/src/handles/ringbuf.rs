//! Ring buffers: `RingBuf` (programs → user space) and `UserRingBuf` (user space → programs),
//! both read and written through shared memory, with epoll to wait.
//!
//! The layout and the memory ordering follow `kernel/bpf/ringbuf.c`: a consumer-position page,
//! a producer-position page, then the data pages mapped twice in a row so that a record that
//! wraps around the end reads as one contiguous slice. Each record starts with an 8-byte
//! header whose length word carries a busy bit (being written) and a discard bit.

use super::MapRef;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::check_shape;
use crate::claims::Claim;
use crate::error::{Op, RingProblem};
use crate::events::Record;
use crate::mapped::Mmap;
use crate::rules::{Family, HostLimits, MapFlags, MapType};
use crate::{Errno, Error, Map};

const BUSY: u32 = 1 << 31;
/// The kernel refuses (`E2BIG`) to hand a program a user ring record longer than its dynptrs
/// allow, and stops draining at it: such records are refused before they are written.
const MAX_USER_RECORD: usize = (1 << 24) - 1;
const DISCARD: u32 = 1 << 30;
const HEADER: u64 = 8;

/// A `ringbuf` map: records that programs submit with `bpf_ringbuf_output`/`_submit`.
///
/// ```no_run
/// use std::time::Duration;
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Events;
///
/// let maps = bpfmap::load()?;
/// let mut events = maps.get::<Events>().consumer()?;
/// loop {
///     events.wait(Some(Duration::from_secs(1)))?;
///     while let Some(record) = events.next() {
///         println!("{} bytes", record?.len());
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct RingBuf<'m> {
    map: MapRef<'m>,
}

impl<'m> RingBuf<'m> {
    /// The handle of `map`, which must be a `ringbuf`.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<RingBuf<'m>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<(), ()>(&map, &[Family::RingBuf], "RingBuf")?;
        Ok(RingBuf { map })
    }

    /// Maps the ring and returns its consumer.
    ///
    /// # Errors
    /// [`Error::InUse`] while another consumer of the same map lives in this process (two
    /// would race for the same records); [`Error::Mismatch`] for an `rb_overwrite` ring, whose
    /// records the kernel may overwrite while they are read.
    pub fn consumer(&self) -> Result<RingBufConsumer<'m>, Error> {
        RingBufConsumer::new(self.map.clone())
    }
}

/// An epoll instance watching one map fd.
struct Poller {
    epoll: OwnedFd,
}

impl Poller {
    fn new(map: &Map, events: u32) -> Result<Poller, Error> {
        // SAFETY: epoll_create1 has no memory preconditions.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(map.error(Op::Poll, Errno::last()));
        }
        // SAFETY: a fresh fd we own.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut event = libc::epoll_event { events, u64: 0 };
        // SAFETY: both fds are open; `event` is valid for the call.
        if unsafe { libc::epoll_ctl(fd, libc::EPOLL_CTL_ADD, map.fd().as_raw_fd(), &mut event) } < 0 {
            return Err(map.error(Op::Poll, Errno::last()));
        }
        Ok(Poller { epoll })
    }

    /// Waits until the fd is ready or `timeout` passes; `Ok(false)` on timeout.
    fn wait(&self, map: &Map, timeout: Option<Duration>) -> Result<bool, Error> {
        let ms = crate::events::epoll_timeout(timeout);
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        loop {
            // SAFETY: `event` has room for the one event asked for.
            let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, ms) };
            match n {
                n if n >= 0 => return Ok(n > 0),
                _ if Errno::last() == Errno::EINTR => continue,
                _ => return Err(map.error(Op::Poll, Errno::last())),
            }
        }
    }
}

/// Reads the records of a [`RingBuf`] in the order programs submitted them.
///
/// [`next`](RingBufConsumer::next) returns a record without a syscall; the record's space is
/// given back to the kernel when the next record is asked for (or the consumer drops), so the
/// slice stays valid, and unchanged, while it is borrowed.
///
/// **One consumer per ring.** The ring's consumer position is one word that its consumer owns:
/// [`RingBuf::consumer`] refuses a second consumer in this process while this one lives. A
/// consumer in another process (two instances of a program reading one pinned ring) breaks
/// the ring's protocol: it may release a record while it is lent here, letting programs write
/// over it. The consumer detects such a move at its next read and reports
/// [`RingProblem::SharedConsumer`]; consume each ring from one process.
///
/// [`consume`](Self::consume) is the fastest way through a busy ring (one loop, the producer
/// position read once per batch); [`next`](Self::next) suits code that stops in the middle.
///
/// ```no_run
/// use std::time::Duration;
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Drop { reason: u32, ifindex: u32 }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Drops;
///
/// let maps = bpfmap::load()?;
/// let mut drops = maps.get::<Drops>().consumer()?;
/// let mut by_reason = std::collections::HashMap::<u32, u64>::new();
/// while drops.wait(Some(Duration::from_secs(1)))? {
///     drops.consume(|record| {
///         if let Ok(drop) = record.read::<Drop>() {
///             *by_reason.entry(drop.reason).or_default() += 1;
///         }
///     })?;
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct RingBufConsumer<'m> {
    map: MapRef<'m>,
    ring: Ring,
    /// Our position: records before it were handed out.
    position: u64,
    /// The consumer position as we last wrote it: another value in the page means another
    /// consumer (in another process) moved it. (Atomic only so that `wait(&self)` updates it.)
    released: AtomicU64,
    /// A corruption found when the consumer was made, reported by the first `next`.
    pending: Option<&'static str>,
    /// An error `ready` found, reported by the next `next`.
    failed: Option<Error>,
    /// The record `ready` found at `position` (offset, length, next position): `next` takes
    /// it without walking the ring again.
    staged: Option<(usize, usize, u64)>,
    poller: Poller,
    _claim: Claim,
}

/// A ring's two mappings: the consumer page, and the producer page followed by the data
/// pages mapped twice in a row (so that a record that wraps around the end reads as one).
struct Ring {
    consumer: Mmap,
    producer: Mmap,
    page: usize,
    /// The data size in bytes: a power of two, a multiple of the page size.
    size: u64,
}

impl Ring {
    /// Maps `map`, whose size is read from the kernel, for `role`: the consumer page is
    /// written by the consumer (a `ringbuf`'s user space, a `user_ringbuf`'s kernel), the data
    /// by the producer.
    fn new(map: &Map, ring_type: MapType, user_produces: bool) -> Result<Ring, Error> {
        let info = map.info()?;
        let page = HostLimits::current().page_size as usize;
        let size = info.max_entries as u64;
        let fits = (page as u64).checked_add(2 * size).is_some_and(|len| usize::try_from(len).is_ok());
        if info.map_type != ring_type || !size.is_power_of_two() || !size.is_multiple_of(page as u64) || !fits
        {
            return Err(Error::Mismatch {
                map: map.label(),
                what: format!(
                    "the kernel reports a {} of {size} bytes, which is not a {ring_type} this process can map",
                    info.map_type
                ),
            });
        }
        let consumer = Mmap::new(map, page, 0, !user_produces, 0)?;
        let producer = Mmap::new(map, page + 2 * size as usize, page, user_produces, 0)?;
        Ok(Ring { consumer, producer, page, size })
    }

    #[inline]
    fn consumer_pos(&self) -> &AtomicU64 {
        // The first word of the consumer page: 8-aligned, mapped as long as `self`, and
        // accessed atomically by everyone (the kernel with smp_load_acquire and
        // smp_store_release). Where it is mapped read-only (a user ring's), it is only loaded,
        // relaxed (`load_acquire`), which std allows on read-only memory on 64-bit targets.
        // SAFETY: an aligned word of the mapping, live as long as `self`, accessed atomically.
        unsafe { AtomicU64::from_ptr(self.consumer.ptr().cast()) }
    }

    #[inline]
    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the producer page, as above.
        unsafe { AtomicU64::from_ptr(self.producer.ptr().cast()) }
    }

    /// The address of the byte at ring position `position`; at least `size` bytes of the
    /// double mapping follow it.
    #[inline]
    fn at(&self, position: u64) -> *mut u8 {
        let offset = self.page + (position & (self.size - 1)) as usize;
        // SAFETY: `offset < page + size`, within the `page + 2 * size` bytes mapped.
        unsafe { self.producer.ptr().add(offset) }
    }
}

impl<'m> RingBufConsumer<'m> {
    fn new(map: MapRef<'m>) -> Result<RingBufConsumer<'m>, Error> {
        if map.def().flags.contains(MapFlags::RB_OVERWRITE) {
            return Err(Error::Mismatch {
                map: map.label(),
                what:
                    "an `rb_overwrite` ring has no consumer here: the kernel overwrites records the consumer \
                       has not released, so no record could be lent safely"
                        .to_string(),
            });
        }
        let claim = Claim::take(&map, "consumer")?;
        let ring = Ring::new(&map, MapType::RINGBUF, false)?;
        let poller = Poller::new(&map, libc::EPOLLIN as u32)?;
        // The consumer page is writable by any process that maps the ring: check what it says
        // before trusting it as the place of a record header.
        let start = load_acquire(ring.consumer_pos());
        let producer = load_acquire(ring.producer_pos());
        let (position, pending) = match check_positions(start, producer, ring.size) {
            Ok(()) => (start, None),
            Err(what) => (producer, Some(what)),
        };
        Ok(RingBufConsumer {
            map,
            ring,
            position,
            released: AtomicU64::new(start),
            pending,
            failed: None,
            staged: None,
            poller,
            _claim: claim,
        })
    }

    /// The next record, or `None` when every submitted record has been read.
    ///
    /// # Errors
    /// [`Error::Ring`] with [`RingProblem::Corrupt`] when a record header contradicts the ring
    /// (its length runs past what the kernel produced): the consumer then skips to the
    /// producer position, and the records in between are lost.
    #[allow(clippy::should_implement_trait)] // The record borrows the consumer: not an Iterator.
    #[inline]
    pub fn next(&mut self) -> Option<Result<Record<'_>, Error>> {
        let (offset, len, next) = match self.locate()? {
            Ok(found) => found,
            Err(err) => return Some(Err(err)),
        };
        self.position = next;
        let data = self.ring.at(0);
        // The record's `len` bytes at `offset` lie within the double mapping (`slot_at`
        // checked them against the producer position and the ring size); they are complete
        // (busy bit clear, read with acquire) and not written again until the consumer
        // position passes them. Only the ring's one consumer moves it: in this process that is
        // this consumer (claimed), on the next call, after this borrow ends; another process
        // that consumes the same ring breaks the ring's protocol, which `release` detects (see
        // the type's docs).
        // SAFETY: in bounds (`slot_at`), and not written while the record borrows `self`.
        let bytes = unsafe { core::slice::from_raw_parts(data.add(offset).cast_const(), len) };
        Some(Ok(Record::new(bytes, &self.map, None)))
    }

    /// Whether [`next`](Self::next) has something to return now (a record, or an error),
    /// after giving the kernel back the space of the records read so far and skipping
    /// discarded ones. An event loop calls it before it waits on the ring's fd: when it says
    /// `false`, the kernel will wake the fd for the next record.
    pub fn ready(&mut self) -> bool {
        match self.locate() {
            None => false,
            Some(Ok(found)) => {
                self.staged = Some(found);
                true
            }
            Some(Err(err)) => {
                self.failed = Some(err);
                true
            }
        }
    }

    /// Releases the records handed out, skips discarded ones, and finds the next record
    /// without taking it: its offset in the data, its length and the position after it.
    fn locate(&mut self) -> Option<Result<(usize, usize, u64), Error>> {
        if let Some(found) = self.staged.take() {
            // Found by `ready` at the current position, which has not moved since (both take
            // `&mut self`; `wait` only releases up to it).
            return Some(Ok(found));
        }
        if let Some(err) = self.failed.take() {
            return Some(Err(err));
        }
        if let Some(what) = self.pending.take() {
            return Some(Err(self.corrupt(what)));
        }
        if let Some(err) = self.release() {
            return Some(Err(err));
        }
        // Whether the position, as it is now, was published and fenced before the last look;
        // see `Slot::Empty` below.
        let mut published = false;
        loop {
            let producer = load_acquire(self.ring.producer_pos());
            if producer.wrapping_sub(self.position) > self.ring.size && producer > self.position {
                // The kernel wrote over records this consumer had not read: only a consumer
                // elsewhere could have released them.
                let err = self.corrupt("the producer is more than a ring ahead of this consumer");
                self.position = producer;
                return Some(Err(err));
            }
            // `at(0)` starts the data area, mapped twice (2 * size bytes) from the mapping's own
            // pointer; `position` is 8-aligned: it started so (`check_positions`, or the
            // kernel's producer position) and moves by multiples of 8.
            // SAFETY: `slot_at`'s contract, as just said.
            match unsafe { slot_at(self.ring.at(0), self.ring.size, self.position, producer) } {
                // Caught up. The kernel wakes the fd for a record only if the consumer position
                // it loads after committing is that record's (`bpf_ringbuf_commit`): publish
                // the position, past the discarded records skipped since `release`, then look
                // once more after a full fence (the kernel's commit is an `xchg`), so that
                // either this look sees the record or the kernel sees the position and wakes.
                Slot::Empty if !published => {
                    if let Some(err) = self.release() {
                        return Some(Err(err));
                    }
                    fence(Ordering::SeqCst);
                    published = true;
                }
                Slot::Empty => return None,
                Slot::Skip { next } => {
                    self.position = next;
                    published = false;
                }
                Slot::Corrupt(what) => {
                    let err = self.corrupt(what);
                    self.position = producer;
                    return Some(Err(err));
                }
                Slot::Record { offset, len, next } => return Some(Ok((offset, len, next))),
            }
        }
    }

    /// Gives the kernel back the space of the records handed out before, after checking that
    /// nobody else moved the consumer position meanwhile; if someone did, the consumer takes up
    /// from the producer position and says so.
    fn release(&mut self) -> Option<Error> {
        let found = self.ring.consumer_pos().load(Ordering::Relaxed);
        let expected = self.released.load(Ordering::Relaxed);
        let moved = found != expected;
        if moved {
            self.position = load_acquire(self.ring.producer_pos());
        }
        self.ring.consumer_pos().store(self.position, Ordering::Release);
        self.released.store(self.position, Ordering::Relaxed);
        moved.then(|| self.shared_consumer(expected, found))
    }

    fn shared_consumer(&self, expected: u64, found: u64) -> Error {
        Error::Ring { map: self.map.label(), problem: RingProblem::SharedConsumer { expected, found } }
    }

    /// Calls `f` on every record available now; returns how many.
    ///
    /// # Errors
    /// As [`next`](Self::next); the records before the error were passed to `f`.
    pub fn consume(&mut self, mut f: impl FnMut(Record<'_>)) -> Result<usize, Error> {
        let mut n = 0;
        // What `ready` found or failed on goes first, through `next`.
        if self.staged.is_some() || self.failed.is_some() || self.pending.is_some() {
            match self.next() {
                Some(record) => f(record?),
                None => return Ok(0),
            }
            n += 1;
        }
        // The protocol of `next`, record by record (each released before the next is read),
        // written as one loop that the caller's crate compiles with `f`: the positions and the
        // mappings' addresses stay in registers (`self`'s fields are only written, so that
        // they are right whenever `f` runs or panics), and the producer position is read again
        // only when the consumer has caught up with the last value read (every record before
        // that value is complete or busy, and `slot_at` checks each length against it).
        // Through `next`, each record cost a call, a return through memory and a reload of
        // every address.
        let (consumer_pos, producer_pos) = (self.ring.consumer_pos(), self.ring.producer_pos());
        let (data, size) = (self.ring.at(0), self.ring.size);
        let mut position = self.position;
        let mut released = self.released.load(Ordering::Relaxed);
        // Read at the first record.
        let mut producer = position;
        // Whether the position, as it is now, was published and fenced before the last look
        // (see `locate`).
        let mut fenced = false;
        loop {
            // `release`, with its check: only another consumer moves the position from where
            // this one left it; then, as `release` does, take up from the producer position.
            let found = consumer_pos.load(Ordering::Relaxed);
            if found != released {
                self.position = load_acquire(producer_pos);
                consumer_pos.store(self.position, Ordering::Release);
                self.released.store(self.position, Ordering::Relaxed);
                return Err(self.shared_consumer(released, found));
            }
            if position != released {
                consumer_pos.store(position, Ordering::Release);
                self.released.store(position, Ordering::Relaxed);
                released = position;
            }
            if position >= producer {
                producer = load_acquire(producer_pos);
                if producer.wrapping_sub(position) > size && producer > position {
                    let err = self.corrupt("the producer is more than a ring ahead of this consumer");
                    self.position = producer;
                    return Err(err);
                }
            }
            // SAFETY: as in `next`: `data` starts the data area mapped twice (2 * size bytes);
            // `position` is 8-aligned (it started so and moves by multiples of 8).
            match unsafe { slot_at(data, size, position, producer) } {
                // Caught up, with the position published at the top of the loop: look once
                // more after a full fence, as `locate` does, with the producer position read
                // again.
                Slot::Empty if !fenced => {
                    fence(Ordering::SeqCst);
                    fenced = true;
                    producer = position;
                }
                Slot::Empty => return Ok(n),
                Slot::Skip { next } => {
                    position = next;
                    self.position = next;
                    fenced = false;
                }
                Slot::Corrupt(what) => {
                    let err = self.corrupt(what);
                    self.position = producer;
                    return Err(err);
                }
                Slot::Record { offset, len, next } => {
                    // Moved before `f` runs, so that a panic in `f` leaves the record released
                    // by the next call, as `next` would.
                    position = next;
                    self.position = next;
                    fenced = false;
                    // The consumer position passes the record only at the top of this loop,
                    // after `f` returned, or at a later call (`&mut self` is held meanwhile,
                    // and this is the ring's only consumer in this process).
                    // SAFETY: as in `next`: `len` bytes within the double mapping (`slot_at`),
                    // complete (busy bit clear, read with acquire), and unchanged while lent.
                    let bytes = unsafe { core::slice::from_raw_parts(data.add(offset).cast_const(), len) };
                    f(Record::new(bytes, &self.map, None));
                    n += 1;
                }
            }
        }
    }

    /// Waits (epoll) until records are available or `timeout` passes (`None`: forever);
    /// `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        // The kernel reports the ring readable while its consumer position trails the producer:
        // give back the records read so far first, or the last one read would wake us at once.
        // No record is borrowed now (they borrow `self` mutably), so their space is free to go.
        if self.ring.consumer_pos().load(Ordering::Relaxed) != self.released.load(Ordering::Relaxed) {
            // A consumer elsewhere moved the position: `next` reports it.
            return Ok(true);
        }
        self.ring.consumer_pos().store(self.position, Ordering::Release);
        self.released.store(self.position, Ordering::Relaxed);
        // The store above before the load below, as in `locate`: either the load sees a record
        // committed meanwhile, or its commit sees this position and wakes the fd.
        fence(Ordering::SeqCst);
        if self.pending.is_some()
            || self.failed.is_some()
            || load_acquire(self.ring.producer_pos()) > self.position
        {
            return Ok(true);
        }
        self.poller.wait(&self.map, timeout)
    }

    /// The map.
    pub fn map(&self) -> &Map {
        &self.map
    }

    /// This consumer, read asynchronously on tokio's reactor: `next().await`, a `Stream` of
    /// typed records, no thread of its own (the `tokio` feature).
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

    /// The bytes submitted but not read yet.
    pub fn pending(&self) -> u64 {
        load_acquire(self.ring.producer_pos()).saturating_sub(self.position)
    }

    fn corrupt(&self, what: &'static str) -> Error {
        Error::Ring { map: self.map.label(), problem: RingProblem::Corrupt { position: self.position, what } }
    }
}

/// A load with acquire semantics that is also allowed on a page mapped without `PROT_WRITE`:
/// std permits only relaxed atomic loads on read-only memory, so the acquire is a fence.
#[inline]
fn load_acquire(word: &AtomicU64) -> u64 {
    let value = word.load(Ordering::Relaxed);
    fence(Ordering::Acquire);
    value
}

/// What a ring holds at a consumer position.
#[derive(Debug, PartialEq, Eq)]
enum Slot {
    /// Nothing to read yet: the position is the producer's, or the record there is being
    /// written (busy).
    Empty,
    /// A committed record: `len` bytes at `offset` from the start of the data; the next record
    /// starts at position `next`.
    Record { offset: usize, len: usize, next: u64 },
    /// A discarded record, skipped; the next starts at `next`.
    Skip { next: u64 },
    /// A header that contradicts the ring.
    Corrupt(&'static str),
}

/// The consumer's reading of the record at `position` (the protocol of `kernel/bpf/ringbuf.c`),
/// written over raw memory so that tests run it on a plain buffer. Every length read from the
/// header is checked here against the producer position and the ring before it becomes an
/// offset: a `Record` lies within the `2 * size` bytes at `data`.
///
/// # Safety
/// `data` is valid for reads of `2 * size` bytes (the data area, mapped twice) and derived
/// from a pointer that may write (the mapping's); headers are accessed atomically by everyone;
/// `size` is a power of two of at least 8; `position` is 8-aligned.
// Inline: `consume` is compiled in the caller's crate and calls this for every record.
#[inline]
unsafe fn slot_at(data: *mut u8, size: u64, position: u64, producer: u64) -> Slot {
    if position >= producer {
        return Slot::Empty;
    }
    let offset = (position & (size - 1)) as usize;
    // `offset < size` and 8-aligned (position is), so the header word is an aligned u32
    // within the data, which the kernel writes atomically (the busy bit is cleared with a
    // release store, read here with acquire). The data is mapped read-only: a relaxed load,
    // then the acquire as a fence.
    // SAFETY: an aligned u32 within the data, only ever accessed atomically.
    let len = unsafe { AtomicU32::from_ptr(data.add(offset).cast()) }.load(Ordering::Relaxed);
    fence(Ordering::Acquire);
    if len & BUSY != 0 {
        return Slot::Empty;
    }
    let bytes = u64::from(len & !(BUSY | DISCARD));
    let total = (bytes + HEADER).next_multiple_of(8);
    // The record must end where the kernel has produced (which is at most a ring ahead of the
    // consumer), so `offset + total <= size + size`: inside the double mapping.
    if total > producer - position || total > size {
        return Slot::Corrupt("a record's length runs past the producer position");
    }
    let next = position + total;
    if len & DISCARD != 0 {
        return Slot::Skip { next };
    }
    Slot::Record { offset: offset + HEADER as usize, len: bytes as usize, next }
}

/// Whether the two positions of a ring, read from pages that other processes may write, can
/// be: both 8-aligned, the consumer not past the producer, and at most a ring behind it.
fn check_positions(consumer: u64, producer: u64, size: u64) -> Result<(), &'static str> {
    if !consumer.is_multiple_of(8) {
        return Err("the consumer position is not 8-byte aligned");
    }
    if !producer.is_multiple_of(8) {
        return Err("the producer position is not 8-byte aligned");
    }
    match producer.checked_sub(consumer) {
        None => Err("the consumer position is past the producer position"),
        Some(behind) if behind > size => Err("the consumer position is more than a ring behind the producer"),
        Some(_) => Ok(()),
    }
}

/// The ring's fd, readable while records wait: for an event loop of your own (mio, glib,
/// `tokio::io::unix::AsyncFd`). Call [`ready`](RingBufConsumer::ready) before waiting on it.
impl AsFd for RingBufConsumer<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.map.fd()
    }
}

/// The ring's fd, writable while the ring has room: for an event loop of your own.
impl AsFd for UserRingBufProducer<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.map.fd()
    }
}

impl core::fmt::Debug for UserRingBufProducer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UserRingBufProducer").field("map", &*self.map).finish()
    }
}

impl AsRawFd for RingBufConsumer<'_> {
    fn as_raw_fd(&self) -> RawFd {
        self.map.fd().as_raw_fd()
    }
}

impl core::fmt::Debug for RingBufConsumer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingBufConsumer").field("map", &*self.map).field("position", &self.position).finish()
    }
}

impl Drop for RingBufConsumer<'_> {
    fn drop(&mut self) {
        self.ring.consumer_pos().store(self.position, Ordering::Release);
    }
}

/// A `user_ringbuf` map: records that user space writes and programs drain with
/// `bpf_user_ringbuf_drain`.
///
/// ```no_run
/// use std::time::Duration;
/// use bpfmap::{bpf_map, Error, Pod, RingProblem};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Block { addr: u32, prefix_len: u32 }
///
/// #[bpf_map(type = "user_ringbuf", max_entries = 65536)]
/// struct Commands;
///
/// let maps = bpfmap::load()?;
/// let mut commands = maps.get::<Commands>().producer()?;
/// let block = Block { addr: 0x0a00_0000, prefix_len: 8 };
/// loop {
///     match commands.write_value(&block) {
///         Err(Error::Ring { problem: RingProblem::Full { .. }, .. }) => {
///             commands.wait(Some(Duration::from_millis(100)))?;   // until a program drains
///         }
///         done => break done?,
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct UserRingBuf<'m> {
    map: MapRef<'m>,
}

impl<'m> UserRingBuf<'m> {
    /// The handle of `map`, which must be a `user_ringbuf`.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<UserRingBuf<'m>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<(), ()>(&map, &[Family::UserRingBuf], "UserRingBuf")?;
        Ok(UserRingBuf { map })
    }

    /// Maps the ring and returns its producer.
    ///
    /// # Errors
    /// [`Error::InUse`] while another producer of the same map lives in this process (two
    /// would write the same bytes).
    pub fn producer(&self) -> Result<UserRingBufProducer<'m>, Error> {
        UserRingBufProducer::new(self.map.clone())
    }
}

/// Writes records into a [`UserRingBuf`]. One producer per ring in a process
/// ([`UserRingBuf::producer`] refuses a second while this one lives).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "user_ringbuf", max_entries = 4096)]
/// struct Commands;
///
/// let maps = bpfmap::load()?;
/// let mut commands = maps.get::<Commands>().producer()?;
/// commands.write(b"reload")?;                   // raw bytes
/// commands.write_value(&7u64)?;                 // any Pod value
/// println!("{} bytes free", commands.available());
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct UserRingBufProducer<'m> {
    map: MapRef<'m>,
    ring: Ring,
    poller: Poller,
    _claim: Claim,
}

impl<'m> UserRingBufProducer<'m> {
    fn new(map: MapRef<'m>) -> Result<UserRingBufProducer<'m>, Error> {
        let claim = Claim::take(&map, "producer")?;
        let ring = Ring::new(&map, MapType::USER_RINGBUF, true)?;
        let poller = Poller::new(&map, libc::EPOLLOUT as u32)?;
        Ok(UserRingBufProducer { map, ring, poller, _claim: claim })
    }

    /// Writes one record of `bytes`.
    ///
    /// # Errors
    /// [`Error::Ring`] with [`RingProblem::Full`] when the ring has no room now (wait with
    /// [`wait`](Self::wait) and retry), [`RingProblem::TooLarge`] when the record could never
    /// fit, [`RingProblem::Corrupt`] when the producer page (writable by any process that maps
    /// the ring) holds a position the ring's protocol rules out.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let size = self.ring.size;
        let max = (size - HEADER).min(MAX_USER_RECORD as u64);
        let len = u32::try_from(bytes.len()).ok().filter(|_| bytes.len() <= MAX_USER_RECORD);
        let total = (bytes.len() as u64 + HEADER).next_multiple_of(8);
        let Some(len) = len.filter(|_| total <= size) else {
            return Err(self.ring_error(RingProblem::TooLarge { len: bytes.len(), max }));
        };
        let consumer = load_acquire(self.ring.consumer_pos());
        let producer = load_acquire(self.ring.producer_pos());
        if let Err(what) = check_positions(consumer, producer, size) {
            return Err(self.ring_error(RingProblem::Corrupt { position: producer, what }));
        }
        let available = size - (producer - consumer);
        if available < total {
            return Err(self.ring_error(RingProblem::Full { needed: total, available }));
        }
        let header = self.ring.at(producer);
        // `producer` is 8-aligned (`check_positions`), so the header is an aligned word in the
        // data mapping, and the `total <= size` bytes from it lie within the double mapping
        // (writable: the producer maps it so). The space from `producer` to `consumer + size`
        // is free (`available >= total`): the kernel reads no record there until the producer
        // position passes it, and only this producer (claimed) moves that position.
        // SAFETY: in bounds, aligned, and free space that nobody else reads or writes (above).
        unsafe {
            let len_word = AtomicU32::from_ptr(header.cast());
            // Reserve: the kernel skips a busy record until it is committed.
            len_word.store(len | BUSY, Ordering::Relaxed);
            AtomicU32::from_ptr(header.add(4).cast()).store(0, Ordering::Relaxed);
            self.ring.producer_pos().store(producer + total, Ordering::Release);
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), header.add(HEADER as usize), bytes.len());
            // Commit.
            len_word.swap(len, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Writes `value` as one record (its bytes, as a program reads them with
    /// `bpf_dynptr_read` into the same struct).
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_value<T: crate::Pod>(&mut self, value: &T) -> Result<(), Error> {
        self.write(crate::pod::bytes_of(value))
    }

    /// The map.
    pub fn map(&self) -> &Map {
        &self.map
    }

    /// This producer, written asynchronously on tokio's reactor: `write(..).await` waits
    /// while the ring is full (the `tokio` feature).
    ///
    /// # Errors
    /// [`Error::NoReactor`] outside a tokio runtime.
    ///
    /// # Panics
    /// Inside a tokio runtime built without IO (no `enable_io`): tokio panics when asked to
    /// register an fd there, and offers no way to ask first.
    #[cfg(feature = "tokio")]
    pub fn into_async(self) -> Result<crate::events::AsyncUserRingBufProducer<'m>, Error> {
        crate::events::AsyncUserRingBufProducer::new(self)
    }

    /// Waits (epoll) until the kernel drained records and freed space, or `timeout` passes;
    /// `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        self.poller.wait(&self.map, timeout)
    }

    /// The bytes free for records now.
    pub fn available(&self) -> u64 {
        let producer = load_acquire(self.ring.producer_pos());
        let consumer = load_acquire(self.ring.consumer_pos());
        self.ring.size.saturating_sub(producer.saturating_sub(consumer))
    }

    fn ring_error(&self, problem: RingProblem) -> Error {
        Error::Ring { map: self.map.label(), problem }
    }
}

super::common::handle_common!(RingBuf, UserRingBuf);

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-byte ring's data, mapped twice as the kernel maps it: `write` fills both copies.
    struct Data([u64; 16]);

    impl Data {
        fn write(&mut self, at: usize, bytes: &[u8]) {
            let all: &mut [u8; 128] = as_bytes(&mut self.0);
            for (i, &b) in bytes.iter().enumerate() {
                all[(at + i) % 64] = b;
                all[(at + i) % 64 + 64] = b;
            }
        }

        fn header(&mut self, at: usize, len: u32) {
            let mut h = [0u8; 8];
            h[..4].copy_from_slice(&len.to_ne_bytes());
            self.write(at, &h);
        }

        fn slot(&mut self, position: u64, producer: u64) -> Slot {
            // SAFETY: 128 bytes (two copies of 64), 8-aligned, from a unique borrow.
            unsafe { slot_at(self.0.as_mut_ptr().cast(), 64, position, producer) }
        }
    }

    fn as_bytes(words: &mut [u64; 16]) -> &mut [u8; 128] {
        // SAFETY: [u64; 16] and [u8; 128] have one size; u8 has alignment 1; any bytes are valid.
        unsafe { &mut *(words as *mut [u64; 16]).cast::<[u8; 128]>() }
    }

    #[test]
    fn records_are_read_where_the_header_says() {
        let mut data = Data([0; 16]);
        data.header(0, 5);
        data.write(8, b"hello");
        data.header(16, 3 | DISCARD);
        data.header(32, 2 | BUSY);
        assert_eq!(data.slot(0, 32), Slot::Record { offset: 8, len: 5, next: 16 });
        assert_eq!(data.slot(16, 32), Slot::Skip { next: 32 });
        assert_eq!(data.slot(32, 48), Slot::Empty, "busy");
        assert_eq!(data.slot(32, 32), Slot::Empty, "nothing produced");
    }

    #[test]
    fn a_record_that_wraps_reads_through_the_second_copy() {
        let mut data = Data([0; 16]);
        // At position 112 (offset 48): an 8-byte header and 20 bytes, past the end at 64.
        data.header(48, 20);
        data.write(56, &[7; 20]);
        let Slot::Record { offset, len, next } = data.slot(112, 144) else { panic!("a record") };
        assert_eq!((offset, len, next), (56, 20, 144));
        assert!(offset + len <= 128, "within the double mapping");
        let all = as_bytes(&mut data.0);
        assert_eq!(&all[offset..offset + len], &[7; 20]);
    }

    #[test]
    fn lengths_past_the_producer_or_the_ring_are_corrupt() {
        let mut data = Data([0; 16]);
        data.header(0, 40);
        assert!(matches!(data.slot(0, 16), Slot::Corrupt(_)), "the producer is at 16");
        data.header(0, 60);
        assert!(matches!(data.slot(0, 64), Slot::Corrupt(_)), "68 bytes cannot fit a 64-byte ring");
        data.header(0, (1 << 30) - 1);
        assert!(matches!(data.slot(0, 64), Slot::Corrupt(_)));
        data.header(0, 56);
        assert_eq!(data.slot(0, 64), Slot::Record { offset: 8, len: 56, next: 64 }, "a full ring");
    }

    #[test]
    fn start_positions_are_checked() {
        assert_eq!(check_positions(8, 16, 64), Ok(()));
        assert!(check_positions(4, 16, 64).is_err());
        assert!(check_positions(24, 16, 64).is_err());
        assert!(check_positions(0, 72, 64).is_err());
    }
}
