//! Per-CPU maps: `PerCpuValues`, `PerCpuHashMap` and `PerCpuArray`.
//!
//! The kernel copies a per-CPU value as one slot per *possible* CPU (not online), each slot
//! `round_up(value_size, 8)` bytes, in both directions; the count comes from
//! [`possible_cpus`](crate::possible_cpus), which fails rather than guess. Each handle reads
//! it once when it is made, and every buffer it gives the kernel is checked to hold that many
//! slots first.

use super::MapRef;
use core::fmt;
use core::marker::PhantomData;

use super::batch::{Buf, Decode, Drain, EntrySource, next_entry, write_batch};
use super::{Keys, Types, Update, check_shape};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::pod::slice_bytes;
use crate::rules::Family;
use crate::sys::{self, Batch};
use crate::{Error, Map, Pod};

/// One value of type `V` per possible CPU, as per-CPU maps store them.
///
/// ```
/// use bpfmap::PerCpuValues;
/// let values = PerCpuValues::<u64>::from_fn(|cpu| cpu as u64 + 1)?;
/// assert_eq!(values.len(), bpfmap::possible_cpus()?);
/// assert_eq!(values.get(0), Some(1));
/// let total: u64 = values.iter().sum();
/// assert!(total >= 1);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuValues<V> {
    buf: Buf,
    cpus: usize,
    _value: PhantomData<V>,
}

impl<V: Pod> PerCpuValues<V> {
    /// The bytes between two CPUs' values: the value's size rounded up to 8.
    pub const STRIDE: usize = size_of::<V>().next_multiple_of(8);

    /// Zeroed values, one per possible CPU of this host.
    ///
    /// # Errors
    /// [`Error::PossibleCpus`] if the number of possible CPUs cannot be read.
    pub fn zeroed() -> Result<PerCpuValues<V>, Error> {
        Ok(PerCpuValues::for_cpus(crate::possible_cpus()?))
    }

    /// `value` on every CPU.
    ///
    /// # Errors
    /// As [`zeroed`](Self::zeroed).
    pub fn splat(value: V) -> Result<PerCpuValues<V>, Error> {
        PerCpuValues::from_fn(|_| value)
    }

    /// `f(cpu)` on each CPU.
    ///
    /// # Errors
    /// As [`zeroed`](Self::zeroed).
    pub fn from_fn(mut f: impl FnMut(usize) -> V) -> Result<PerCpuValues<V>, Error> {
        let mut values = PerCpuValues::zeroed()?;
        for cpu in 0..values.cpus {
            values.set(cpu, f(cpu));
        }
        Ok(values)
    }

    /// Zeroed values for `cpus` CPUs.
    pub(crate) fn for_cpus(cpus: usize) -> PerCpuValues<V> {
        let mut values = PerCpuValues { buf: Buf::default(), cpus: 0, _value: PhantomData };
        values.resize(cpus);
        values
    }

    /// Makes room for `cpus` values (kept where they were, zero where new).
    pub(crate) fn resize(&mut self, cpus: usize) {
        self.buf.ensure(cpus * Self::STRIDE);
        self.cpus = cpus;
    }

    /// The number of possible CPUs.
    pub fn len(&self) -> usize {
        self.cpus
    }

    /// Whether there are no CPUs (never, on a running kernel).
    pub fn is_empty(&self) -> bool {
        self.cpus == 0
    }

    /// The value of CPU `cpu`.
    pub fn get(&self, cpu: usize) -> Option<V> {
        let slot = self.bytes().get(cpu * Self::STRIDE..)?;
        crate::pod::read_from(slot)
    }

    /// Sets the value of CPU `cpu`; ignored past the last CPU.
    pub fn set(&mut self, cpu: usize, value: V) {
        if cpu < self.cpus {
            let at = cpu * Self::STRIDE;
            self.buf.bytes_mut()[at..at + size_of::<V>()].copy_from_slice(bytes_of(&value));
        }
    }

    /// The values, CPU 0 first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = V> + '_ {
        (0..self.cpus).map(|cpu| self.get(cpu).expect("cpu < len"))
    }

    /// Values for `cpus` CPUs copied from `bytes` (`cpus` slots of STRIDE bytes, as batches
    /// return them).
    pub(crate) fn from_bytes(bytes: &[u8], cpus: usize) -> PerCpuValues<V> {
        let mut values = PerCpuValues::for_cpus(cpus);
        let n = bytes.len().min(cpus * Self::STRIDE);
        values.buf.bytes_mut()[..n].copy_from_slice(&bytes[..n]);
        values
    }

    /// The `cpus` slots, as the kernel reads them.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf.bytes()[..self.cpus * Self::STRIDE]
    }

    /// The start of the `cpus` slots, for the kernel to read.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.bytes().as_ptr()
    }

    /// The start of the `cpus` slots, for the kernel to write.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.buf.ptr()
    }
}

/// A per-CPU handle's promise to the kernel: it was made for `cpus` possible CPUs, and every
/// buffer it passes holds that many slots.
pub(crate) fn check_cpus<V: Pod>(map: &Map, cpus: usize, values: &PerCpuValues<V>) -> Result<(), Error> {
    if values.cpus == cpus {
        return Ok(());
    }
    Err(Error::Mismatch {
        map: map.label(),
        what: format!("values for {} CPUs, but this host has {cpus} possible CPUs", values.cpus),
    })
}

impl<V: Pod> Clone for PerCpuValues<V> {
    fn clone(&self) -> Self {
        PerCpuValues { buf: Buf(self.buf.0.clone()), cpus: self.cpus, _value: PhantomData }
    }
}

impl<V: Pod + fmt::Debug> fmt::Debug for PerCpuValues<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<V: Pod + PartialEq> PartialEq for PerCpuValues<V> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// A `percpu_hash` or `lru_percpu_hash` map: keys `K`, one `V` per possible CPU.
///
/// ```no_run
/// use bpfmap::{bpf_map, PerCpuValues, Update};
///
/// #[bpf_map(type = "percpu_hash", max_entries = 64)]
/// struct Hits { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let hits = maps.get::<Hits>();
/// hits.insert(&1, &PerCpuValues::splat(0)?, Update::Any)?;
/// let mut values = PerCpuValues::zeroed()?;
/// if hits.get_into(&1, &mut values)? {       // no allocation
///     let total: u64 = values.iter().sum();
///     println!("{total} hits");
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuHashMap<'m, K, V> {
    map: MapRef<'m>,
    cpus: usize,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> PerCpuHashMap<'m, K, V> {
    /// The handle of `map`, which must be a per-CPU hash with `K`-sized keys and `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs; [`Error::PossibleCpus`] if the number of
    /// possible CPUs cannot be read.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<PerCpuHashMap<'m, K, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<K, V>(&map, &[Family::PerCpuHash], "PerCpuHashMap")?;
        Ok(PerCpuHashMap { map, cpus: crate::possible_cpus()?, _types: Types::default() })
    }

    /// The values at `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::for_cpus(self.cpus);
        Ok(self.get_into(key, &mut values)?.then_some(values))
    }

    /// Reads the values at `key` into `values`, reusing its buffer; `false` if absent.
    pub fn get_into(&self, key: &K, values: &mut PerCpuValues<V>) -> Result<bool, Error> {
        values.resize(self.cpus);
        // SAFETY: `key` is a whole K (the map's key size); `values` now holds one STRIDE-sized
        // slot for each of the `cpus` possible CPUs this handle was made for.
        unsafe { sys::lookup(self.map.fd(), bytes_of(key).as_ptr(), values.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))
    }

    /// Writes `values` (one per possible CPU) at `key`, as `update` allows.
    pub fn insert(&self, key: &K, values: &PerCpuValues<V>, update: Update) -> Result<(), Error> {
        check_cpus(&self.map, self.cpus, values)?;
        // SAFETY: `key` is a whole K; `values` holds `cpus` slots (`check_cpus`).
        unsafe { sys::update(self.map.fd(), bytes_of(key).as_ptr(), values.as_ptr(), update.flags()) }
            .map_err(|errno| self.map.error(Op::Update(update), errno))
    }

    /// Deletes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: `key` is a whole K.
        unsafe { sys::delete(self.map.fd(), bytes_of(key).as_ptr()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }

    /// Takes the values at `key` out of the map; `None` if absent.
    pub fn get_and_remove(&self, key: &K) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::for_cpus(self.cpus);
        // SAFETY: `key` is a whole K; `values` holds one slot per possible CPU.
        let found =
            unsafe { sys::lookup_and_delete(self.map.fd(), bytes_of(key).as_ptr(), values.as_mut_ptr(), 0) }
                .map_err(|errno| self.map.error(Op::LookupAndDelete, errno))?;
        Ok(found.then_some(values))
    }

    /// Writes `values[i]` at `keys[i]` for every `i` (`BPF_MAP_UPDATE_BATCH`); returns how many.
    /// As [`HashMap::insert_batch`](crate::HashMap::insert_batch), [`Update::NoExist`] and
    /// [`Update::Exist`] write pair by pair.
    pub fn insert_batch(
        &self,
        keys: &[K],
        values: &[PerCpuValues<V>],
        update: Update,
    ) -> Result<usize, Error> {
        super::hash::check_lengths(&self.map, keys.len(), values.len())?;
        let flat = self.flatten(values)?;
        write_batch(&self.map, Batch::Update, slice_bytes(keys), Some(&flat), update, 0)
    }

    /// Deletes every key of `keys` (`BPF_MAP_DELETE_BATCH`); returns how many. The kernel
    /// stops at the first key that is absent, as in
    /// [`HashMap::remove_batch`](crate::HashMap::remove_batch).
    pub fn remove_batch(&self, keys: &[K]) -> Result<usize, Error> {
        write_batch(&self.map, Batch::Delete, slice_bytes(keys), None, Update::Any, 0)
    }

    /// Takes every entry out of the map, in batches (see [`HashMap::drain`](crate::HashMap::drain)).
    pub fn drain(&self) -> PerCpuDrain<'m, K, V> {
        PerCpuDrain(Drain::new(self.map.clone(), 0, PerCpuDecode::new(self.cpus)))
    }

    /// Deletes every entry.
    pub fn clear(&self) -> Result<(), Error> {
        self.drain().try_for_each(|entry| entry.map(drop))
    }

    /// The keys.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }

    /// The entries, read in batches.
    pub fn iter(&self) -> PerCpuIter<'m, K, V> {
        PerCpuIter {
            source: EntrySource::new(self.map.clone(), 0),
            map: self.map.clone(),
            decode: PerCpuDecode::new(self.cpus),
        }
    }

    /// Per-CPU buffers side by side, as batches take them, each checked to hold `cpus` slots.
    fn flatten(&self, values: &[PerCpuValues<V>]) -> Result<Vec<u8>, Error> {
        flatten(&self.map, self.cpus, values)
    }
}

/// Per-CPU buffers side by side, as batches take them, each checked to hold `cpus` slots.
fn flatten<V: Pod>(map: &Map, cpus: usize, values: &[PerCpuValues<V>]) -> Result<Vec<u8>, Error> {
    let mut flat = Vec::with_capacity(values.len() * cpus * PerCpuValues::<V>::STRIDE);
    for v in values {
        check_cpus(map, cpus, v)?;
        flat.extend_from_slice(v.bytes());
    }
    Ok(flat)
}

/// The entries taken out of a per-CPU hash by [`PerCpuHashMap::drain`]: each key with its
/// values on every possible CPU.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "percpu_hash", max_entries = 1024)]
/// struct Bytes { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// for entry in maps.get::<Bytes>().drain() {
///     let (port, per_cpu) = entry?;
///     println!("{port}: {}", per_cpu.iter().sum::<u64>());
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuDrain<'m, K, V>(Drain<'m, PerCpuDecode<K, V>>);

impl<K: Pod, V: Pod> Iterator for PerCpuDrain<'_, K, V> {
    type Item = Result<(K, PerCpuValues<V>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// A `percpu_array` map: one `V` per possible CPU at each `u32` index.
///
/// ```no_run
/// use bpfmap::{bpf_map, PerCpuValues};
///
/// #[bpf_map(type = "percpu_array", max_entries = 4)]
/// struct Latency { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let latency = maps.get::<Latency>();
/// latency.set(1, &PerCpuValues::from_fn(|cpu| cpu as u64)?)?;
/// let per_cpu = latency.get(1)?.expect("index 1 exists");
/// assert_eq!(per_cpu.get(0), Some(0));
/// println!("sum over CPUs: {}", per_cpu.iter().sum::<u64>());
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuArray<'m, V> {
    map: MapRef<'m>,
    cpus: usize,
    _types: Types<u32, V>,
}

impl<'m, V: Pod> PerCpuArray<'m, V> {
    /// The handle of `map`, which must be a `percpu_array` of `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs; [`Error::PossibleCpus`] if the number of
    /// possible CPUs cannot be read.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<PerCpuArray<'m, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<u32, V>(&map, &[Family::PerCpuArray], "PerCpuArray")?;
        Ok(PerCpuArray { map, cpus: crate::possible_cpus()?, _types: Types::default() })
    }

    /// The number of indexes: `max_entries`.
    pub fn len(&self) -> u32 {
        self.map.def().max_entries
    }

    /// Whether there are none (never).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `index`, or `None` past the end.
    pub fn get(&self, index: u32) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::for_cpus(self.cpus);
        Ok(self.get_into(index, &mut values)?.then_some(values))
    }

    /// Reads the values at `index` into `values`, reusing its buffer; `false` past the end.
    pub fn get_into(&self, index: u32, values: &mut PerCpuValues<V>) -> Result<bool, Error> {
        values.resize(self.cpus);
        // SAFETY: the key is a u32 (the map's key size); `values` now holds one slot for each
        // of the `cpus` possible CPUs this handle was made for.
        unsafe { sys::lookup(self.map.fd(), bytes_of(&index).as_ptr(), values.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))
    }

    /// Writes `values` at `index`.
    pub fn set(&self, index: u32, values: &PerCpuValues<V>) -> Result<(), Error> {
        check_cpus(&self.map, self.cpus, values)?;
        // SAFETY: the key is a u32; `values` holds `cpus` slots (`check_cpus`).
        unsafe { sys::update(self.map.fd(), bytes_of(&index).as_ptr(), values.as_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Update(Update::Any), errno))
    }

    /// Writes `values[i]` at `indexes[i]` for every `i` (`BPF_MAP_UPDATE_BATCH`); returns how many.
    pub fn set_batch(&self, indexes: &[u32], values: &[PerCpuValues<V>]) -> Result<usize, Error> {
        super::hash::check_lengths(&self.map, indexes.len(), values.len())?;
        let flat = flatten(&self.map, self.cpus, values)?;
        write_batch(&self.map, Batch::Update, slice_bytes(indexes), Some(&flat), Update::Any, 0)
    }

    /// Every `(index, values)`, read in batches.
    pub fn iter(&self) -> PerCpuIter<'m, u32, V> {
        PerCpuIter {
            source: EntrySource::new(self.map.clone(), 0),
            map: self.map.clone(),
            decode: PerCpuDecode::new(self.cpus),
        }
    }
}

/// The entries of a per-CPU map: each key with its values on every possible CPU.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "percpu_array", max_entries = 4)]
/// struct Drops { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// for entry in maps.get::<Drops>().iter() {
///     let (reason, per_cpu) = entry?;
///     println!("reason {reason}: {} drops", per_cpu.iter().sum::<u64>());
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuIter<'m, K, V> {
    source: EntrySource<'m, K>,
    map: MapRef<'m>,
    decode: PerCpuDecode<K, V>,
}

struct PerCpuDecode<K, V> {
    cpus: usize,
    _types: Types<K, V>,
}

impl<K, V> PerCpuDecode<K, V> {
    fn new(cpus: usize) -> Self {
        PerCpuDecode { cpus, _types: Types::default() }
    }
}

impl<'m, K: Pod, V: Pod> Decode<'m> for PerCpuDecode<K, V> {
    type Item = (K, PerCpuValues<V>);

    fn decode(&mut self, key: &[u8], value: &[u8]) -> Option<Self::Item> {
        Some((crate::pod::read_from(key)?, PerCpuValues::from_bytes(value, self.cpus)))
    }

    fn lookup(&mut self, map: &Map, key: &[u8]) -> Option<Result<Self::Item, Error>> {
        let mut values = PerCpuValues::for_cpus(self.cpus);
        // SAFETY: `key` holds a whole key of the map (read back from it by `Keys`); `values`
        // holds `cpus` slots of round_up(size_of::<V>(), 8) bytes, and V is the map's value
        // size (`check_shape` in the constructor of the handle that made this decoder).
        match unsafe { sys::lookup(map.fd(), key.as_ptr(), values.as_mut_ptr(), 0) } {
            Ok(true) => Some(crate::pod::read_from(key).map(|key| (key, values)).ok_or_else(|| {
                Error::Mismatch { map: map.label(), what: "a key shorter than `K`".to_string() }
            })),
            Ok(false) => None,
            Err(errno) => Some(Err(map.error(Op::Lookup, errno))),
        }
    }
}

impl<K: Pod, V: Pod> Iterator for PerCpuIter<'_, K, V> {
    type Item = Result<(K, PerCpuValues<V>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.source, &self.map, &mut self.decode)
    }
}

super::common::handle_common!(PerCpuHashMap<K, V>, PerCpuArray<V>);
