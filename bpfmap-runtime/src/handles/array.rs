//! `ArrayMap`: typed access to `array` maps.

use super::MapRef;
use super::batch::{EntrySource, PlainDecode, next_entry, write_batch};
use super::{MmapArray, Types, Update, check_shape, elem, lock_flag};
use crate::mapped::ReadOnly;
use crate::pod::slice_bytes;
use crate::rules::Family;
use crate::sys::Batch;
use crate::{Error, Pod};

/// An `array` map of values `V`, indexed by `u32` from 0 to `max_entries - 1`.
///
/// Every index holds a value (zeroed at creation); arrays cannot delete.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "array", max_entries = 4)]
/// struct Slots { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let slots = maps.get::<Slots>();
/// slots.set(2, &40)?;
/// assert_eq!(slots.get(2)?, Some(40));
/// assert_eq!(slots.get(4)?, None); // past max_entries
/// let all: Vec<u64> = slots.iter().map(|e| e.map(|(_, v)| v)).collect::<Result<_, _>>()?;
/// assert_eq!(all, [0, 0, 40, 0]);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct ArrayMap<'m, V> {
    map: MapRef<'m>,
    _types: Types<u32, V>,
}

impl<'m, V: Pod> ArrayMap<'m, V> {
    /// The handle of `map`, which must be an `array` map of `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<ArrayMap<'m, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<u32, V>(&map, &[Family::Array], "ArrayMap")?;
        Ok(ArrayMap { map, _types: Types::default() })
    }

    /// The number of slots: `max_entries`.
    pub fn len(&self) -> u32 {
        self.map.def().max_entries
    }

    /// Whether the array has no slots (never: the kernel requires `max_entries` ≥ 1).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index`, or `None` past the end.
    pub fn get(&self, index: u32) -> Result<Option<V>, Error> {
        // SAFETY: the key is a u32 and V has the map's value size: `ArrayMap::new`, the only way
        // to make this handle, checked both (`check_shape::<u32, V>`).
        unsafe { elem::get(&self.map, &index) }
    }

    /// Writes `value` at `index`.
    ///
    /// # Errors
    /// `E2BIG` when `index` is past the end.
    pub fn set(&self, index: u32, value: &V) -> Result<(), Error> {
        // SAFETY: as in `get`.
        unsafe { elem::insert(&self.map, &index, value, Update::Any) }
    }

    /// Writes `values[i]` at `indexes[i]` for every `i` (`BPF_MAP_UPDATE_BATCH`); returns how
    /// many were written.
    pub fn set_batch(&self, indexes: &[u32], values: &[V]) -> Result<usize, Error> {
        super::hash::check_lengths(&self.map, indexes.len(), values.len())?;
        write_batch(
            &self.map,
            Batch::Update,
            slice_bytes(indexes),
            Some(slice_bytes(values)),
            Update::Any,
            lock_flag::<V>(),
        )
    }

    /// The array's memory, mapped into this process: reads and writes with no syscall (see
    /// [`MmapArray`] and the [memory model](crate::mapped)).
    ///
    /// # Errors
    /// [`Error::Mismatch`] unless the map was created with `flags = "mmapable"`; the `mmap`
    /// errno otherwise: `EPERM` for a frozen array and `EACCES` for an `rdonly_prog` one, whose
    /// writable mappings the kernel refuses (use [`mmap_read_only`](Self::mmap_read_only)).
    pub fn mmap(&self) -> Result<MmapArray<'m, V>, Error> {
        MmapArray::new(self.map.clone())
    }

    /// The array's memory mapped read-only: for arrays that are frozen (configuration that
    /// programs read) or that programs may only read (`rdonly_prog`), which the kernel will
    /// not map writable. (Through an fd opened read-only, the kernel maps nothing: `EINVAL`.)
    ///
    /// ```no_run
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "array", max_entries = 16, flags = "mmapable | rdonly_prog")]
    /// struct Config { key: u32, value: u64 }
    ///
    /// let maps = bpfmap::load()?;
    /// let config = maps.get::<Config>();
    /// config.set(0, &42)?;
    /// config.freeze()?;                      // no more writes from user space
    /// let view = config.mmap_read_only()?;   // `mmap()` would be refused now
    /// assert_eq!(view.get(0), Some(42));
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`mmap`](Self::mmap).
    pub fn mmap_read_only(&self) -> Result<MmapArray<'m, V, ReadOnly>, Error> {
        MmapArray::new(self.map.clone())
    }

    /// Every `(index, value)`, in index order, read with `BPF_MAP_LOOKUP_BATCH`.
    pub fn iter(&self) -> ArrayIter<'m, V> {
        ArrayIter {
            source: EntrySource::new(self.map.clone(), lock_flag::<V>()),
            map: self.map.clone(),
            decode: PlainDecode::default(),
        }
    }
}

super::common::handle_common!(ArrayMap<V>);

/// The entries of an [`ArrayMap`], read in batches: `(index, value)` pairs.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "array", max_entries = 256)]
/// struct Histogram { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let total: u64 = maps.get::<Histogram>().iter().map(|e| e.map(|(_, n)| n)).sum::<Result<_, _>>()?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct ArrayIter<'m, V> {
    source: EntrySource<'m, u32>,
    map: MapRef<'m>,
    decode: PlainDecode<u32, V>,
}

impl<V: Pod> Iterator for ArrayIter<'_, V> {
    type Item = Result<(u32, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.source, &self.map, &mut self.decode)
    }
}
