//! `Record`: one event, borrowed from the ring that holds it, readable as any `Pod` type.

use core::fmt;
use core::ops::Deref;

use crate::error::RingProblem;
use crate::pod::read_from;
use crate::{Error, Map, Pod};

/// One record of a ring buffer or a perf buffer, borrowed from the ring until the next record
/// is asked for.
///
/// It derefs to its bytes; [`read`](Record::read) copies it into any [`Pod`] type after a
/// length check, and [`prefix`](Record::prefix) splits a `header + payload` record. Nothing
/// here needs `unsafe`: a record shorter than the type asked for is an [`Error`] that names
/// both sizes.
///
/// ```no_run
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Debug, Pod)]
/// struct Exec { pid: u32, uid: u32, comm: [u8; 16] }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536)]
/// struct Events;
///
/// let maps = bpfmap::load()?;
/// let mut events = maps.get::<Events>().consumer()?;
/// while let Some(record) = events.next() {
///     let exec: Exec = record?.read()?;
///     println!("{} ran {}", exec.pid, String::from_utf8_lossy(&exec.comm));
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// A record is a loan: its bytes are the ring's, which the kernel may write over once the
/// reader gives their space back, on the next read or wait. So none of these compile.
///
/// Two records of one reader at once:
/// ```compile_fail,E0499
/// fn two(consumer: &mut bpfmap::RingBufConsumer<'_>) {
///     let first = consumer.next();
///     let second = consumer.next(); // gives back the first record's space
///     drop((first, second));
/// }
/// ```
/// A record held while the reader waits (which gives back the space read so far):
/// ```compile_fail,E0502
/// fn held(reader: &mut bpfmap::PerfBufferReader<'_>) {
///     let record = reader.next();
///     let _ = reader.wait(None);
///     drop(record);
/// }
/// ```
/// A record kept past the callback it was lent to:
/// ```compile_fail,E0521
/// fn kept(consumer: &mut bpfmap::RingBufConsumer<'_>) {
///     let mut kept = None;
///     let _ = consumer.consume(|record| kept = Some(record));
///     drop(kept);
/// }
/// ```
/// A record that outlives its reader:
/// ```compile_fail,E0597
/// fn outlives(map: &bpfmap::Map) -> Vec<u8> {
///     let record;
///     {
///         let mut consumer = bpfmap::RingBuf::new(map).unwrap().consumer().unwrap();
///         record = consumer.next().unwrap().unwrap();
///     }
///     record.to_vec()
/// }
/// ```
/// And no reader but bpfmap's is an [`EventSource`](crate::EventSource), whose fd the async
/// readers register with tokio, trusting it to stay the same:
/// ```compile_fail,E0277
/// struct Mine(std::os::fd::OwnedFd);
/// impl std::os::fd::AsFd for Mine {
///     fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
///         self.0.as_fd()
///     }
/// }
/// impl bpfmap::EventSource for Mine {
///     fn next_record(&mut self) -> Option<Result<bpfmap::Record<'_>, bpfmap::Error>> {
///         None
///     }
///     fn ready(&mut self) -> bool {
///         false
///     }
///     fn map(&self) -> &bpfmap::Map {
///         unimplemented!()
///     }
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Record<'a> {
    bytes: &'a [u8],
    map: &'a Map,
    cpu: Option<u32>,
}

impl<'a> Record<'a> {
    pub(crate) fn new(bytes: &'a [u8], map: &'a Map, cpu: Option<u32>) -> Record<'a> {
        Record { bytes, map, cpu }
    }

    /// The record's bytes, for as long as the record is lent.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The CPU whose perf buffer held the record; `None` for a ring buffer, which all CPUs
    /// share.
    pub fn cpu(&self) -> Option<u32> {
        self.cpu
    }

    /// The map the record came from.
    pub fn map(&self) -> &'a Map {
        self.map
    }

    /// The record as a `T`, copied from its first `size_of::<T>()` bytes (no alignment is
    /// needed). Bytes past them are ignored: a perf buffer pads its records to 8 bytes, and a
    /// program may append data; [`prefix`](Self::prefix) returns them.
    ///
    /// ```
    /// # use bpfmap::{Pod, Record};
    /// # fn show(record: Record<'_>) -> Result<(), bpfmap::Error> {
    /// #[repr(C)]
    /// #[derive(Clone, Copy, Pod)]
    /// struct Sample { pid: u32, bytes: u32 }
    ///
    /// let sample: Sample = record.read()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Ring`] with [`RingProblem::TooShort`] when the record has fewer bytes than `T`.
    pub fn read<T: Pod>(&self) -> Result<T, Error> {
        read_from(self.bytes).ok_or_else(|| self.too_short::<T>())
    }

    /// A `header + payload` record: its first `size_of::<H>()` bytes as an `H`, and the bytes
    /// after them.
    ///
    /// ```
    /// # use bpfmap::{Pod, Record};
    /// # fn show(record: Record<'_>) -> Result<(), bpfmap::Error> {
    /// #[repr(C)]
    /// #[derive(Clone, Copy, Pod)]
    /// struct Header { kind: u32, len: u32 }
    ///
    /// let (header, payload) = record.prefix::<Header>()?;
    /// let payload = payload.get(..header.len as usize).unwrap_or(payload);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Ring`] with [`RingProblem::TooShort`] when the record has fewer bytes than `H`.
    pub fn prefix<H: Pod>(&self) -> Result<(H, &'a [u8]), Error> {
        let header = self.read::<H>()?;
        Ok((header, &self.bytes[size_of::<H>()..]))
    }

    fn too_short<T>(&self) -> Error {
        Error::Ring {
            map: self.map.label(),
            problem: RingProblem::TooShort {
                type_name: core::any::type_name::<T>(),
                needed: size_of::<T>(),
                found: self.bytes.len(),
            },
        }
    }
}

impl Deref for Record<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

impl AsRef<[u8]> for Record<'_> {
    fn as_ref(&self) -> &[u8] {
        self.bytes
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Record");
        d.field("map", &self.map.name()).field("len", &self.bytes.len());
        if let Some(cpu) = self.cpu {
            d.field("cpu", &cpu);
        }
        d.field("bytes", &self.bytes).finish()
    }
}
