//! `LocalStorage`: the values that socket, task, inode and cgroup local storage maps keep for
//! each of their owners, reached from user space through an fd of the owner.

use super::MapRef;
use std::os::fd::{AsFd, AsRawFd};

use super::{Size, Types, Update, check_handle, lock_flag};
use crate::error::Op;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Pod};

/// A local storage map (`sk_storage`, `task_storage`, `inode_storage`, `cgrp_storage`): one
/// `V` per socket, task, inode or cgroup, created by programs (`bpf_sk_storage_get` with
/// `BPF_LOCAL_STORAGE_GET_F_CREATE`, ...) or from user space here.
///
/// User space names the owner by an open fd of it (the map's key is that fd, an `int`):
///
/// | map type | `owner` |
/// |---|---|
/// | `sk_storage` | a socket (`TcpStream`, `UdpSocket`, ...) |
/// | `task_storage` | a pidfd of the task (`pidfd_open(2)`) |
/// | `inode_storage` | any open file of the inode (needs the BPF LSM active) |
/// | `cgrp_storage` | the cgroup's directory, opened |
///
/// ```no_run
/// use std::net::UdpSocket;
/// use bpfmap::{bpf_map, Pod, Update};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Seen { packets: u64, bytes: u64 }
///
/// #[bpf_map(type = "sk_storage", flags = "no_prealloc")]
/// struct PerSocket { key: u32, value: Seen }
///
/// let maps = bpfmap::load()?;
/// let storage = maps.get::<PerSocket>();
/// let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
/// storage.insert(&socket, &Seen { packets: 1, bytes: 64 }, Update::NoExist)?;
/// assert_eq!(storage.get(&socket)?.map(|s| s.bytes), Some(64));
/// assert!(storage.remove(&socket)?);
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// A value that holds a [`SpinLock`](crate::SpinLock) is read and written under it
/// (`BPF_F_LOCK`).
pub struct LocalStorage<'m, V> {
    map: MapRef<'m>,
    _types: Types<u32, V>,
}

impl<'m, V: Pod> LocalStorage<'m, V> {
    /// The handle of `map`, which must be a local storage map of `V`-sized values.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<LocalStorage<'m, V>, Error> {
        let map: MapRef<'m> = map.into();
        check_handle(&map, &[Family::LocalStorage], "LocalStorage", Size::Of(4, "an fd"), Size::of::<V>())?;
        Ok(LocalStorage { map, _types: Types::default() })
    }

    /// The value of `owner`, or `None` if it has none.
    pub fn get(&self, owner: impl AsFd) -> Result<Option<V>, Error> {
        let key = owner.as_fd().as_raw_fd();
        let mut value = core::mem::MaybeUninit::<V>::uninit();
        // SAFETY: the key is an int, the map's 4-byte key size, and `value` has room for a V,
        // the map's value size: `LocalStorage::new`, the only way to make this handle, checked
        // both (`check_handle`); `owner` stays open for the call.
        let found = unsafe {
            sys::lookup(
                self.map.fd(),
                (&key as *const i32).cast(),
                value.as_mut_ptr().cast(),
                lock_flag::<V>(),
            )
        }
        .map_err(|errno| self.map.error_with(Op::Lookup, errno, lock_flag::<V>()))?;
        // SAFETY: the kernel wrote a whole V; any bytes are a valid V.
        Ok(found.then(|| unsafe { value.assume_init() }))
    }

    /// Gives `owner` the value `value`, as `update` allows.
    pub fn insert(&self, owner: impl AsFd, value: &V, update: Update) -> Result<(), Error> {
        let key = owner.as_fd().as_raw_fd();
        // SAFETY: as in `get`; the kernel reads a whole V.
        unsafe {
            sys::update(
                self.map.fd(),
                (&key as *const i32).cast(),
                crate::pod::bytes_of(value).as_ptr(),
                update.flags() | lock_flag::<V>(),
            )
        }
        .map_err(|errno| self.map.error_with(Op::Update(update), errno, lock_flag::<V>()))
    }

    /// Takes `owner`'s value away; `false` if it had none.
    pub fn remove(&self, owner: impl AsFd) -> Result<bool, Error> {
        let key = owner.as_fd().as_raw_fd();
        // SAFETY: the key is an int, the map's key size (as in `get`).
        unsafe { sys::delete(self.map.fd(), (&key as *const i32).cast()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }
}

super::common::handle_common!(LocalStorage<V>);
