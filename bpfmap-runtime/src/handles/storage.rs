//! `CgroupStorage` and `PerCpuCgroupStorage`: the storage of cgroup-attached programs.
//!
//! Entries exist only while a program using the map is attached to a cgroup; the key is the
//! cgroup id (8 bytes) or [`CgroupStorageKey`] (16 bytes: cgroup id and attach type).

use super::MapRef;
use super::{Keys, PerCpuValues, Types, Update, elem};
use crate::btf::{Member, TypeDesc, U32, U64};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Pod};

/// The 16-byte key of cgroup storage, the kernel's `struct bpf_cgroup_storage_key`: a cgroup
/// id and an attach type, for maps whose programs keep storage per cgroup *and* attach type.
///
/// A `u64` key (the cgroup id alone) is the other choice; with it, the programs of every attach
/// type share the cgroup's storage. Maps that need their BTF (a [`SpinLock`](crate::SpinLock)
/// value) take only these two keys, as the kernel checks the key's BTF: a struct of the same
/// size with other members is refused at compile time.
///
/// ```
/// use bpfmap::{bpf_map, CgroupStorageKey, Pod, SpinLock};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Counters { lock: SpinLock, packets: u32 }
///
/// #[bpf_map(type = "cgroup_storage")]
/// struct PerAttach { key: CgroupStorageKey, value: Counters }
///
/// let key = CgroupStorageKey::new(4242, 0); // BPF_CGROUP_INET_INGRESS
/// assert_eq!((key.cgroup_id(), key.attach_type()), (4242, 0));
/// assert_eq!(size_of::<CgroupStorageKey>(), 16);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CgroupStorageKey {
    cgroup_inode_id: u64,
    attach_type: u32,
    // The C struct's tail padding, made a field so that every byte is initialized (Pod).
    _pad: u32,
}

impl CgroupStorageKey {
    /// The storage of cgroup `cgroup_id` (its directory's inode number) for programs attached
    /// with `attach_type` (a `BPF_CGROUP_*` attach type).
    pub const fn new(cgroup_id: u64, attach_type: u32) -> CgroupStorageKey {
        CgroupStorageKey { cgroup_inode_id: cgroup_id, attach_type, _pad: 0 }
    }

    /// The cgroup id.
    pub const fn cgroup_id(&self) -> u64 {
        self.cgroup_inode_id
    }

    /// The attach type.
    pub const fn attach_type(&self) -> u32 {
        self.attach_type
    }
}

// SAFETY: repr(C) of u64, u32, u32: 16 bytes with no padding, every bit pattern valid.
unsafe impl Pod for CgroupStorageKey {
    /// The kernel's `struct bpf_cgroup_storage_key`, whose BTF `cgroup_storage_check_btf` wants
    /// as exactly two members: a u64 at 0 and a u32 at 8 (the padding is no member).
    const BTF: &'static TypeDesc = &TypeDesc::Struct {
        name: "bpf_cgroup_storage_key",
        size: 16,
        members: &[
            Member { name: "cgroup_inode_id", offset: 0, ty: &U64 },
            Member { name: "attach_type", offset: 8, ty: &U32 },
        ],
    };
}

/// A `cgroup_storage` map: a value per cgroup (and attach type) that a cgroup program is
/// attached to, which the program reaches with `bpf_get_local_storage`.
///
/// ```no_run
/// use bpfmap::{bpf_map, CgroupStorageKey};
///
/// #[bpf_map(type = "cgroup_storage")]
/// struct Traffic { key: CgroupStorageKey, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let traffic = maps.get::<Traffic>();
/// for key in traffic.keys() {                 // one per attachment of a program using it
///     let key = key?;
///     println!("cgroup {}: {:?} bytes", key.cgroup_id(), traffic.get(&key)?);
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct CgroupStorage<'m, K, V> {
    map: MapRef<'m>,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> CgroupStorage<'m, K, V> {
    /// The handle of `map`, checking its type and sizes.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<CgroupStorage<'m, K, V>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_shape::<K, V>(&map, &[Family::CgroupStorage], "CgroupStorage")?;
        Ok(CgroupStorage { map, _types: Types::default() })
    }

    /// The value of the cgroup `key`, or `None`.
    pub fn get(&self, key: &K) -> Result<Option<V>, Error> {
        // SAFETY: K and V have the map's key and value sizes: `CgroupStorage::new`, the only way
        // to make this handle, checked them (`check_shape`).
        unsafe { elem::get(&self.map, key) }
    }

    /// Writes the value of the cgroup `key` (which must exist: storage is created by attaching).
    pub fn set(&self, key: &K, value: &V) -> Result<(), Error> {
        // SAFETY: as in `get`.
        unsafe { elem::insert(&self.map, key, value, Update::Any) }
    }

    /// The cgroups that have storage.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }
}

/// A `percpu_cgroup_storage` map: one `V` per possible CPU for each cgroup.
///
/// ```no_run
/// use bpfmap::{bpf_map, CgroupStorageKey};
///
/// #[bpf_map(type = "percpu_cgroup_storage")]
/// struct Packets { key: CgroupStorageKey, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let packets = maps.get::<Packets>();
/// for key in packets.keys() {
///     let key = key?;
///     if let Some(per_cpu) = packets.get(&key)? {
///         println!("cgroup {}: {} packets", key.cgroup_id(), per_cpu.iter().sum::<u64>());
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct PerCpuCgroupStorage<'m, K, V> {
    map: MapRef<'m>,
    cpus: usize,
    _types: Types<K, V>,
}

impl<'m, K: Pod, V: Pod> PerCpuCgroupStorage<'m, K, V> {
    /// The handle of `map`, checking its type and sizes.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming what differs; [`Error::PossibleCpus`] if the number of
    /// possible CPUs cannot be read.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<PerCpuCgroupStorage<'m, K, V>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_shape::<K, V>(&map, &[Family::PerCpuCgroupStorage], "PerCpuCgroupStorage")?;
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
        super::percpu::check_cpus(&self.map, self.cpus, values)?;
        // SAFETY: `key` is a whole K; `values` holds `cpus` slots (`check_cpus`).
        unsafe { sys::update(self.map.fd(), bytes_of(key).as_ptr(), values.as_ptr(), Update::Any.flags()) }
            .map_err(|errno| self.map.error(Op::Update(Update::Any), errno))
    }

    /// The cgroups that have storage.
    pub fn keys(&self) -> Keys<'m, K> {
        Keys::new(self.map.clone())
    }
}

super::common::handle_common!(CgroupStorage<K, V>, PerCpuCgroupStorage<K, V>);
