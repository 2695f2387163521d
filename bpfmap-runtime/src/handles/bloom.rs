//! `BloomFilter`: a set that may answer "maybe" but never wrongly "no".

use super::MapRef;
use super::{Types, check_shape};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Pod};

/// A `bloom_filter` map of values `V`: no false negatives, a few false positives, no removal.
/// `map_extra` is the number of hash functions (1 to 15; 0 means 5).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "bloom_filter", max_entries = 1000, map_extra = 3)]
/// struct Seen { value: u32 }
///
/// let maps = bpfmap::load()?;
/// let seen = maps.get::<Seen>();
/// seen.insert(&42)?;
/// assert!(seen.contains(&42)?);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct BloomFilter<'m, V> {
    map: MapRef<'m>,
    _types: Types<(), V>,
}

impl<'m, V: Pod> BloomFilter<'m, V> {
    /// The handle of `map`, which must be a `bloom_filter` of `V`-sized values.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<BloomFilter<'m, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_shape::<(), V>(&map, &[Family::BloomFilter], "BloomFilter")?;
        Ok(BloomFilter { map, _types: Types::default() })
    }

    /// Adds `value`.
    pub fn insert(&self, value: &V) -> Result<(), Error> {
        // SAFETY: the map has no key and V is its value size (`check_shape::<(), V>` in
        // `BloomFilter::new`, the only way to make this handle).
        unsafe { sys::update(self.map.fd(), core::ptr::null(), bytes_of(value).as_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Update(crate::Update::Any), errno))
    }

    /// `false` if `value` was certainly never added; `true` if it probably was.
    pub fn contains(&self, value: &V) -> Result<bool, Error> {
        let mut probe = *value;
        // SAFETY: a bloom filter lookup reads the value to test from the value pointer; it is a
        // whole V, the map's value size (`check_shape` in `BloomFilter::new`).
        unsafe { sys::lookup(self.map.fd(), core::ptr::null(), &mut probe as *mut V as *mut u8, 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))
    }
}

super::common::handle_common!(BloomFilter<V>);
