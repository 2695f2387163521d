//! `HashMap`: typed access to `hash` and `lru_hash` maps.

use super::MapRef;
use super::batch::{Drain, EntrySource, PlainDecode, next_entry, write_batch};
use super::{Keys, Types, Update, check_shape, elem, lock_flag};
use crate::pod::slice_bytes;
use crate::rules::Family;
use crate::sys::Batch;
use crate::{Error, Map, Pod};

/// A `hash` or `lru_hash` map with keys `K` and values `V`.
///
/// Obtained from [`Maps::get`](crate::Maps::get) for a declared map, or with
/// [`HashMap::new`] for a map created at run time (or [`Maps::owned`](crate::Maps::owned) for
/// one that moves into a thread or task). Every element method is one syscall; iteration,
/// `drain` and the `_batch` methods read and write in batches (`BPF_MAP_*_BATCH`, thousands of
/// entries per syscall, with a key-by-key fallback on kernels without them). The handle is
/// `Clone`, `Send` and `Sync`: share it between threads.
///
/// ```no_run
/// use bpfmap::{bpf_map, Update};
///
/// #[bpf_map(type = "hash", max_entries = 1024, flags = "no_prealloc")]
/// struct Counts { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let counts = maps.get::<Counts>();
/// counts.insert(&7, &1, Update::NoExist)?;
/// assert_eq!(counts.get(&7)?, Some(1));
/// for entry in counts.iter() {
///     let (key, value) = entry?;
///     println!("{key}: {value}");
/// }
/// assert!(counts.remove(&7)?);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct HashMap<'m, K, V> {
    map: MapRef<'m>,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> HashMap<'m, K, V> {
    /// The handle of `map`, which must be a `hash` or `lru_hash` map with `K`-sized keys and
    /// `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<HashMap<'m, K, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<K, V>(&map, &[Family::Hash], "HashMap")?;
        Ok(HashMap { map, _types: Types::default() })
    }

    /// The value at `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<V>, Error> {
        // SAFETY: K and V have the map's key and value sizes: `HashMap::new`, the only way to
        // make this handle, checked them (`check_shape`).
        unsafe { elem::get(&self.map, key) }
    }

    /// Writes `value` at `key`, as `update` allows.
    ///
    /// # Errors
    /// `EEXIST` with [`Update::NoExist`] when the key exists, `ENOENT` with [`Update::Exist`]
    /// when it does not, `E2BIG` when a `hash` map is full.
    pub fn insert(&self, key: &K, value: &V, update: Update) -> Result<(), Error> {
        // SAFETY: as in `get`.
        unsafe { elem::insert(&self.map, key, value, update) }
    }

    /// Deletes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: as in `get`.
        unsafe { elem::remove(&self.map, key) }
    }

    /// Takes the value at `key` out of the map (`BPF_MAP_LOOKUP_AND_DELETE_ELEM`, Linux 5.14
    /// for hash maps); `None` if absent.
    pub fn get_and_remove(&self, key: &K) -> Result<Option<V>, Error> {
        // SAFETY: as in `get`.
        unsafe { elem::get_and_remove(&self.map, key) }
    }

    /// Writes `values[i]` at `keys[i]` for every `i`, in as few syscalls as the kernel allows
    /// (`BPF_MAP_UPDATE_BATCH`); returns how many were written.
    ///
    /// The kernel's batch command has no update policy: with [`Update::NoExist`] or
    /// [`Update::Exist`] each pair is written by its own `BPF_MAP_UPDATE_ELEM`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the slices differ in length; [`Error::Batch`] with the number
    /// of entries written before the kernel refused one.
    pub fn insert_batch(&self, keys: &[K], values: &[V], update: Update) -> Result<usize, Error> {
        check_lengths(&self.map, keys.len(), values.len())?;
        write_batch(
            &self.map,
            Batch::Update,
            slice_bytes(keys),
            Some(slice_bytes(values)),
            update,
            lock_flag::<V>(),
        )
    }

    /// Deletes every key of `keys` (`BPF_MAP_DELETE_BATCH`); returns how many were deleted.
    /// The kernel stops at the first key that is absent: a count below `keys.len()` means
    /// `keys[count]` was not there, and the keys after it were not deleted.
    pub fn remove_batch(&self, keys: &[K]) -> Result<usize, Error> {
        write_batch(&self.map, Batch::Delete, slice_bytes(keys), None, Update::Any, 0)
    }

    /// Takes every entry out of the map, in batches (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`).
    pub fn drain(&self) -> HashDrain<'m, K, V> {
        HashDrain(Drain::new(self.map.clone(), lock_flag::<V>(), PlainDecode::default()))
    }

    /// Deletes every entry.
    pub fn clear(&self) -> Result<(), Error> {
        self.drain().try_for_each(|entry| entry.map(drop))
    }

    /// The keys (see [`Keys`] for what happens when the map changes meanwhile).
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }

    /// The entries, read with `BPF_MAP_LOOKUP_BATCH` into reused buffers (where the kernel
    /// lacks it: key by key, bounded as [`Keys`] is, skipping keys deleted meanwhile).
    pub fn iter(&self) -> HashIter<'m, K, V> {
        HashIter {
            source: EntrySource::new(self.map.clone(), lock_flag::<V>()),
            map: self.map.clone(),
            decode: PlainDecode::default(),
        }
    }
}

super::common::handle_common!(HashMap<K, V>);

impl<'m, K: Pod, V: Pod> IntoIterator for HashMap<'m, K, V> {
    type Item = Result<(K, V), Error>;
    type IntoIter = HashIter<'m, K, V>;
    fn into_iter(self) -> HashIter<'m, K, V> {
        self.iter()
    }
}

/// The entries of a [`HashMap`], read in batches (`BPF_MAP_LOOKUP_BATCH`).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 1024)]
/// struct Counts { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// for entry in maps.get::<Counts>().iter() {
///     let (port, count) = entry?;
///     println!("{port}: {count}");
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct HashIter<'m, K, V> {
    source: EntrySource<'m, K>,
    map: MapRef<'m>,
    decode: PlainDecode<K, V>,
}

impl<K: Pod, V: Pod> Iterator for HashIter<'_, K, V> {
    type Item = Result<(K, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.source, &self.map, &mut self.decode)
    }
}

/// The entries taken out of a [`HashMap`] by [`HashMap::drain`]
/// (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`): each entry is read and deleted in one step, so an
/// entry a program adds meanwhile is either drained or stays, never lost.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 1024)]
/// struct Counts { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let interval: Vec<(u32, u64)> = maps.get::<Counts>().drain().collect::<Result<_, _>>()?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct HashDrain<'m, K, V>(Drain<'m, PlainDecode<K, V>>);

impl<K: Pod, V: Pod> Iterator for HashDrain<'_, K, V> {
    type Item = Result<(K, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// Batches take one value per key.
pub(crate) fn check_lengths(map: &Map, keys: usize, values: usize) -> Result<(), Error> {
    if keys == values {
        return Ok(());
    }
    Err(Error::Mismatch { map: map.label(), what: format!("a batch of {keys} keys and {values} values") })
}
