//! Typed handles over created maps, one module per map family.

mod arena;
mod array;
mod batch;
mod bloom;
mod common;
mod elem;
mod fd_maps;
mod hash;
mod keys;
mod local_storage;
mod lpm;
mod map_of_maps;
mod mmap;
mod percpu;
mod perf_buffer;
mod queue;
mod ringbuf;
mod stack_trace;
mod storage;

pub use arena::{Arena, ArenaMemory};
pub use array::{ArrayIter, ArrayMap};
pub use bloom::BloomFilter;
pub use fd_maps::{
    CgroupArray, CpuMap, DevMap, PerfEventArray, ProgArray, ReuseportSockArray, SockMap, XskMap,
};
pub use hash::{HashDrain, HashIter, HashMap};
pub use keys::Keys;
pub use local_storage::LocalStorage;
pub use lpm::{LpmIter, LpmKey, LpmTrie};
pub use map_of_maps::MapOfMaps;
pub use mmap::{MmapArray, MmapArrayReadOnly, MmapIter};
pub use percpu::{PerCpuArray, PerCpuDrain, PerCpuHashMap, PerCpuIter, PerCpuValues};
pub use perf_buffer::{PerfBufferOptions, PerfBufferReader};
pub use queue::{Queue, Stack, WhenFull};
pub use ringbuf::{RingBuf, RingBufConsumer, UserRingBuf, UserRingBufProducer};
pub use stack_trace::StackTraceMap;
pub use storage::{CgroupStorage, CgroupStorageKey, PerCpuCgroupStorage};

use core::marker::PhantomData;
use core::ops::Deref;
use std::sync::Arc;

use crate::rules::Family;
use crate::{Error, Map};

/// How a handle holds its map: borrowed, for `'m`, or shared through an [`Arc`] and then
/// `'static`.
///
/// Every handle constructor takes `impl Into<MapRef<'m>>`, so it accepts a `&Map` (the
/// handle borrows it, as [`Maps::get`](crate::Maps::get) does), a `Map` or an `Arc<Map>`
/// (the handle keeps the map open and has no lifetime: it moves into a thread or a task, and
/// its clones share the map). [`Maps::owned`](crate::Maps::owned) gives owned handles of
/// declared maps.
///
/// ```no_run
/// use bpfmap::{bpf_map, HashMap, Map};
///
/// #[bpf_map(type = "hash", max_entries = 16)]
/// struct Hits { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let hits: HashMap<'static, u32, u64> = maps.owned::<Hits>()?;   // shares the map
/// let pinned: HashMap<'static, u32, u64> = HashMap::new(Map::from_pin("/sys/fs/bpf/hits")?)?;
/// std::thread::spawn(move || hits.get(&1)).join().unwrap()?;
/// # drop(pinned);
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone)]
pub struct MapRef<'m>(Holder<'m>);

#[derive(Clone)]
enum Holder<'m> {
    Borrowed(&'m Map),
    Shared(Arc<Map>),
}

impl Deref for MapRef<'_> {
    type Target = Map;
    fn deref(&self) -> &Map {
        match &self.0 {
            Holder::Borrowed(map) => map,
            Holder::Shared(map) => map,
        }
    }
}

impl<'m> From<&'m Map> for MapRef<'m> {
    fn from(map: &'m Map) -> MapRef<'m> {
        MapRef(Holder::Borrowed(map))
    }
}

impl From<Arc<Map>> for MapRef<'static> {
    fn from(map: Arc<Map>) -> MapRef<'static> {
        MapRef(Holder::Shared(map))
    }
}

impl From<Map> for MapRef<'static> {
    fn from(map: Map) -> MapRef<'static> {
        MapRef(Holder::Shared(Arc::new(map)))
    }
}

impl core::fmt::Debug for MapRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}

/// How an insert treats an existing key.
///
/// ```no_run
/// use bpfmap::{bpf_map, Error, Errno, Update};
///
/// #[bpf_map(type = "hash", max_entries = 16)]
/// struct Owners { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let owners = maps.get::<Owners>();
/// owners.insert(&80, &1000, Update::NoExist)?;               // claims port 80
/// let taken = owners.insert(&80, &1001, Update::NoExist).unwrap_err();
/// assert_eq!(taken.errno(), Some(Errno::EEXIST));
/// owners.insert(&80, &1001, Update::Exist)?;                 // hands it over
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Update {
    /// Create or replace (`BPF_ANY`).
    #[default]
    Any,
    /// Only create: fails with `EEXIST` if the key exists (`BPF_NOEXIST`).
    NoExist,
    /// Only replace: fails with `ENOENT` if the key is absent (`BPF_EXIST`).
    Exist,
}

impl Update {
    pub(crate) const fn flags(self) -> u64 {
        match self {
            Update::Any => 0,
            Update::NoExist => 1,
            Update::Exist => 2,
        }
    }
}

/// `BPF_F_LOCK` where values of type `V` hold a [`SpinLock`](crate::SpinLock): lookups and
/// updates then copy the value while holding the lock (and the kernel refuses the flag for a
/// map whose value, as its BTF describes it, has none).
pub(crate) const fn lock_flag<V: crate::Pod>() -> u64 {
    const BPF_F_LOCK: u64 = 4;
    if V::BTF.contains_spin_lock() { BPF_F_LOCK } else { 0 }
}

/// The key or value sizes a handle can serve.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Size {
    /// Exactly this many bytes: the size of the handle's `K` or `V`.
    Of(usize, &'static str),
    /// One of these sizes (an fd, or an fd and a program fd).
    OneOf(&'static [u32]),
    /// Any size: the handle sizes its buffers from the map's definition.
    Any,
}

impl Size {
    fn of<T>() -> Size {
        Size::Of(size_of::<T>(), core::any::type_name::<T>())
    }

    /// Why `size` does not fit, if it does not.
    fn misfit(self, what: &str, size: u32) -> Option<String> {
        match self {
            Size::Of(n, _) if n == size as usize => None,
            Size::Of(n, ty) => Some(format!("{what} is {size} but `{ty}` is {n} bytes")),
            Size::OneOf(sizes) if sizes.contains(&size) => None,
            Size::OneOf(sizes) => Some(format!("{what} is {size}, and this handle serves {sizes:?}")),
            Size::Any => None,
        }
    }
}

/// The one check every handle constructor makes before it keeps `map`: the map's type belongs
/// to one of `families`, and its key and value sizes (as created, which are the kernel's) are
/// what the handle reads and writes. Every `unsafe` element operation of a handle rests on it.
pub(crate) fn check_handle(
    map: &Map,
    families: &[Family],
    handle: &str,
    key: Size,
    value: Size,
) -> Result<(), Error> {
    let def = map.def();
    let family = def.map_type.rules().map(|r| r.family);
    let what = if !family.is_some_and(|f| families.contains(&f)) {
        Some(format!("`{handle}` cannot serve `{}` maps", def.map_type))
    } else {
        key.misfit("key_size", def.key_size).or_else(|| value.misfit("value_size", def.value_size))
    };
    match what {
        Some(what) => Err(Error::Mismatch { map: map.label(), what }),
        None => Ok(()),
    }
}

/// [`check_handle`] for a handle with keys `K` and values `V`.
pub(crate) fn check_shape<K, V>(map: &Map, families: &[Family], handle: &str) -> Result<(), Error> {
    check_handle(map, families, handle, Size::of::<K>(), Size::of::<V>())
}

/// [`check_handle`] for a handle with keys `K` whose value is not a Rust type.
pub(crate) fn check_key<K>(map: &Map, families: &[Family], handle: &str, value: Size) -> Result<(), Error> {
    check_handle(map, families, handle, Size::of::<K>(), value)
}

/// The type parameters a handle holds without owning values of them.
type Types<K, V> = PhantomData<fn() -> (K, V)>;
