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
mod lpm;
mod map_of_maps;
mod mmap;
mod percpu;
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
pub use lpm::{LpmIter, LpmKey, LpmTrie};
pub use map_of_maps::MapOfMaps;
pub use mmap::{MmapArray, MmapIter};
pub use percpu::{PerCpuArray, PerCpuDrain, PerCpuHashMap, PerCpuIter, PerCpuValues};
pub use queue::{Queue, Stack};
pub use ringbuf::{RingBuf, RingBufConsumer, UserRingBuf, UserRingBufProducer};
pub use stack_trace::StackTraceMap;
pub use storage::{CgroupStorage, PerCpuCgroupStorage};

use core::marker::PhantomData;

use crate::rules::Family;
use crate::{Error, Map, Pod};

/// How an insert treats an existing key.
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

/// Checks that `map` belongs to one of `families` and has the sizes of `K` and `V`.
pub(crate) fn check_shape<K: Pod, V: Pod>(map: &Map, families: &[Family], handle: &str) -> Result<(), Error> {
    let def = map.def();
    let family = def.map_type.rules().map(|r| r.family);
    let mismatch = |what: String| Err(Error::Mismatch { map: map.label(), what });
    if !family.is_some_and(|f| families.contains(&f)) {
        return mismatch(format!("`{handle}` cannot serve `{}` maps", def.map_type));
    }
    if def.key_size as usize != size_of::<K>() {
        return mismatch(format!(
            "key_size is {} but `{}` is {} bytes",
            def.key_size,
            core::any::type_name::<K>(),
            size_of::<K>()
        ));
    }
    if def.value_size as usize != size_of::<V>() {
        return mismatch(format!(
            "value_size is {} but `{}` is {} bytes",
            def.value_size,
            core::any::type_name::<V>(),
            size_of::<V>()
        ));
    }
    Ok(())
}

/// Checks that `map` belongs to one of `families` (for handles whose value is not a Rust type).
pub(crate) fn check_family(map: &Map, families: &[Family], handle: &str) -> Result<(), Error> {
    match map.def().map_type.rules().map(|r| r.family) {
        Some(f) if families.contains(&f) => Ok(()),
        _ => Err(Error::Mismatch {
            map: map.label(),
            what: format!("`{handle}` cannot serve `{}` maps", map.def().map_type),
        }),
    }
}

/// Checks the key size against `K` as well.
pub(crate) fn check_family_key<K>(map: &Map, families: &[Family], handle: &str) -> Result<(), Error> {
    check_family(map, families, handle)?;
    if map.def().key_size as usize != size_of::<K>() {
        return Err(Error::Mismatch {
            map: map.label(),
            what: format!(
                "key_size is {} but `{}` is {} bytes",
                map.def().key_size,
                core::any::type_name::<K>(),
                size_of::<K>()
            ),
        });
    }
    Ok(())
}

/// The type parameters a handle holds without owning values of them.
type Types<K, V> = PhantomData<fn() -> (K, V)>;
