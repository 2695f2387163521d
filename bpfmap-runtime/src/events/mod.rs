//! Events: the records BPF programs send to user space through ring buffers and perf buffers,
//! read as typed values, waited for one source at a time, several at once ([`EventPoller`]),
//! or asynchronously (the `tokio` feature).

#[cfg(feature = "tokio")]
mod async_io;
mod poll;
mod record;

#[cfg(feature = "tokio")]
pub use async_io::{AsyncEvents, AsyncUserRingBufProducer, RecordStream};
pub use poll::EventPoller;
pub(crate) use poll::epoll_timeout;
pub use record::Record;

use std::os::fd::AsFd;

use crate::Error;

mod sealed {
    /// Only bpfmap's readers are event sources: waiting on their fd relies on how the kernel
    /// wakes it, which each reader keeps in step with (see [`EventSource::ready`]).
    pub trait Sealed {}
}

/// A reader of records that an event loop can wait on: a [`RingBufConsumer`](crate::RingBufConsumer)
/// or a [`PerfBufferReader`](crate::PerfBufferReader).
///
/// Its fd (`AsFd`) turns readable when records arrive; [`ready`](Self::ready) must have said
/// `false` before waiting on it, or the wake-up may never come: the kernel wakes a ring buffer
/// only when its consumer has caught up, and a perf buffer's fd (an epoll instance over one
/// perf event per CPU) once per wake-up, not while samples wait.
///
/// ```no_run
/// use std::os::fd::{AsFd, AsRawFd};
/// use bpfmap::{bpf_map, EventSource};
///
/// #[bpf_map(type = "ringbuf", max_entries = 4096)]
/// struct Events;
///
/// // An event loop of one's own, over any source: ask, then sleep on the fd.
/// fn drain(source: &mut impl EventSource) -> Result<usize, bpfmap::Error> {
///     while !source.ready() {
///         let mut fd = libc::pollfd { fd: source.as_fd().as_raw_fd(), events: libc::POLLIN, revents: 0 };
///         // SAFETY: one valid pollfd.
///         unsafe { libc::poll(&mut fd, 1, -1) };
///     }
///     source.consume_with(|record| println!("{} bytes", record.len()))
/// }
///
/// let maps = bpfmap::load()?;
/// drain(&mut maps.get::<Events>().consumer()?)?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub trait EventSource: AsFd + sealed::Sealed {
    /// The next record available now, or `None`.
    fn next_record(&mut self) -> Option<Result<Record<'_>, Error>>;

    /// Whether [`next_record`](Self::next_record) has something to return now. Called before
    /// waiting on the fd: it gives the kernel back the space of the records read so far.
    fn ready(&mut self) -> bool;

    /// The map the records come from.
    fn map(&self) -> &crate::Map;

    /// Hands every record available now to `f`; returns how many. The same records as
    /// calling [`next_record`](Self::next_record) until `None`, in one loop that the caller
    /// compiles with `f`.
    ///
    /// # Errors
    /// The source's errors; the records before the error were passed to `f`.
    fn consume_with<F: FnMut(Record<'_>)>(&mut self, mut f: F) -> Result<usize, Error>
    where
        Self: Sized,
    {
        let mut n = 0;
        while let Some(record) = self.next_record() {
            f(record?);
            n += 1;
        }
        Ok(n)
    }

    /// [`consume_with`](Self::consume_with) for a source behind `dyn`, as [`EventPoller`]
    /// holds them.
    ///
    /// # Errors
    /// As [`consume_with`](Self::consume_with).
    fn consume_dyn(&mut self, f: &mut dyn FnMut(Record<'_>)) -> Result<usize, Error> {
        let mut n = 0;
        while let Some(record) = self.next_record() {
            f(record?);
            n += 1;
        }
        Ok(n)
    }
}

impl sealed::Sealed for crate::RingBufConsumer<'_> {}

impl EventSource for crate::RingBufConsumer<'_> {
    #[inline]
    fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        self.next()
    }

    fn ready(&mut self) -> bool {
        crate::RingBufConsumer::ready(self)
    }

    fn map(&self) -> &crate::Map {
        self.map()
    }

    #[inline]
    fn consume_with<F: FnMut(Record<'_>)>(&mut self, f: F) -> Result<usize, Error> {
        self.consume(f)
    }

    fn consume_dyn(&mut self, f: &mut dyn FnMut(Record<'_>)) -> Result<usize, Error> {
        self.consume(f)
    }
}

impl sealed::Sealed for crate::PerfBufferReader<'_> {}

impl EventSource for crate::PerfBufferReader<'_> {
    #[inline]
    fn next_record(&mut self) -> Option<Result<Record<'_>, Error>> {
        self.next()
    }

    fn ready(&mut self) -> bool {
        crate::PerfBufferReader::ready(self)
    }

    fn map(&self) -> &crate::Map {
        self.map()
    }

    #[inline]
    fn consume_with<F: FnMut(Record<'_>)>(&mut self, f: F) -> Result<usize, Error> {
        self.consume(f)
    }

    fn consume_dyn(&mut self, f: &mut dyn FnMut(Record<'_>)) -> Result<usize, Error> {
        self.consume(f)
    }
}
