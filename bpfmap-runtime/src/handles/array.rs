//! `ArrayMap`: typed access to `array` maps.

use core::fmt;
use core::mem::MaybeUninit;

use super::{Types, check_shape};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Map, Pod};

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
    map: &'m Map,
    _types: Types<u32, V>,
}

impl<'m, V: Pod> ArrayMap<'m, V> {
    /// The handle of `map`, which must be an `array` map of `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs.
    pub fn new(map: &'m Map) -> Result<ArrayMap<'m, V>, Error> {
        check_shape::<u32, V>(map, &[Family::Array], "ArrayMap")?;
        Ok(ArrayMap::new_unchecked(map))
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> ArrayMap<'m, V> {
        ArrayMap { map, _types: Types::default() }
    }

    /// The map.
    pub fn map(&self) -> &'m Map {
        self.map
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
        let mut value = MaybeUninit::<V>::uninit();
        // SAFETY: the key is a u32 (the array's key size) and `value` has room for one V.
        let found = unsafe {
            sys::lookup(self.map.fd(), bytes_of(&index).as_ptr(), value.as_mut_ptr() as *mut u8, 0)
        }
        .map_err(|errno| self.map.error(Op::Lookup, errno))?;
        // SAFETY: the kernel wrote a whole value, and any bytes are a valid V.
        Ok(found.then(|| unsafe { value.assume_init() }))
    }

    /// Writes `value` at `index`.
    ///
    /// # Errors
    /// `E2BIG` when `index` is past the end.
    pub fn set(&self, index: u32, value: &V) -> Result<(), Error> {
        // SAFETY: the key is a u32 and `value` a whole V: the map's sizes.
        unsafe { sys::update(self.map.fd(), bytes_of(&index).as_ptr(), bytes_of(value).as_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Update, errno))
    }

    /// Every `(index, value)`, in index order.
    pub fn iter(&self) -> ArrayIter<'m, V> {
        ArrayIter { array: ArrayMap::new_unchecked(self.map), next: 0 }
    }
}

impl<V> Clone for ArrayMap<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for ArrayMap<'_, V> {}

impl<V> fmt::Debug for ArrayMap<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ArrayMap").field(self.map).finish()
    }
}

/// The entries of an [`ArrayMap`].
pub struct ArrayIter<'m, V> {
    array: ArrayMap<'m, V>,
    next: u32,
}

impl<V: Pod> Iterator for ArrayIter<'_, V> {
    type Item = Result<(u32, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.array.len() {
            return None;
        }
        let index = self.next;
        self.next += 1;
        match self.array.get(index) {
            Ok(Some(value)) => Some(Ok((index, value))),
            Ok(None) => None,
            Err(e) => {
                self.next = u32::MAX;
                Some(Err(e))
            }
        }
    }
}
