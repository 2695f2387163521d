//! `EventPoller`: one epoll instance over several event sources, each with its own handler,
//! as libbpf's `ring_buffer__add` and `ring_buffer__poll`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::{EventSource, Record};
use crate::error::Op;
use crate::{Errno, Error, Pod};

type Handler<'a> = Box<dyn FnMut(Record<'_>) -> Result<(), Error> + 'a>;

/// Waits on several ring buffers and perf buffers at once, and hands each record to the
/// handler of its source: raw [`Record`]s ([`add`](Self::add)) or values of a [`Pod`] type
/// ([`add_typed`](Self::add_typed)).
///
/// One thread, one epoll instance, no busy loop: [`poll`](Self::poll) sleeps until a source
/// has records. The poller is itself an fd (`AsFd`) that turns readable when any source has
/// records, so it nests in another event loop.
///
/// ```no_run
/// use std::time::Duration;
/// use bpfmap::{bpf_map, EventPoller, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Exec { pid: u32, uid: u32 }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Execs;
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Logs;
///
/// let maps = bpfmap::load()?;
/// let (mut execs, mut lines) = (0, 0);
/// let mut poller = EventPoller::new()?;
/// poller.add_typed(maps.get::<Execs>().consumer()?, |exec: Exec| {
///     execs += 1;
///     println!("pid {} uid {}", exec.pid, exec.uid);
/// })?;
/// poller.add(maps.get::<Logs>().consumer()?, |line| {
///     lines += 1;
///     println!("{}", String::from_utf8_lossy(&line));
/// })?;
/// while poller.poll(Some(Duration::from_millis(100)))? == 0 {}
/// drop(poller);
/// println!("{execs} execs, {lines} lines");
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct EventPoller<'a> {
    epoll: OwnedFd,
    sources: Vec<(Box<dyn EventSource + 'a>, Handler<'a>)>,
    events: Vec<libc::epoll_event>,
}

impl<'a> EventPoller<'a> {
    /// A poller with no sources.
    ///
    /// # Errors
    /// [`Error::Wait`] when the process cannot make an epoll instance (out of fds).
    pub fn new() -> Result<EventPoller<'a>, Error> {
        // SAFETY: epoll_create1 has no memory preconditions.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(Error::Wait { errno: Errno::last() });
        }
        // SAFETY: a fresh fd, owned by nothing else.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        let events = vec![libc::epoll_event { events: 0, u64: 0 }];
        Ok(EventPoller { epoll, sources: Vec::new(), events })
    }

    /// Adds `source`, whose records go to `handler`.
    ///
    /// # Errors
    /// [`Error::Map`] when epoll refuses the source's fd.
    pub fn add<S: EventSource + 'a>(
        &mut self,
        source: S,
        mut handler: impl FnMut(Record<'_>) + 'a,
    ) -> Result<&mut Self, Error> {
        self.push(
            Box::new(source),
            Box::new(move |record| {
                handler(record);
                Ok(())
            }),
        )
    }

    /// Adds `source`, whose records are read as `T` ([`Record::read`]) and go to `handler`. A
    /// record shorter than `T` makes [`poll`](Self::poll) return the error, after the other
    /// records available were handled.
    ///
    /// # Errors
    /// [`Error::Map`] when epoll refuses the source's fd.
    pub fn add_typed<T: Pod, S: EventSource + 'a>(
        &mut self,
        source: S,
        mut handler: impl FnMut(T) + 'a,
    ) -> Result<&mut Self, Error> {
        self.push(Box::new(source), Box::new(move |record| record.read().map(&mut handler)))
    }

    fn push(&mut self, source: Box<dyn EventSource + 'a>, handler: Handler<'a>) -> Result<&mut Self, Error> {
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: self.sources.len() as u64 };
        let fd = source.as_fd().as_raw_fd();
        // SAFETY: both fds are open (the source owns its fd for as long as the poller holds
        // it); `event` is valid for the call.
        if unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
            return Err(source.map().error(Op::Poll, Errno::last()));
        }
        self.sources.push((source, handler));
        if self.events.len() < self.sources.len() {
            self.events.push(libc::epoll_event { events: 0, u64: 0 });
        }
        Ok(self)
    }

    /// The number of sources.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Waits until a source has records, or `timeout` passes (`None`: forever), then hands
    /// every record available in the ready sources to their handlers; returns how many
    /// (0 on timeout).
    ///
    /// # Errors
    /// The first error of a source (the records before it were handled, the rest wait for
    /// the next call) or of a typed read (the other records were handled);
    /// [`Error::Wait`] when epoll fails.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<usize, Error> {
        // A ring buffer wakes its fd only once its consumer has caught up: give every source
        // that chance before sleeping, and skip the sleep when one has records already.
        if self.sources.iter_mut().any(|(source, _)| source.ready()) {
            return self.consume();
        }
        let ms = epoll_timeout(timeout);
        let n = loop {
            // At least 1, which `epoll_wait` requires: a poller with no sources waits out the
            // timeout.
            let capacity = self.events.len().min(i32::MAX as usize) as i32;
            // SAFETY: `events` has room for `capacity` entries.
            let n =
                unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), self.events.as_mut_ptr(), capacity, ms) };
            match usize::try_from(n) {
                Ok(n) => break n,
                Err(_) if Errno::last() == Errno::EINTR => continue,
                Err(_) => return Err(Error::Wait { errno: Errno::last() }),
            }
        };
        let mut handled = 0;
        for i in 0..n {
            let index = self.events[i].u64 as usize;
            handled += self.drain(index)?;
        }
        Ok(handled)
    }

    /// Hands every record available now, in every source, to the handlers, without waiting;
    /// returns how many.
    ///
    /// # Errors
    /// As [`poll`](Self::poll).
    pub fn consume(&mut self) -> Result<usize, Error> {
        let mut handled = 0;
        for index in 0..self.sources.len() {
            handled += self.drain(index)?;
        }
        Ok(handled)
    }

    fn drain(&mut self, index: usize) -> Result<usize, Error> {
        let Some((source, handler)) = self.sources.get_mut(index) else { return Ok(0) };
        // A handler's error (a typed read of a short record) is kept, and the records after
        // it still go to the handler: one bad record does not hold up the rest.
        let mut failed = None;
        let handled = source.consume_dyn(&mut |record| {
            if let Err(e) = handler(record) {
                failed.get_or_insert(e);
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(handled),
        }
    }
}

/// `timeout` as `epoll_wait` counts it: milliseconds, rounded up (so that a wait shorter than a
/// millisecond still waits), at most `i32::MAX`; -1 (forever) for `None`.
pub(crate) fn epoll_timeout(timeout: Option<Duration>) -> i32 {
    timeout.map_or(-1, |t| t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32)
}

impl AsFd for EventPoller<'_> {
    /// The epoll fd: readable when a source has records.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

impl core::fmt::Debug for EventPoller<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|(source, _)| source.map().name()).collect();
        f.debug_struct("EventPoller").field("sources", &names).finish()
    }
}
