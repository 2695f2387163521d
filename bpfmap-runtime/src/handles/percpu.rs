//! Per-CPU maps: `PerCpuValues`, `PerCpuHashMap` and `PerCpuArray`.
//!
//! The kernel copies a per-CPU value as one slot per *possible* CPU (not online), each slot
//! `round_up(value_size, 8)` bytes, in both directions; the count comes from
//! `/sys/devices/system/cpu/possible`.

use core::fmt;
use core::marker::PhantomData;

use super::batch::{Buf, Decode, Drain, EntrySource, next_entry, write_batch};
use super::{Keys, Types, Update, check_shape};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::{Family, HostLimits};
use crate::sys::{self, Batch};
use crate::{Error, Map, Pod};

/// One value of type `V` per possible CPU, as per-CPU maps store them.
///
/// ```
/// use bpfmap::PerCpuValues;
/// let values = PerCpuValues::<u64>::from_fn(|cpu| cpu as u64 + 1);
/// assert_eq!(values.len(), bpfmap::HostLimits::current().possible_cpus as usize);
/// assert_eq!(values.get(0), Some(1));
/// let total: u64 = values.iter().sum();
/// assert!(total >= 1);
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
    pub fn zeroed() -> PerCpuValues<V> {
        let cpus = HostLimits::current().possible_cpus as usize;
        let mut buf = Buf::default();
        buf.ensure(cpus * Self::STRIDE);
        PerCpuValues { buf, cpus, _value: PhantomData }
    }

    /// `value` on every CPU.
    pub fn splat(value: V) -> PerCpuValues<V> {
        PerCpuValues::from_fn(|_| value)
    }

    /// `f(cpu)` on each CPU.
    pub fn from_fn(mut f: impl FnMut(usize) -> V) -> PerCpuValues<V> {
        let mut values = PerCpuValues::zeroed();
        for cpu in 0..values.cpus {
            values.set(cpu, f(cpu));
        }
        values
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
        (cpu < self.cpus).then(|| {
            let slot = &self.buf.bytes()[cpu * Self::STRIDE..];
            // SAFETY: the slot holds size_of::<V>() initialized bytes; any bytes are a valid V.
            unsafe { core::ptr::read_unaligned(slot.as_ptr() as *const V) }
        })
    }

    /// Sets the value of CPU `cpu`; ignored past the last CPU.
    pub fn set(&mut self, cpu: usize, value: V) {
        if cpu < self.cpus {
            let at = cpu * Self::STRIDE;
            let bytes = bytes_of(&value);
            // SAFETY: the buffer holds `cpus` slots of STRIDE bytes; V's bytes fit one slot.
            unsafe {
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.ptr().add(at), bytes.len());
            }
        }
    }

    /// The values, CPU 0 first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = V> + '_ {
        (0..self.cpus).map(|cpu| self.get(cpu).expect("cpu < len"))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> PerCpuValues<V> {
        let mut values = PerCpuValues::zeroed();
        let n = bytes.len().min(values.cpus * Self::STRIDE);
        // SAFETY: the buffer holds at least `n` bytes.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), values.buf.ptr(), n) };
        values
    }

    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.buf.0.as_ptr() as *const u8
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.buf.ptr()
    }
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
/// hits.insert(&1, &PerCpuValues::splat(0), Update::Any)?;
/// let mut values = PerCpuValues::zeroed();
/// if hits.get_into(&1, &mut values)? {       // no allocation
///     let total: u64 = values.iter().sum();
///     println!("{total} hits");
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuHashMap<'m, K, V> {
    map: &'m Map,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> PerCpuHashMap<'m, K, V> {
    /// The handle of `map`, which must be a per-CPU hash with `K`-sized keys and `V`-sized values.
    pub fn new(map: &'m Map) -> Result<PerCpuHashMap<'m, K, V>, Error> {
        check_shape::<K, V>(map, &[Family::PerCpuHash], "PerCpuHashMap")?;
        Ok(PerCpuHashMap::new_unchecked(map))
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> PerCpuHashMap<'m, K, V> {
        PerCpuHashMap { map, _types: Types::default() }
    }

    /// The values at `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::zeroed();
        Ok(self.get_into(key, &mut values)?.then_some(values))
    }

    /// Reads the values at `key` into `values`, reusing its buffer; `false` if absent.
    pub fn get_into(&self, key: &K, values: &mut PerCpuValues<V>) -> Result<bool, Error> {
        // SAFETY: `key` is a whole K; `values` holds one STRIDE-sized slot per possible CPU.
        unsafe { sys::lookup(self.map.fd(), bytes_of(key).as_ptr(), values.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))
    }

    /// Writes `values` (one per possible CPU) at `key`, as `update` allows.
    pub fn insert(&self, key: &K, values: &PerCpuValues<V>, update: Update) -> Result<(), Error> {
        // SAFETY: as in `get_into`.
        unsafe { sys::update(self.map.fd(), bytes_of(key).as_ptr(), values.as_ptr(), update.flags()) }
            .map_err(|errno| self.map.error(Op::Update, errno))
    }

    /// Deletes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: `key` is a whole K.
        unsafe { sys::delete(self.map.fd(), bytes_of(key).as_ptr()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }

    /// Takes the values at `key` out of the map; `None` if absent.
    pub fn get_and_remove(&self, key: &K) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::zeroed();
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
        super::hash::check_lengths(self.map, keys.len(), values.len())?;
        let flat = flatten(values);
        // SAFETY: `keys` is contiguous; `flat` holds one per-CPU buffer per key.
        unsafe {
            write_batch(
                self.map,
                Batch::Update,
                keys.as_ptr() as *const u8,
                flat.as_ptr() as *const u8,
                keys.len(),
                update.flags(),
            )
        }
    }

    /// Deletes every key of `keys` (`BPF_MAP_DELETE_BATCH`); returns how many. The kernel
    /// stops at the first key that is absent, as in
    /// [`HashMap::remove_batch`](crate::HashMap::remove_batch).
    pub fn remove_batch(&self, keys: &[K]) -> Result<usize, Error> {
        // SAFETY: a slice of Pod keys is contiguous.
        unsafe {
            write_batch(self.map, Batch::Delete, keys.as_ptr() as *const u8, core::ptr::null(), keys.len(), 0)
        }
    }

    /// Takes every entry out of the map, in batches.
    pub fn drain(&self) -> PerCpuDrain<'m, K, V> {
        PerCpuDrain(Drain::new(self.map, PerCpuDecode(PhantomData)))
    }

    /// Deletes every entry.
    pub fn clear(&self) -> Result<(), Error> {
        self.drain().try_for_each(|entry| entry.map(drop))
    }

    /// The keys.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map)
    }

    /// The entries, read in batches.
    pub fn iter(&self) -> PerCpuIter<'m, K, V> {
        PerCpuIter {
            source: EntrySource::new(self.map, PerCpuValues::<V>::STRIDE * cpus()),
            map: self.map,
            decode: PerCpuDecode(PhantomData),
        }
    }
}

/// Per-CPU buffers side by side, as batches take them.
fn flatten<V: Pod>(values: &[PerCpuValues<V>]) -> Vec<u64> {
    values.iter().flat_map(|v| v.buf.0[..(v.cpus * PerCpuValues::<V>::STRIDE) / 8].iter().copied()).collect()
}

/// The entries taken out of a per-CPU hash by [`PerCpuHashMap::drain`].
pub struct PerCpuDrain<'m, K, V>(Drain<'m, PerCpuDecode<K, V>>);

impl<K: Pod, V: Pod> Iterator for PerCpuDrain<'_, K, V> {
    type Item = Result<(K, PerCpuValues<V>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

fn cpus() -> usize {
    HostLimits::current().possible_cpus as usize
}

/// A `percpu_array` map: one `V` per possible CPU at each `u32` index.
pub struct PerCpuArray<'m, V> {
    map: &'m Map,
    _types: Types<u32, V>,
}

impl<'m, V: Pod> PerCpuArray<'m, V> {
    /// The handle of `map`, which must be a `percpu_array` of `V`-sized values.
    pub fn new(map: &'m Map) -> Result<PerCpuArray<'m, V>, Error> {
        check_shape::<u32, V>(map, &[Family::PerCpuArray], "PerCpuArray")?;
        Ok(PerCpuArray::new_unchecked(map))
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> PerCpuArray<'m, V> {
        PerCpuArray { map, _types: Types::default() }
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
        let mut values = PerCpuValues::zeroed();
        Ok(self.get_into(index, &mut values)?.then_some(values))
    }

    /// Reads the values at `index` into `values`, reusing its buffer; `false` past the end.
    pub fn get_into(&self, index: u32, values: &mut PerCpuValues<V>) -> Result<bool, Error> {
        // SAFETY: the key is a u32; `values` holds one slot per possible CPU.
        unsafe { sys::lookup(self.map.fd(), bytes_of(&index).as_ptr(), values.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))
    }

    /// Writes `values` at `index`.
    pub fn set(&self, index: u32, values: &PerCpuValues<V>) -> Result<(), Error> {
        // SAFETY: as in `get_into`.
        unsafe { sys::update(self.map.fd(), bytes_of(&index).as_ptr(), values.as_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Update, errno))
    }

    /// Writes `values[i]` at `indexes[i]` for every `i` (`BPF_MAP_UPDATE_BATCH`); returns how many.
    pub fn set_batch(&self, indexes: &[u32], values: &[PerCpuValues<V>]) -> Result<usize, Error> {
        super::hash::check_lengths(self.map, indexes.len(), values.len())?;
        let flat = flatten(values);
        // SAFETY: `indexes` is contiguous; `flat` holds one per-CPU buffer per index.
        unsafe {
            write_batch(
                self.map,
                Batch::Update,
                indexes.as_ptr() as *const u8,
                flat.as_ptr() as *const u8,
                indexes.len(),
                0,
            )
        }
    }

    /// Every `(index, values)`, read in batches.
    pub fn iter(&self) -> PerCpuIter<'m, u32, V> {
        PerCpuIter {
            source: EntrySource::new(self.map, PerCpuValues::<V>::STRIDE * cpus()),
            map: self.map,
            decode: PerCpuDecode(PhantomData),
        }
    }
}

/// The entries of a per-CPU map.
pub struct PerCpuIter<'m, K, V> {
    source: EntrySource<'m, K>,
    map: &'m Map,
    decode: PerCpuDecode<K, V>,
}

struct PerCpuDecode<K, V>(Types<K, V>);

impl<'m, K: Pod, V: Pod> Decode<'m> for PerCpuDecode<K, V> {
    type Item = (K, PerCpuValues<V>);

    fn decode(&mut self, key: &[u8], value: &[u8]) -> Self::Item {
        // SAFETY: `key` holds a whole K; any bytes are a valid K.
        let key = unsafe { core::ptr::read_unaligned(key.as_ptr() as *const K) };
        (key, PerCpuValues::from_bytes(value))
    }

    fn lookup(&mut self, map: &'m Map, key: &[u8]) -> Option<Result<Self::Item, Error>> {
        let mut values = PerCpuValues::zeroed();
        // SAFETY: `key` is a whole key; `values` holds one slot per possible CPU.
        match unsafe { sys::lookup(map.fd(), key.as_ptr(), values.as_mut_ptr(), 0) } {
            // SAFETY: `key` holds a whole K; any bytes are a valid K.
            Ok(true) => Some(Ok((unsafe { core::ptr::read_unaligned(key.as_ptr() as *const K) }, values))),
            Ok(false) => None,
            Err(errno) => Some(Err(map.error(Op::Lookup, errno))),
        }
    }
}

impl<K: Pod, V: Pod> Iterator for PerCpuIter<'_, K, V> {
    type Item = Result<(K, PerCpuValues<V>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.source, self.map, &mut self.decode)
    }
}

super::common::handle_common!(PerCpuHashMap<K, V>, PerCpuArray<V>);
