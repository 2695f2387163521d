//! `MapOfMaps`: `array_of_maps` and `hash_of_maps`, whose values are maps.

use super::MapRef;
use std::os::fd::{AsFd, AsRawFd};

use super::{Keys, Types, Update};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Map, Pod};

/// An `array_of_maps` (keys: `u32` indexes) or `hash_of_maps` (keys: `K`). Its values are maps
/// that match the template given as `inner = Template`; programs look them up and use them.
///
/// ```no_run
/// use bpfmap::{bpf_map, Update};
///
/// #[bpf_map(type = "array", max_entries = 16)]
/// struct Slot { key: u32, value: u64 }
///
/// #[bpf_map(type = "array_of_maps", max_entries = 4, inner = Slot)]
/// struct Slots { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let inner = maps.map::<Slot>()?;
/// let slots = maps.get::<Slots>();
/// slots.set(&0, inner, Update::Any)?;
/// assert_eq!(slots.get(&0)?, Some(inner.id()?));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct MapOfMaps<'m, K> {
    map: MapRef<'m>,
    _types: Types<K, ()>,
}

impl<'m, K: Pod> MapOfMaps<'m, K> {
    /// The handle of `map`, checking its type and sizes.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<MapOfMaps<'m, K>, Error> {
        let map: MapRef<'m> = map.into();
        // The value is the inner map's fd written, its id read: 4 bytes either way.
        super::check_key::<K>(&map, &[Family::MapOfMaps], "MapOfMaps", super::Size::OneOf(&[4]))?;
        Ok(MapOfMaps { map, _types: Types::default() })
    }

    /// Puts the map `inner` at `key`. An `array_of_maps` takes only [`Update::Any`] (`EINVAL`
    /// otherwise); a `hash_of_maps` follows every policy.
    ///
    /// # Errors
    /// [`Error::InnerMismatch`], before the syscall, when the template is known (a declared
    /// map, or a definition made `with_inner`) and `inner` differs from it in what the kernel
    /// compares (type, key and value sizes, flags, and `max_entries` for an array template):
    /// the kernel would refuse it with a bare `EINVAL`.
    pub fn set(&self, key: &K, inner: impl AsFd, update: Update) -> Result<(), Error> {
        if let Some(template) = self.map.def().inner
            // Not a map, or not readable: the kernel's answer says more than a guess would.
            && let Ok(candidate) = sys::map_info(inner.as_fd())
        {
            let candidate = crate::MapInfo::from(candidate);
            let diffs = crate::compat::inner_misfit(template, &candidate, crate::HostLimits::current());
            if !diffs.is_empty() {
                return Err(Error::InnerMismatch { map: self.map.label(), inner: candidate.id, diffs });
            }
        }
        let fd = inner.as_fd().as_raw_fd() as u32;
        // SAFETY: K is the map's key size and the value is 4 bytes, as `MapOfMaps::new` checked
        // (`check_key::<K>` with `Size::OneOf(&[4])`); the value is the 4-byte fd.
        unsafe { sys::update(self.map.fd(), bytes_of(key).as_ptr(), bytes_of(&fd).as_ptr(), update.flags()) }
            .map_err(|errno| self.map.error(Op::Update(update), errno))
    }

    /// The kernel id of the map at `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<u32>, Error> {
        let mut id = 0u32;
        // SAFETY: as in `set`; lookups of a map-of-maps write the 4-byte id of the inner map.
        let found =
            unsafe { sys::lookup(self.map.fd(), bytes_of(key).as_ptr(), &mut id as *mut u32 as *mut u8, 0) }
                .map_err(|errno| self.map.error(Op::Lookup, errno))?;
        Ok(found.then_some(id))
    }

    /// The map at `key`, opened by its id (a new fd on the same map).
    pub fn get_map(&self, key: &K) -> Result<Option<Map>, Error> {
        self.get(key)?.map(Map::from_id).transpose()
    }

    /// Removes the map at `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        // SAFETY: K is the map's key size (`check_key::<K>` in `MapOfMaps::new`).
        unsafe { sys::delete(self.map.fd(), bytes_of(key).as_ptr()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }

    /// The keys that hold a map.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }
}

super::common::handle_common!(MapOfMaps<K>);
