//! Async readers and writers on tokio's reactor (the `tokio` feature): the ring's fd is
//! registered with `AsyncFd`, so a task sleeps until the kernel wakes the fd; no thread per
//! ring, no busy loop.
//!
//! Waiting follows one order everywhere, so that no wake-up is lost: clear tokio's readiness,
//! then ask the source whether it has records (which also gives the kernel back the space read
//! so far). A record committed after that question wakes the fd again, because the kernel wakes
//! a ring buffer when its consumer has caught up, which the question just made so.

use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use futures_core::Stream;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{EventSource, Record};
use crate::error::RingProblem;
use crate::{Errno, Error, Pod, UserRingBufProducer};

/// Lends `AsyncFd` the raw fd of a source that offers `AsFd`. tokio requires that the fd stays
/// open and the same while registered: the source is never handed out mutably (it could be
/// swapped for another, or dropped in place), only shared or taken back whole.
struct Fd<S>(S);

impl<S: AsFd> AsRawFd for Fd<S> {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

fn register<S: AsFd>(source: S, interest: Interest) -> Result<AsyncFd<Fd<S>>, Error> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::NoReactor);
    }
    // The fd is the source's own (a map's, or a perf reader's epoll), open for as long as the
    // source lives, which is as long as the `AsyncFd` holds it: `Fd` is never lent mutably
    // outside this module, and within it only to read records, which never changes the fd.
    // SAFETY: the fd stays open and the same while registered (above); `as_raw_fd` returns it.
    unsafe { AsyncFd::register_with_interest(Fd(source), interest) }.map_err(|e| io_error(e.into_parts().1))
}

fn io_error(e: io::Error) -> Error {
    match e.raw_os_error() {
        Some(errno) => Error::Wait { errno: Errno::from_raw(errno) },
        // tokio's only error without an errno: the runtime shut down. (A runtime without an
        // IO driver panics in `register_with_interest` instead; see `into_async`.)
        None => Error::NoReactor,
    }
}

/// An [`EventSource`] (a ring buffer consumer, a perf buffer reader) read asynchronously:
/// [`next`](Self::next) awaits the next record, [`consume`](Self::consume) awaits records and
/// hands every available one to a closure, and [`into_stream`](Self::into_stream) turns the
/// source into a [`Stream`] of typed values.
///
/// Made by `into_async()` on the source, inside a tokio runtime with IO enabled (as
/// `#[tokio::main]` makes; in a runtime without IO, tokio panics). An owned source (from
/// [`Maps::owned`](crate::Maps::owned)) makes a reader with no lifetime, which moves into
/// `tokio::spawn`.
///
/// ```no_run
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Exec { pid: u32, uid: u32 }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Execs;
///
/// #[tokio::main]
/// async fn main() -> Result<(), bpfmap::Error> {
///     let maps = bpfmap::load()?;
///     let mut execs = maps.owned::<Execs>()?.consumer()?.into_async()?;
///     let task = tokio::spawn(async move {
///         loop {
///             let exec: Exec = execs.next().await?.read()?;
///             println!("pid {} uid {}", exec.pid, exec.uid);
///         }
///         #[allow(unreachable_code)]
///         Ok::<(), bpfmap::Error>(())
///     });
///     task.await.expect("the reader task")
/// }
/// ```
pub struct AsyncEvents<S: EventSource> {
    fd: AsyncFd<Fd<S>>,
}

impl<S: EventSource> AsyncEvents<S> {
    /// Registers `source` with the current tokio runtime.
    ///
    /// # Errors
    /// [`Error::NoReactor`] outside a tokio runtime; [`Error::Wait`] when epoll refuses the
    /// fd.
    ///
    /// # Panics
    /// Inside a tokio runtime built without IO (no `enable_io`): tokio panics when asked to
    /// register an fd there, and offers no way to ask first.
    pub fn new(source: S) -> Result<AsyncEvents<S>, Error> {
        Ok(AsyncEvents { fd: register(source, Interest::READABLE)? })
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        &self.fd.get_ref().0
    }

    /// The next record available now, without waiting; `None` when there is none.
    pub fn try_next(&mut self) -> Option<Result<Record<'_>, Error>> {
        self.source().next_record()
    }

    // Private: tokio requires the registered fd to stay the same, and a `&mut S` would let
    // the caller swap the source for another.
    fn source(&mut self) -> &mut S {
        &mut self.fd.get_mut().0
    }

    /// The source, unregistered.
    pub fn into_inner(self) -> S {
        self.fd.into_inner().0
    }

    /// Waits until the source has a record (or an error) to hand out.
    async fn until_ready(&mut self) -> Result<(), Error> {
        if self.source().ready() {
            return Ok(());
        }
        loop {
            let mut guard = self.fd.readable_mut().await.map_err(io_error)?;
            guard.clear_ready();
            if guard.get_inner_mut().0.ready() {
                return Ok(());
            }
        }
    }

    /// The next record, once there is one.
    ///
    /// # Errors
    /// The source's errors, as its blocking `next` returns them; [`Error::Wait`] when the
    /// reactor fails.
    pub async fn next(&mut self) -> Result<Record<'_>, Error> {
        self.until_ready().await?;
        // `ready` said `true`: the source has a record or an error at hand.
        self.source().next_record().unwrap_or(Err(Error::Wait { errno: Errno::EAGAIN }))
    }

    /// Waits for records, then hands every record available to `f`; returns how many.
    ///
    /// # Errors
    /// As [`next`](Self::next); the records before the error were passed to `f`.
    pub async fn consume(&mut self, f: impl FnMut(Record<'_>)) -> Result<usize, Error> {
        self.until_ready().await?;
        self.source().consume_with(f)
    }

    /// The records as a [`Stream`] of `T` ([`Record::read`]). It never ends: it waits for
    /// the next record. A record shorter than `T` is an `Err` item, and the stream goes on.
    pub fn into_stream<T: Pod>(self) -> RecordStream<S, T> {
        RecordStream { events: self, _type: PhantomData }
    }

    /// The records as a [`Stream`] of byte vectors.
    pub fn into_byte_stream(self) -> RecordStream<S, Vec<u8>> {
        RecordStream { events: self, _type: PhantomData }
    }

    fn poll_record<T>(
        &mut self,
        cx: &mut Context<'_>,
        read: fn(Record<'_>) -> Result<T, Error>,
    ) -> Poll<Result<T, Error>> {
        loop {
            if self.source().ready() {
                let next = self.source().next_record();
                return Poll::Ready(next.unwrap_or(Err(Error::Wait { errno: Errno::EAGAIN })).and_then(read));
            }
            let mut guard = ready!(self.fd.poll_read_ready_mut(cx)).map_err(io_error)?;
            guard.clear_ready();
        }
    }
}

impl<S: EventSource> core::fmt::Debug for AsyncEvents<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncEvents").field("map", self.get_ref().map()).finish()
    }
}

/// The records of an [`AsyncEvents`] as a [`Stream`] of `T`: values of a [`Pod`] type, or
/// byte vectors. Made by [`AsyncEvents::into_stream`] and [`AsyncEvents::into_byte_stream`].
///
/// ```no_run
/// use futures_util::StreamExt;
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Exec { pid: u32, uid: u32 }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Execs;
///
/// # async fn run() -> Result<(), bpfmap::Error> {
/// let maps = bpfmap::load()?;
/// let mut execs = maps.get::<Execs>().consumer()?.into_async()?.into_stream::<Exec>();
/// while let Some(exec) = execs.next().await {
///     println!("pid {}", exec?.pid);
/// }
/// # Ok(()) }
/// ```
pub struct RecordStream<S: EventSource, T> {
    events: AsyncEvents<S>,
    _type: PhantomData<fn() -> T>,
}

impl<S: EventSource, T> RecordStream<S, T> {
    /// The reader, to wait differently or to reach the source.
    pub fn into_inner(self) -> AsyncEvents<S> {
        self.events
    }
}

impl<S: EventSource + Unpin, T: Pod> Stream for RecordStream<S, T> {
    type Item = Result<T, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().events.poll_record(cx, |record| record.read::<T>()).map(Some)
    }
}

impl<S: EventSource + Unpin> Stream for RecordStream<S, Vec<u8>> {
    type Item = Result<Vec<u8>, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().events.poll_record(cx, |record| Ok(record.to_vec())).map(Some)
    }
}

impl<S: EventSource, T> core::fmt::Debug for RecordStream<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordStream").field("map", self.events.get_ref().map()).finish()
    }
}

/// A [`UserRingBufProducer`] written asynchronously: [`write`](Self::write) awaits room in
/// the ring when it is full, and wakes when programs drain it.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "user_ringbuf", max_entries = 4096)]
/// struct Commands;
///
/// # async fn run() -> Result<(), bpfmap::Error> {
/// let maps = bpfmap::load()?;
/// let mut commands = maps.get::<Commands>().producer()?.into_async()?;
/// for n in 0u64..1000 {
///     commands.write_value(&n).await?; // waits while the ring is full
/// }
/// # Ok(()) }
/// ```
pub struct AsyncUserRingBufProducer<'m> {
    fd: AsyncFd<Fd<UserRingBufProducer<'m>>>,
}

impl<'m> AsyncUserRingBufProducer<'m> {
    /// Registers `producer` with the current tokio runtime.
    ///
    /// # Errors
    /// [`Error::NoReactor`] outside a tokio runtime; [`Error::Wait`] when epoll refuses the
    /// fd.
    ///
    /// # Panics
    /// Inside a tokio runtime built without IO (no `enable_io`): tokio panics when asked to
    /// register an fd there, and offers no way to ask first.
    pub fn new(producer: UserRingBufProducer<'m>) -> Result<AsyncUserRingBufProducer<'m>, Error> {
        Ok(AsyncUserRingBufProducer { fd: register(producer, Interest::WRITABLE)? })
    }

    /// The producer.
    pub fn get_ref(&self) -> &UserRingBufProducer<'m> {
        &self.fd.get_ref().0
    }

    /// Writes one record of `bytes` now, or fails with [`RingProblem::Full`].
    ///
    /// # Errors
    /// As [`UserRingBufProducer::write`].
    pub fn try_write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.fd.get_mut().0.write(bytes)
    }

    /// The producer, unregistered.
    pub fn into_inner(self) -> UserRingBufProducer<'m> {
        self.fd.into_inner().0
    }

    /// Writes one record of `bytes`, waiting while the ring is full.
    ///
    /// # Errors
    /// As [`UserRingBufProducer::write`], except that a full ring is waited out.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self.try_write(bytes) {
            Err(Error::Ring { problem: RingProblem::Full { .. }, .. }) => {}
            done => return done,
        }
        loop {
            let mut guard = self.fd.writable_mut().await.map_err(io_error)?;
            guard.clear_ready();
            match guard.get_inner_mut().0.write(bytes) {
                Err(Error::Ring { problem: RingProblem::Full { .. }, .. }) => continue,
                done => return done,
            }
        }
    }

    /// Writes `value` as one record, waiting while the ring is full.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub async fn write_value<T: Pod>(&mut self, value: &T) -> Result<(), Error> {
        self.write(crate::pod::bytes_of(value)).await
    }
}

impl core::fmt::Debug for AsyncUserRingBufProducer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncUserRingBufProducer").field("map", self.fd.get_ref().0.map()).finish()
    }
}
