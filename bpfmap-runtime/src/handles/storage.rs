//! `CgroupStorage` and `PerCpuCgroupStorage`: the storage of cgroup-attached programs.
//!
//! Entries exist only while a program using the map is attached to a cgroup; the key is the
//! cgroup id (8 bytes) or `struct bpf_cgroup_storage_key` (16 bytes: cgroup id and attach type).

use super::{Keys, PerCpuValues, Types, Update, elem};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Map, Pod};

/// A `cgroup_storage` map.
pub struct CgroupStorage<'m, K, V> {
    map: &'m Map,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> CgroupStorage<'m, K, V> {
    /// The handle of `map`, checking its type and sizes.
    pub fn new(map: &'m Map) -> Result<CgroupStorage<'m, K, V>, Error> {
        super::check_shape::<K, V>(map, &[Family::CgroupStorage], "CgroupStorage")?;
        Ok(CgroupStorage { map, _types: Types::default() })
    }

    /// The value of the cgroup `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<V>, Error> {
        // SAFETY: K and V have the map's key and value sizes: `CgroupStorage::new`, the only way
        // to make this handle, checked them (`check_shape`).
        unsafe { elem::get(self.map, key) }
    }

    /// Writes the value of the cgroup `key` (which must exist: storage is created by attaching).
    pub fn set(&self, key: &K, value: &V) -> Result<(), Error> {
        // SAFETY: as in `get`.
        unsafe { elem::insert(self.map, key, value, Update::Any) }
    }

    /// The cgroups that have storage.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map)
    }
}

/// A `percpu_cgroup_storage` map: one `V` per possible CPU for each cgroup.
pub struct PerCpuCgroupStorage<'m, K, V> {
    map: &'m Map,
    cpus: usize,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> PerCpuCgroupStorage<'m, K, V> {
    /// The handle of `map`, checking its type and sizes.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs; [`Error::PossibleCpus`] if the number of
    /// possible CPUs cannot be read.
    pub fn new(map: &'m Map) -> Result<PerCpuCgroupStorage<'m, K, V>, Error> {
        super::check_shape::<K, V>(map, &[Family::PerCpuCgroupStorage], "PerCpuCgroupStorage")?;
        Ok(PerCpuCgroupStorage { map, cpus: crate::possible_cpus()?, _types: Types::default() })
    }

    /// The values of the cgroup `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<PerCpuValues<V>>, Error> {
        let mut values = PerCpuValues::for_cpus(self.cpus);
        // SAFETY: `key` is a whole K; `values` holds one slot for each of the `cpus` possible
        // CPUs this handle was made for.
        let found = unsafe { sys::lookup(self.map.fd(), bytes_of(key).as_ptr(), values.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))?;
        Ok(found.then_some(values))
    }

    /// Writes the values of the cgroup `key`.
    pub fn set(&self, key: &K, values: &PerCpuValues<V>) -> Result<(), Error> {
        super::percpu::check_cpus(self.map, self.cpus, values)?;
        // SAFETY: `key` is a whole K; `values` holds `cpus` slots (`check_cpus`).
        unsafe { sys::update(self.map.fd(), bytes_of(key).as_ptr(), values.as_ptr(), Update::Any.flags()) }
            .map_err(|errno| self.map.error(Op::Update(Update::Any), errno))
    }

    /// The cgroups that have storage.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map)
    }
}

super::common::handle_common!(CgroupStorage<K, V>, PerCpuCgroupStorage<K, V>);
