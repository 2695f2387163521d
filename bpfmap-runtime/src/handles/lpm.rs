//! `LpmTrie` and `LpmKey`: longest-prefix match.

use super::MapRef;
use core::fmt;

use super::batch::{EntrySource, PlainDecode, next_entry};
use super::{Keys, Types, Update, check_shape, elem};
use crate::btf::{Member, TypeDesc, U32};
use crate::rules::Family;
use crate::{Error, Pod};

/// An LPM trie key: a prefix length in bits, then the data it applies to (e.g. `[u8; 4]` for
/// an IPv4 address, in network byte order).
///
/// Packed, as the kernel's `struct bpf_lpm_trie_key_u8` is: the data starts right after the
/// 4-byte prefix length, so the key's size is `4 + size_of::<D>()` and has no padding.
///
/// ```
/// use bpfmap::LpmKey;
/// let net = LpmKey::new(24, [10, 1, 2, 0]);
/// assert_eq!(net.prefix_len(), 24);
/// assert_eq!(net.data(), [10, 1, 2, 0]);
/// assert_eq!(size_of::<LpmKey<[u8; 4]>>(), 8);
/// ```
#[repr(C, packed)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LpmKey<D> {
    prefix_len: u32,
    data: D,
}

impl<D: Pod> LpmKey<D> {
    /// The prefix of `prefix_len` bits of `data`.
    pub const fn new(prefix_len: u32, data: D) -> LpmKey<D> {
        LpmKey { prefix_len, data }
    }

    /// A key matching all of `data`: the prefix length is every bit of it.
    pub const fn exact(data: D) -> LpmKey<D> {
        LpmKey::new(size_of::<D>() as u32 * 8, data)
    }

    /// The prefix length in bits.
    pub const fn prefix_len(&self) -> u32 {
        self.prefix_len
    }

    /// The data.
    pub const fn data(&self) -> D {
        self.data
    }
}

impl<D: Pod + fmt::Debug> fmt::Debug for LpmKey<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix_len, data) = (self.prefix_len, self.data);
        write!(f, "{data:?}/{prefix_len}")
    }
}

// SAFETY: packed, so there is no padding between or after the fields, and both fields are Pod.
unsafe impl<D: Pod> Pod for LpmKey<D> {
    /// A struct, as the kernel wants LPM trie keys (`struct bpf_lpm_trie_key_u8`: `prefixlen`,
    /// then the data).
    const BTF: &'static TypeDesc = &TypeDesc::Struct {
        name: "LpmKey",
        size: crate::__private::btf_u32(size_of::<LpmKey<D>>()),
        members: &[
            Member { name: "prefixlen", offset: 0, ty: &U32 },
            Member { name: "data", offset: 4, ty: D::BTF },
        ],
    };
}

/// An `lpm_trie` map: values `V` by prefixes `K` (an [`LpmKey`]), looked up by longest match.
///
/// ```no_run
/// use bpfmap::{bpf_map, LpmKey, Update};
///
/// #[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
/// struct Routes { key: LpmKey<[u8; 4]>, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let routes = maps.get::<Routes>();
/// routes.insert(&LpmKey::new(8, [10, 0, 0, 0]), &1, Update::Any)?;
/// routes.insert(&LpmKey::new(24, [10, 1, 2, 0]), &2, Update::Any)?;
/// assert_eq!(routes.longest_match([10, 1, 2, 3])?, Some(2));
/// assert_eq!(routes.longest_match([10, 9, 9, 9])?, Some(1));
/// assert_eq!(routes.longest_match([192, 168, 0, 1])?, None);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct LpmTrie<'m, K, V> {
    map: MapRef<'m>,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> LpmTrie<'m, K, V> {
    /// The handle of `map`, which must be an `lpm_trie` with `K`-sized keys and `V`-sized values.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<LpmTrie<'m, K, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<K, V>(&map, &[Family::LpmTrie], "LpmTrie")?;
        Ok(LpmTrie { map, _types: Types::default() })
    }

    /// The value of the longest stored prefix that matches `key` (its first `prefix_len` bits).
    pub fn get(&self, key: &K) -> Result<Option<V>, Error> {
        // SAFETY: K and V have the map's key and value sizes: `LpmTrie::new`, the only way to
        // make this handle, checked them (`check_shape`).
        unsafe { elem::get(&self.map, key) }
    }

    /// Stores `value` for the prefix `key`, as `update` allows.
    pub fn insert(&self, key: &K, value: &V, update: Update) -> Result<(), Error> {
        // SAFETY: as in `get`.
        unsafe { elem::insert(&self.map, key, value, update) }
    }

    /// Removes the prefix `key` (exactly that prefix); `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: as in `get`.
        unsafe { elem::remove(&self.map, key) }
    }

    /// The stored prefixes.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }

    /// The stored prefixes and their values.
    pub fn iter(&self) -> LpmIter<'m, K, V> {
        LpmIter {
            source: EntrySource::new(self.map.clone(), 0),
            map: self.map.clone(),
            decode: PlainDecode::default(),
        }
    }
}

impl<'m, D: Pod, V: Pod> LpmTrie<'m, LpmKey<D>, V> {
    /// The value of the longest stored prefix of `data`.
    pub fn longest_match(&self, data: D) -> Result<Option<V>, Error> {
        self.get(&LpmKey::exact(data))
    }
}

super::common::handle_common!(LpmTrie<K, V>);

/// The entries of an [`LpmTrie`]: `(prefix, value)` pairs.
///
/// ```no_run
/// use bpfmap::{bpf_map, LpmKey};
///
/// #[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
/// struct Routes { key: LpmKey<[u8; 4]>, value: u32 }
///
/// let maps = bpfmap::load()?;
/// for entry in maps.get::<Routes>().iter() {
///     let (prefix, hop) = entry?;
///     println!("{:?}/{} via {hop}", prefix.data(), prefix.prefix_len());
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct LpmIter<'m, K, V> {
    source: EntrySource<'m, K>,
    map: MapRef<'m>,
    decode: PlainDecode<K, V>,
}

impl<K: Pod, V: Pod> Iterator for LpmIter<'_, K, V> {
    type Item = Result<(K, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.source, &self.map, &mut self.decode)
    }
}
