//! Ring buffers: `RingBuf` (programs → user space) and `UserRingBuf` (user space → programs),
//! both read and written through shared memory, with epoll to wait.
//!
//! The layout and the memory ordering follow `kernel/bpf/ringbuf.c`: a consumer-position page,
//! a producer-position page, then the data pages mapped twice in a row so that a record that
//! wraps around the end reads as one contiguous slice. Each record starts with an 8-byte
//! header whose length word carries a busy bit (being written) and a discard bit.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::check_family;
use super::mmap::Mmap;
use crate::error::Op;
use crate::rules::{Family, HostLimits};
use crate::{Errno, Error, Map};

const BUSY: u32 = 1 << 31;
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
///         println!("{} bytes", record.len());
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct RingBuf<'m> {
    map: &'m Map,
}

impl<'m> RingBuf<'m> {
    /// The handle of `map`, which must be a `ringbuf`.
    pub fn new(map: &'m Map) -> Result<RingBuf<'m>, Error> {
        check_family(map, &[Family::RingBuf], "RingBuf")?;
        Ok(RingBuf { map })
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> RingBuf<'m> {
        RingBuf { map }
    }

    /// Maps the ring and returns its consumer. One consumer per ring: two would race for the
    /// same records.
    pub fn consumer(&self) -> Result<RingBufConsumer<'m>, Error> {
        RingBufConsumer::new(self.map)
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
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
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
/// slice stays valid while it is borrowed.
pub struct RingBufConsumer<'m> {
    map: &'m Map,
    consumer: Mmap,
    producer: Mmap,
    mask: u64,
    /// Our position: records before it were handed out.
    position: u64,
    poller: Poller,
}

impl<'m> RingBufConsumer<'m> {
    fn new(map: &'m Map) -> Result<RingBufConsumer<'m>, Error> {
        let page = HostLimits::current().page_size as usize;
        let size = map.def().max_entries as usize;
        let consumer = Mmap::new(map, page, 0, true)?;
        let producer = Mmap::new(map, page + 2 * size, page, false)?;
        let poller = Poller::new(map, libc::EPOLLIN as u32)?;
        let mut ring =
            RingBufConsumer { map, consumer, producer, mask: size as u64 - 1, position: 0, poller };
        ring.position = ring.consumer_pos().load(Ordering::Acquire);
        Ok(ring)
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the consumer page, 8-aligned, shared with the kernel,
        // which accesses it atomically (smp_load_acquire/smp_store_release).
        unsafe { AtomicU64::from_ptr(self.consumer.ptr() as *mut u64) }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the producer page, as above.
        unsafe { AtomicU64::from_ptr(self.producer.ptr() as *mut u64) }
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: the data pages follow the producer page within the mapping.
        unsafe { self.producer.ptr().add(HostLimits::current().page_size as usize) }
    }

    /// The next record, or `None` when every submitted record has been read.
    #[allow(clippy::should_implement_trait)] // The record borrows the consumer: not an Iterator.
    pub fn next(&mut self) -> Option<&[u8]> {
        loop {
            // Give the kernel back the space of the records handed out before.
            self.consumer_pos().store(self.position, Ordering::Release);
            let producer = self.producer_pos().load(Ordering::Acquire);
            if self.position >= producer {
                return None;
            }
            // SAFETY: the header lies in the data area (masked offset); the kernel writes its
            // length word with release semantics once the record is complete.
            let header = unsafe { self.data().add((self.position & self.mask) as usize) };
            // SAFETY: 8-aligned word inside the mapping, written atomically by the kernel.
            let len = unsafe { AtomicU32::from_ptr(header as *mut u32) }.load(Ordering::Acquire);
            if len & BUSY != 0 {
                return None;
            }
            let size = (len & !(BUSY | DISCARD)) as u64;
            self.position += (size + HEADER).next_multiple_of(8);
            if len & DISCARD == 0 {
                // SAFETY: the record's bytes follow its header and are complete (busy bit
                // clear, read with acquire); the double mapping keeps a wrapped record
                // contiguous; the kernel does not reuse them until the consumer position passes
                // them, which happens only on the next call, after this borrow ends.
                return Some(unsafe {
                    core::slice::from_raw_parts(header.add(HEADER as usize), size as usize)
                });
            }
        }
    }

    /// Calls `f` on every record available now; returns how many.
    pub fn consume(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while let Some(record) = self.next() {
            f(record);
            n += 1;
        }
        n
    }

    /// Waits (epoll) until records are available or `timeout` passes (`None`: forever);
    /// `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        // The kernel reports the ring readable while its consumer position trails the producer:
        // give back the records read so far first, or the last one read would wake us at once.
        // No record is borrowed now (they borrow `self` mutably), so their space is free to go.
        self.consumer_pos().store(self.position, Ordering::Release);
        if self.producer_pos().load(Ordering::Acquire) > self.position {
            return Ok(true);
        }
        self.poller.wait(self.map, timeout)
    }

    /// The bytes submitted but not read yet.
    pub fn pending(&self) -> u64 {
        self.producer_pos().load(Ordering::Acquire).saturating_sub(self.position)
    }
}

impl Drop for RingBufConsumer<'_> {
    fn drop(&mut self) {
        self.consumer_pos().store(self.position, Ordering::Release);
    }
}

/// A `user_ringbuf` map: records that user space writes and programs drain with
/// `bpf_user_ringbuf_drain`.
pub struct UserRingBuf<'m> {
    map: &'m Map,
}

impl<'m> UserRingBuf<'m> {
    /// The handle of `map`, which must be a `user_ringbuf`.
    pub fn new(map: &'m Map) -> Result<UserRingBuf<'m>, Error> {
        check_family(map, &[Family::UserRingBuf], "UserRingBuf")?;
        Ok(UserRingBuf { map })
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> UserRingBuf<'m> {
        UserRingBuf { map }
    }

    /// Maps the ring and returns its producer. One producer per ring: the kernel expects a
    /// single writer.
    pub fn producer(&self) -> Result<UserRingBufProducer<'m>, Error> {
        UserRingBufProducer::new(self.map)
    }
}

/// Writes records into a [`UserRingBuf`].
pub struct UserRingBufProducer<'m> {
    map: &'m Map,
    consumer: Mmap,
    producer: Mmap,
    mask: u64,
    poller: Poller,
}

impl<'m> UserRingBufProducer<'m> {
    fn new(map: &'m Map) -> Result<UserRingBufProducer<'m>, Error> {
        let page = HostLimits::current().page_size as usize;
        let size = map.def().max_entries as usize;
        let consumer = Mmap::new(map, page, 0, false)?;
        let producer = Mmap::new(map, page + 2 * size, page, true)?;
        let poller = Poller::new(map, libc::EPOLLOUT as u32)?;
        Ok(UserRingBufProducer { map, consumer, producer, mask: size as u64 - 1, poller })
    }

    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the consumer page, 8-aligned, written atomically by the kernel.
        unsafe { AtomicU64::from_ptr(self.consumer.ptr() as *mut u64) }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first word of the producer page; we are its only writer.
        unsafe { AtomicU64::from_ptr(self.producer.ptr() as *mut u64) }
    }

    /// Writes one record of `bytes`.
    ///
    /// # Errors
    /// `ENOSPC` when the ring has no room now (wait with [`wait`](Self::wait) and retry),
    /// `E2BIG` when the record could never fit.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let size = bytes.len() as u64;
        let total = (size + HEADER).next_multiple_of(8);
        if size as u32 as u64 != size || size as u32 & (BUSY | DISCARD) != 0 || total > self.mask + 1 {
            return Err(self.map.error(Op::Update, Errno::E2BIG));
        }
        let consumer = self.consumer_pos().load(Ordering::Acquire);
        let producer = self.producer_pos().load(Ordering::Acquire);
        if self.mask + 1 - (producer - consumer) < total {
            return Err(self.map.error(Op::Update, Errno::ENOSPC));
        }
        let page = HostLimits::current().page_size as usize;
        // SAFETY: the header and the record lie in the data area, which follows the producer
        // page and is mapped twice, so `total` bytes from any masked offset are in the mapping.
        unsafe {
            let header = self.producer.ptr().add(page + (producer & self.mask) as usize);
            let len = AtomicU32::from_ptr(header as *mut u32);
            // Reserve: the kernel skips a busy record until it is committed.
            len.store(size as u32 | BUSY, Ordering::Relaxed);
            (header.add(4) as *mut u32).write_volatile(0);
            self.producer_pos().store(producer + total, Ordering::Release);
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), header.add(HEADER as usize), bytes.len());
            // Commit.
            len.swap(size as u32, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Waits (epoll) until the kernel drained records and freed space, or `timeout` passes;
    /// `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        self.poller.wait(self.map, timeout)
    }

    /// The bytes free for records now.
    pub fn available(&self) -> u64 {
        let used = self.producer_pos().load(Ordering::Acquire) - self.consumer_pos().load(Ordering::Acquire);
        self.mask + 1 - used
    }
}

super::common::handle_common!(RingBuf, UserRingBuf);
