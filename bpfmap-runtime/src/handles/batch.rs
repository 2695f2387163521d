//! `Entries`: a map's entries read with `BPF_MAP_LOOKUP_BATCH`, chunk by chunk into buffers
//! that are reused, or key by key where the kernel has no batch operations.

use super::MapRef;
use super::{Keys, Update};
use crate::error::Op;
use crate::pod::read_from;
use crate::sys::{self, Batch};
use crate::{Errno, Error, Map, Pod};

/// Aligned bytes that grow but are never shrunk: the batch buffers.
#[derive(Default, Clone)]
pub(crate) struct Buf(pub(crate) Vec<u64>);

impl Buf {
    pub(crate) fn ensure(&mut self, bytes: usize) {
        let words = bytes.div_ceil(8);
        if self.0.len() < words {
            self.0.resize(words, 0);
        }
    }

    #[inline]
    pub(crate) fn ptr(&mut self) -> *mut u8 {
        self.0.as_mut_ptr() as *mut u8
    }

    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: a Vec<u64>'s storage is `len * 8` initialized bytes; u8 has alignment 1.
        unsafe { core::slice::from_raw_parts(self.0.as_ptr() as *const u8, self.0.len() * 8) }
    }

    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; the borrow of `self` is unique, and any bytes are a valid u64.
        unsafe { core::slice::from_raw_parts_mut(self.0.as_mut_ptr() as *mut u8, self.0.len() * 8) }
    }
}

/// The bytes the kernel copies for each value of `map`: its value size, or for a per-CPU map
/// one 8-byte-aligned slot per possible CPU. Buffers are sized from the map's own definition
/// and the kernel's CPU count, never from a handle's types, which are read out of them with
/// checks.
pub(crate) fn kernel_value_size(map: &Map) -> Result<usize, Error> {
    use crate::rules::Family::{PerCpuArray, PerCpuCgroupStorage, PerCpuHash};
    let value_size = map.def().value_size as usize;
    match map.def().map_type.rules().map(|r| r.family) {
        Some(PerCpuHash | PerCpuArray | PerCpuCgroupStorage) => {
            Ok(value_size.next_multiple_of(8) * crate::possible_cpus()?)
        }
        _ => Ok(value_size),
    }
}

/// Aim for batches of about this many bytes: large enough that syscalls are rare, small enough
/// to stay in cache.
const BATCH_BYTES: usize = 256 << 10;

/// The key and value bytes of one entry; `Err(None)` when the kernel has no batch operations.
pub(crate) type RawEntry<'a> = Result<(&'a [u8], &'a [u8]), Option<Error>>;

/// Reads the raw entries of a hash- or array-like map in batches.
pub(crate) struct BatchReader<'m> {
    map: MapRef<'m>,
    key_size: usize,
    /// Bytes per value as the kernel copies it (per-CPU maps: one 8-byte-aligned slot per CPU).
    value_size: usize,
    keys: Buf,
    values: Buf,
    /// The kernel's resume token: the input of the next call, and the output of this one.
    tokens: [Buf; 2],
    cap: u32,
    len: u32,
    pos: u32,
    started: bool,
    last: bool,
    delete: bool,
    /// `BPF_F_LOCK`, or 0.
    elem_flags: u64,
    /// Why the reader cannot size its buffers (the CPU count of a per-CPU map is unknown),
    /// reported by the first `next`.
    broken: Option<Error>,
}

impl<'m> BatchReader<'m> {
    /// A reader of `map`'s entries (taking them out with `delete`).
    /// `elem_flags` is `BPF_F_LOCK` for values read under their lock, else 0.
    pub(crate) fn new(map: MapRef<'m>, delete: bool, elem_flags: u64) -> BatchReader<'m> {
        let key_size = map.def().key_size as usize;
        let (value_size, broken) = match kernel_value_size(&map) {
            Ok(size) => (size, None),
            Err(e) => (0, Some(e)),
        };
        let per_entry = (key_size + value_size).max(1);
        let cap = (BATCH_BYTES / per_entry).max(16).min(map.def().max_entries.max(1) as usize) as u32;
        BatchReader {
            map,
            key_size,
            value_size,
            keys: Buf::default(),
            values: Buf::default(),
            tokens: [Buf::default(), Buf::default()],
            cap,
            len: 0,
            pos: 0,
            started: false,
            last: false,
            delete,
            elem_flags,
            broken,
        }
    }

    /// The next entry's key and value bytes; `Err(None)` when the kernel has no batch
    /// operations for this map (the caller falls back to keys).
    #[inline]
    pub(crate) fn next(&mut self) -> Option<RawEntry<'_>> {
        while self.pos >= self.len {
            if self.last {
                return None;
            }
            if let Err(e) = self.fill() {
                self.last = true;
                self.len = 0;
                return Some(Err(e));
            }
        }
        let i = self.pos as usize;
        self.pos += 1;
        let key = &self.keys.bytes()[i * self.key_size..(i + 1) * self.key_size];
        let value = &self.values.bytes()[i * self.value_size..(i + 1) * self.value_size];
        Some(Ok((key, value)))
    }

    /// Writes the entries of the current batch not handed out yet back into the map, for a
    /// drain (whose batch the kernel deleted whole) dropped part way. Best effort: it runs in
    /// `drop`, where an error cannot be reported, and skips keys that exist again.
    fn put_back_unread(&mut self) {
        if !self.delete {
            return;
        }
        let (keys, values) = (self.keys.bytes(), self.values.bytes());
        for i in self.pos as usize..self.len as usize {
            let key = &keys[i * self.key_size..(i + 1) * self.key_size];
            let value = &values[i * self.value_size..(i + 1) * self.value_size];
            // SAFETY: a whole key and a whole value of the sizes the kernel copies for this map
            // (the sizes this reader's batches were read with).
            let _ = unsafe {
                sys::update(
                    self.map.fd(),
                    key.as_ptr(),
                    value.as_ptr(),
                    Update::NoExist.flags() | self.elem_flags,
                )
            };
        }
        self.pos = self.len;
    }

    // Once per batch: kept out of line so that `next` stays small.
    #[inline(never)]
    fn fill(&mut self) -> Result<(), Option<Error>> {
        if let Some(e) = self.broken.take() {
            return Err(Some(e));
        }
        loop {
            let cap = self.cap as usize;
            self.keys.ensure(cap * self.key_size);
            self.values.ensure(cap * self.value_size);
            // Hash tables resume from a u32 bucket index, arrays from a key.
            let token = self.key_size.max(8);
            self.tokens[0].ensure(token);
            self.tokens[1].ensure(token);
            let [input, output] = &mut self.tokens;
            let in_batch = if self.started { input.ptr() as *const u8 } else { core::ptr::null() };
            let op = if self.delete { Batch::LookupAndDelete } else { Batch::Lookup };
            // SAFETY: the token buffers hold max(key size, 8) bytes; `keys` and `values` hold
            // `cap` keys and values of the sizes the kernel copies.
            let result = unsafe {
                sys::batch(
                    self.map.fd(),
                    op,
                    in_batch,
                    output.ptr(),
                    self.keys.ptr(),
                    self.values.ptr(),
                    self.cap,
                    self.elem_flags,
                )
            };
            match result {
                Ok((count, last)) => {
                    core::mem::swap(input, output);
                    self.started = true;
                    self.last = last;
                    self.len = count;
                    self.pos = 0;
                    return Ok(());
                }
                // A hash bucket holds more entries than the buffer: grow it and retry.
                Err((Errno::ENOSPC, _)) if self.cap < u32::MAX / 2 => self.cap *= 2,
                Err((Errno::EINVAL | Errno::ENOTSUPP | Errno::EOPNOTSUPP, _)) if !self.started => {
                    return Err(None);
                }
                Err((errno, _)) => return Err(Some(self.map.error_with(Op::Lookup, errno, self.elem_flags))),
            }
        }
    }
}

/// Typed entries: batches where the kernel has them, else keys and lookups, bounded.
pub(crate) enum EntrySource<'m, K> {
    Batch(BatchReader<'m>),
    Keys(Keys<'m, K>),
}

impl<'m, K: Pod> EntrySource<'m, K> {
    /// The entries of `map`, read with `elem_flags` (`BPF_F_LOCK` or 0).
    pub(crate) fn new(map: MapRef<'m>, elem_flags: u64) -> EntrySource<'m, K> {
        EntrySource::Batch(BatchReader::new(map, false, elem_flags))
    }
}

/// What an iterator does with the bytes of one entry.
pub(crate) trait Decode<'m> {
    type Item;
    /// From a batch: `None` if the bytes are too short for the decoder's types, which the
    /// handles' constructors rule out.
    fn decode(&mut self, key: &[u8], value: &[u8]) -> Option<Self::Item>;
    /// From the key-by-key fallback: `None` when the key vanished before its value was read.
    fn lookup(&mut self, map: &Map, key: &[u8]) -> Option<Result<Self::Item, Error>>;
}

/// Drives an [`EntrySource`] with a [`Decode`].
pub(crate) fn next_entry<'m, K: Pod, D: Decode<'m>>(
    source: &mut EntrySource<'m, K>,
    map: &MapRef<'m>,
    decode: &mut D,
) -> Option<Result<D::Item, Error>> {
    loop {
        match source {
            EntrySource::Batch(reader) => match reader.next()? {
                Ok((key, value)) => return Some(decoded(map, decode.decode(key, value))),
                Err(Some(e)) => return Some(Err(e)),
                Err(None) => *source = EntrySource::Keys(Keys::new(map.clone())),
            },
            EntrySource::Keys(keys) => {
                let key = match keys.next()? {
                    Ok(key) => key,
                    Err(e) => return Some(Err(e)),
                };
                if let Some(item) = decode.lookup(map, crate::pod::bytes_of(&key)) {
                    return Some(item);
                }
            }
        }
    }
}

/// A decoded entry, or the error for bytes too short for the decoder's types.
fn decoded<T>(map: &Map, item: Option<T>) -> Result<T, Error> {
    item.ok_or_else(|| Error::Mismatch {
        map: map.label(),
        what: "an entry shorter than the handle's key and value types".to_string(),
    })
}

/// Decodes a plain (not per-CPU) key and value.
pub(crate) struct PlainDecode<K, V> {
    /// The value of the key-by-key fallback, read into the map's own value size.
    value: Buf,
    _types: super::Types<K, V>,
}

impl<K, V> Default for PlainDecode<K, V> {
    fn default() -> Self {
        PlainDecode { value: Buf::default(), _types: super::Types::default() }
    }
}

impl<'m, K: Pod, V: Pod> Decode<'m> for PlainDecode<K, V> {
    type Item = (K, V);

    #[inline]
    fn decode(&mut self, key: &[u8], value: &[u8]) -> Option<(K, V)> {
        Some((read_from(key)?, read_from(value)?))
    }

    fn lookup(&mut self, map: &Map, key: &[u8]) -> Option<Result<(K, V), Error>> {
        // A buffer of the map's own value size, whatever V is: the kernel writes exactly that.
        self.value.ensure(map.def().value_size as usize);
        // SAFETY: `key` holds a whole key of the map (read back from it by `Keys`), and `value`
        // has room for the map's value size (`ensure` above).
        match unsafe { sys::lookup(map.fd(), key.as_ptr(), self.value.ptr(), super::lock_flag::<V>()) } {
            Ok(true) => Some(decoded(map, read_from(key).zip(read_from(self.value.bytes())))),
            Ok(false) => None,
            Err(errno) => Some(Err(map.error_with(Op::Lookup, errno, super::lock_flag::<V>()))),
        }
    }
}

/// `BPF_MAP_UPDATE_BATCH` / `BPF_MAP_DELETE_BATCH` over `keys` (and `values`, as many bytes
/// each as the kernel copies per value: see [`kernel_value_size`]); returns how many the kernel
/// processed.
///
/// The kernel's batch commands take no `BPF_NOEXIST`/`BPF_EXIST` in `elem_flags` (they accept
/// only `BPF_F_LOCK` and refuse the rest with `EINVAL`), so an update with either policy is
/// written element by element with `BPF_MAP_UPDATE_ELEM`, stopping at the first refusal as a
/// batch would.
///
/// # Errors
/// [`Error::Batch`] with the count the kernel processed before it failed; [`Error::Mismatch`]
/// if the buffers do not hold whole keys and values of the map's sizes (nothing is sent).
///
pub(crate) fn write_batch(
    map: &Map,
    op: Batch,
    keys: &[u8],
    values: Option<&[u8]>,
    update: Update,
    elem_flags: u64,
) -> Result<usize, Error> {
    let key_size = map.def().key_size as usize;
    let value_size = kernel_value_size(map)?;
    let count = keys.len().checked_div(key_size).unwrap_or(0);
    let whole = keys.len() == count * key_size && values.is_none_or(|v| v.len() == count * value_size);
    if key_size == 0 || !whole {
        return Err(Error::Mismatch {
            map: map.label(),
            what: format!(
                "a batch of {} key bytes and {:?} value bytes, for keys of {key_size} and values of {value_size} bytes",
                keys.len(),
                values.map(<[u8]>::len)
            ),
        });
    }
    let values = values.map_or(core::ptr::null(), <[u8]>::as_ptr);
    let batch_op = match op {
        Batch::Update => Op::Update(update),
        _ => Op::Batch,
    };
    if op == Batch::Update && update != Update::Any {
        for i in 0..count {
            // SAFETY: element `i` of each buffer, whose lengths hold `count` keys and values of
            // the sizes the kernel reads (checked above against `kernel_value_size`).
            unsafe {
                sys::update(
                    map.fd(),
                    keys.as_ptr().add(i * key_size),
                    values.add(i * value_size),
                    update.flags() | elem_flags,
                )
            }
            .map_err(|errno| batch_error(map, batch_op, errno, i, elem_flags))?;
        }
        return Ok(count);
    }
    let mut done = 0usize;
    // The kernel takes a u32 count; larger slices go in several calls.
    while done < count {
        let chunk = (count - done).min(u32::MAX as usize) as u32;
        // SAFETY: `done` < `count` elements into buffers that hold `count` of them.
        let (keys, values) = unsafe {
            (
                keys.as_ptr().add(done * key_size),
                if values.is_null() { values } else { values.add(done * value_size) },
            )
        };
        // SAFETY: the kernel reads `chunk` keys and values from buffers that hold them (above).
        let result = unsafe {
            sys::batch(
                map.fd(),
                op,
                core::ptr::null(),
                core::ptr::null_mut(),
                keys as *mut u8,
                values as *mut u8,
                chunk,
                elem_flags,
            )
        };
        let n = match result {
            Ok((n, _)) => n,
            Err((errno, n)) => {
                return Err(batch_error(map, batch_op, errno, done + n.min(chunk) as usize, elem_flags));
            }
        };
        done += n as usize;
        if n < chunk {
            break;
        }
    }
    Ok(done)
}

/// The error of a batch write that stopped after `done` elements: the kernel's EINVAL for
/// `BPF_F_LOCK` says it knows of no lock in the map's value ([`Error::LockUnknown`]).
fn batch_error(map: &Map, op: Op, errno: Errno, done: usize, elem_flags: u64) -> Error {
    match map.error_with(op, errno, elem_flags) {
        known @ (Error::LockUnknown { .. } | Error::Access { .. }) => known,
        _ => Error::Batch { op, map: map.label(), errno, done },
    }
}

/// Takes every entry out of a hash-like map: `BPF_MAP_LOOKUP_AND_DELETE_BATCH`, or where the
/// kernel lacks it, the first key over and over (bounded by the map's capacity).
///
/// The kernel deletes a whole batch at once; the entries of that batch not yet handed out when
/// the drain is dropped are put back (`BPF_NOEXIST`: a key a program wrote again meanwhile
/// keeps its new value, and the old one is lost).
pub(crate) struct Drain<'m, D> {
    reader: Option<BatchReader<'m>>,
    map: MapRef<'m>,
    decode: D,
    fallback_left: u64,
    visited: u64,
    key: Buf,
}

impl<'m, D: Decode<'m>> Drain<'m, D> {
    /// A drain of `map`, read with `elem_flags` (`BPF_F_LOCK` or 0).
    pub(crate) fn new(map: MapRef<'m>, elem_flags: u64, decode: D) -> Drain<'m, D> {
        Drain {
            reader: Some(BatchReader::new(map.clone(), true, elem_flags)),
            fallback_left: map.def().max_entries as u64 + crate::HostLimits::current().possible_cpus as u64,
            map,
            decode,
            visited: 0,
            key: Buf::default(),
        }
    }

    pub(crate) fn next(&mut self) -> Option<Result<D::Item, Error>> {
        if let Some(reader) = &mut self.reader {
            match reader.next()? {
                Ok((key, value)) => return Some(decoded(&self.map, self.decode.decode(key, value))),
                Err(Some(e)) => return Some(Err(e)),
                Err(None) => self.reader = None,
            }
        }
        loop {
            if self.fallback_left == 0 {
                return Some(Err(Error::IterationAborted { map: self.map.label(), visited: self.visited }));
            }
            self.fallback_left -= 1;
            let key_size = self.map.def().key_size as usize;
            self.key.ensure(key_size);
            // SAFETY: `key` holds key_size bytes.
            let found = unsafe { sys::next_key(self.map.fd(), core::ptr::null(), self.key.ptr()) };
            match found {
                Ok(true) => {}
                Ok(false) => return None,
                Err(errno) => return Some(Err(self.map.error(Op::NextKey, errno))),
            }
            let key = &self.key.bytes()[..key_size];
            let item = self.decode.lookup(&self.map, key);
            // SAFETY: `key` is a whole key.
            if let Err(errno) = unsafe { sys::delete(self.map.fd(), key.as_ptr()) } {
                return Some(Err(self.map.error(Op::Delete, errno)));
            }
            if let Some(item) = item {
                self.visited += 1;
                return Some(item);
            }
        }
    }
}

impl<D> Drop for Drain<'_, D> {
    fn drop(&mut self) {
        if let Some(reader) = &mut self.reader {
            reader.put_back_unread();
        }
    }
}
