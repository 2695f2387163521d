//! Single-element operations shared by the typed handles. Values that hold a
//! [`SpinLock`](crate::SpinLock) are read and written under it (`BPF_F_LOCK`).
//!
//! # Safety
//! Every function here requires that `map`'s key size is `size_of::<K>()`, its value size is
//! `size_of::<V>()`, and the kernel copies exactly that many bytes per value: not a per-CPU
//! map (one slot per CPU) nor an fd map (an fd in, an id out). These are what `check_handle`
//! establishes when a handle of the hash, array, LPM trie or cgroup storage family is made,
//! and those handles are the only callers.

use core::mem::MaybeUninit;

use super::{Update, lock_flag};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::sys;
use crate::{Error, Map, Pod};

/// `BPF_MAP_LOOKUP_ELEM`: the value at `key`, or `None`.
pub(crate) unsafe fn get<K: Pod, V: Pod>(map: &Map, key: &K) -> Result<Option<V>, Error> {
    let mut value = MaybeUninit::<V>::uninit();
    // SAFETY: per the module contract, `key` and `value` have the map's sizes.
    let found = unsafe {
        sys::lookup(map.fd(), bytes_of(key).as_ptr(), value.as_mut_ptr() as *mut u8, lock_flag::<V>())
    }
    .map_err(|errno| map.error_with(Op::Lookup, errno, lock_flag::<V>()))?;
    // SAFETY: the kernel wrote a whole value, and any bytes are a valid V.
    Ok(found.then(|| unsafe { value.assume_init() }))
}

/// `BPF_MAP_UPDATE_ELEM` as `update` allows (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`).
pub(crate) unsafe fn insert<K: Pod, V: Pod>(
    map: &Map,
    key: &K,
    value: &V,
    update: Update,
) -> Result<(), Error> {
    // SAFETY: per the module contract.
    unsafe {
        sys::update(
            map.fd(),
            bytes_of(key).as_ptr(),
            bytes_of(value).as_ptr(),
            update.flags() | lock_flag::<V>(),
        )
    }
    .map_err(|errno| map.error_with(Op::Update(update), errno, lock_flag::<V>()))
}

/// `BPF_MAP_DELETE_ELEM`: `false` if `key` was absent.
pub(crate) unsafe fn remove<K: Pod>(map: &Map, key: &K) -> Result<bool, Error> {
    // SAFETY: per the module contract.
    unsafe { sys::delete(map.fd(), bytes_of(key).as_ptr()) }.map_err(|errno| map.error(Op::Delete, errno))
}

/// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: the value taken out of `key`, or `None`.
pub(crate) unsafe fn get_and_remove<K: Pod, V: Pod>(map: &Map, key: &K) -> Result<Option<V>, Error> {
    let mut value = MaybeUninit::<V>::uninit();
    // SAFETY: per the module contract.
    let found = unsafe {
        sys::lookup_and_delete(
            map.fd(),
            bytes_of(key).as_ptr(),
            value.as_mut_ptr() as *mut u8,
            lock_flag::<V>(),
        )
    }
    .map_err(|errno| map.error_with(Op::LookupAndDelete, errno, lock_flag::<V>()))?;
    // SAFETY: the kernel wrote a whole value, and any bytes are a valid V.
    Ok(found.then(|| unsafe { value.assume_init() }))
}
