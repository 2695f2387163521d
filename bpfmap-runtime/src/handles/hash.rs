//! `HashMap`: typed access to `hash` and `lru_hash` maps.

use core::fmt;
use core::mem::MaybeUninit;

use super::{Keys, Types, Update, check_shape};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Map, Pod};

/// A `hash` or `lru_hash` map with keys `K` and values `V`.
///
/// Obtained from [`Maps::get`](crate::Maps::get) for a declared map, or with
/// [`HashMap::new`] for a map created at run time. Every method is one syscall (iteration:
/// one per key and one per value); the handle is `Copy` and can be shared between threads.
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
    map: &'m Map,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> HashMap<'m, K, V> {
    /// The handle of `map`, which must be a `hash` or `lru_hash` map with `K`-sized keys and
    /// `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs.
    pub fn new(map: &'m Map) -> Result<HashMap<'m, K, V>, Error> {
        check_shape::<K, V>(map, &[Family::Hash], "HashMap")?;
        Ok(HashMap::new_unchecked(map))
    }

    /// For maps whose shape the declaration already proved.
    pub(crate) fn new_unchecked(map: &'m Map) -> HashMap<'m, K, V> {
        HashMap { map, _types: Types::default() }
    }

    /// The map.
    pub fn map(&self) -> &'m Map {
        self.map
    }

    /// The value at `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<V>, Error> {
        let mut value = MaybeUninit::<V>::uninit();
        // SAFETY: `key` is a whole K and `value` has room for one V: the map's sizes.
        let found =
            unsafe { sys::lookup(self.map.fd(), bytes_of(key).as_ptr(), value.as_mut_ptr() as *mut u8, 0) }
                .map_err(|errno| self.map.error(Op::Lookup, errno))?;
        // SAFETY: the kernel wrote a whole value, and any bytes are a valid V.
        Ok(found.then(|| unsafe { value.assume_init() }))
    }

    /// Writes `value` at `key`, as `update` allows.
    ///
    /// # Errors
    /// `EEXIST` with [`Update::NoExist`] when the key exists, `ENOENT` with [`Update::Exist`]
    /// when it does not, `E2BIG` when a `hash` map is full.
    pub fn insert(&self, key: &K, value: &V, update: Update) -> Result<(), Error> {
        // SAFETY: `key` and `value` are whole K and V: the map's sizes.
        unsafe {
            sys::update(self.map.fd(), bytes_of(key).as_ptr(), bytes_of(value).as_ptr(), update.flags())
        }
        .map_err(|errno| self.map.error(Op::Update, errno))
    }

    /// Deletes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: `key` is a whole K: the map's key size.
        unsafe { sys::delete(self.map.fd(), bytes_of(key).as_ptr()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }

    /// The keys (see [`Keys`] for what happens when the map changes meanwhile).
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map)
    }

    /// The entries; a key deleted between reading it and reading its value is skipped.
    pub fn iter(&self) -> HashIter<'m, K, V> {
        HashIter { keys: self.keys(), map: HashMap::new_unchecked(self.map) }
    }
}

impl<K, V> Clone for HashMap<'_, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for HashMap<'_, K, V> {}

impl<K, V> fmt::Debug for HashMap<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HashMap").field(self.map).finish()
    }
}

impl<'m, K: Pod, V: Pod> IntoIterator for HashMap<'m, K, V> {
    type Item = Result<(K, V), Error>;
    type IntoIter = HashIter<'m, K, V>;
    fn into_iter(self) -> HashIter<'m, K, V> {
        self.iter()
    }
}

/// The entries of a [`HashMap`].
pub struct HashIter<'m, K, V> {
    keys: Keys<'m, K>,
    map: HashMap<'m, K, V>,
}

impl<K: Pod, V: Pod> Iterator for HashIter<'_, K, V> {
    type Item = Result<(K, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let key = match self.keys.next()? {
                Ok(key) => key,
                Err(e) => return Some(Err(e)),
            };
            match self.map.get(&key) {
                Ok(Some(value)) => return Some(Ok((key, value))),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
