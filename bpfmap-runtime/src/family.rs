//! Handle families: which typed handle `Maps::get` returns for each map type.
//!
//! `#[bpf_map]` sets `MapDecl::Family` from the rule book's [`Family`](crate::rules::Family) of
//! the declared type, so a per-CPU map's handle cannot be used as a plain one. Not public API:
//! the generated code reaches it through `__private`, and the trait is sealed.
//!
//! There is no unchecked path from a [`Map`] to a typed handle: [`Family::handle`] calls the
//! handle's public, checking constructor (`HashMap::new`, ...), which compares the map's type,
//! key size and value size with the handle's `K` and `V`. A declaration that lies about its
//! types gets [`Error::Mismatch`], never a handle.

use crate::handles::{self, ArrayMap, HashMap, MapRef, PerCpuHashMap};
use crate::{Error, Pod};

mod sealed {
    /// Only the families below implement [`Family`](super::Family).
    pub trait Sealed {}
}

/// A family of map types served by one handle type.
pub trait Family: sealed::Sealed + 'static {
    /// The handle, borrowing the map.
    type Handle<'m, K: Pod, V: Pod>;
    /// The handle of `map`, whose type, key size and value size are checked against this
    /// family, `K` and `V`.
    fn handle<'m, K: Pod, V: Pod>(map: MapRef<'m>) -> Result<Self::Handle<'m, K, V>, Error>;
}

macro_rules! families {
    ($($(#[doc = $doc:literal])* $name:ident => $handle:ty, |$map:ident| $make:expr;)*) => { $(
        $(#[doc = $doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl sealed::Sealed for $name {}

        impl Family for $name {
            type Handle<'m, K: Pod, V: Pod> = $handle;
            fn handle<'m, K: Pod, V: Pod>($map: MapRef<'m>) -> Result<Self::Handle<'m, K, V>, Error> {
                $make
            }
        }
    )* };
}

families! {
    /// `hash`, `lru_hash`: [`HashMap`].
    Hash => HashMap<'m, K, V>, |map| HashMap::new(map);
    /// `array`: [`ArrayMap`].
    Array => ArrayMap<'m, V>, |map| ArrayMap::new(map);
    /// `percpu_hash`, `lru_percpu_hash`: [`PerCpuHashMap`].
    PerCpuHash => PerCpuHashMap<'m, K, V>, |map| PerCpuHashMap::new(map);
    /// `percpu_array`: [`PerCpuArray`](handles::PerCpuArray).
    PerCpuArray => handles::PerCpuArray<'m, V>, |map| handles::PerCpuArray::new(map);
    /// `lpm_trie`: [`LpmTrie`](handles::LpmTrie).
    LpmTrie => handles::LpmTrie<'m, K, V>, |map| handles::LpmTrie::new(map);
    /// `queue`: [`Queue`](handles::Queue).
    Queue => handles::Queue<'m, V>, |map| handles::Queue::new(map);
    /// `stack`: [`Stack`](handles::Stack).
    Stack => handles::Stack<'m, V>, |map| handles::Stack::new(map);
    /// `bloom_filter`: [`BloomFilter`](handles::BloomFilter).
    BloomFilter => handles::BloomFilter<'m, V>, |map| handles::BloomFilter::new(map);
    /// `ringbuf`: [`RingBuf`](handles::RingBuf).
    RingBuf => handles::RingBuf<'m>, |map| handles::RingBuf::new(map);
    /// `user_ringbuf`: [`UserRingBuf`](handles::UserRingBuf).
    UserRingBuf => handles::UserRingBuf<'m>, |map| handles::UserRingBuf::new(map);
    /// `array_of_maps`, `hash_of_maps`: [`MapOfMaps`](handles::MapOfMaps).
    MapOfMaps => handles::MapOfMaps<'m, K>, |map| handles::MapOfMaps::new(map);
    /// `prog_array`: [`ProgArray`](handles::ProgArray).
    ProgArray => handles::ProgArray<'m>, |map| handles::ProgArray::new(map);
    /// `perf_event_array`: [`PerfEventArray`](handles::PerfEventArray).
    PerfEventArray => handles::PerfEventArray<'m>, |map| handles::PerfEventArray::new(map);
    /// `cgroup_array`: [`CgroupArray`](handles::CgroupArray).
    CgroupArray => handles::CgroupArray<'m>, |map| handles::CgroupArray::new(map);
    /// `devmap`, `devmap_hash`: [`DevMap`](handles::DevMap).
    DevMap => handles::DevMap<'m>, |map| handles::DevMap::new(map);
    /// `cpumap`: [`CpuMap`](handles::CpuMap).
    CpuMap => handles::CpuMap<'m>, |map| handles::CpuMap::new(map);
    /// `xskmap`: [`XskMap`](handles::XskMap).
    XskMap => handles::XskMap<'m>, |map| handles::XskMap::new(map);
    /// `sockmap`, `sockhash`: [`SockMap`](handles::SockMap).
    SockMap => handles::SockMap<'m, K>, |map| handles::SockMap::new(map);
    /// `reuseport_sockarray`: [`ReuseportSockArray`](handles::ReuseportSockArray).
    ReuseportSockArray => handles::ReuseportSockArray<'m>, |map| handles::ReuseportSockArray::new(map);
    /// `stack_trace`: [`StackTraceMap`](handles::StackTraceMap).
    StackTrace => handles::StackTraceMap<'m>, |map| handles::StackTraceMap::new(map);
    /// `cgroup_storage`: [`CgroupStorage`](handles::CgroupStorage).
    CgroupStorage => handles::CgroupStorage<'m, K, V>, |map| handles::CgroupStorage::new(map);
    /// `percpu_cgroup_storage`: [`PerCpuCgroupStorage`](handles::PerCpuCgroupStorage).
    PerCpuCgroupStorage => handles::PerCpuCgroupStorage<'m, K, V>, |map| handles::PerCpuCgroupStorage::new(map);
    /// `arena`: [`Arena`](handles::Arena).
    Arena => handles::Arena<'m>, |map| handles::Arena::new(map);
    /// `sk_storage`, `task_storage`, `inode_storage`, `cgrp_storage`:
    /// [`LocalStorage`](handles::LocalStorage).
    LocalStorage => handles::LocalStorage<'m, V>, |map| handles::LocalStorage::new(map);
    /// Types with no typed handle: the untyped [`Map`](crate::Map), through a [`MapRef`].
    Untyped => MapRef<'m>, |map| Ok(map);
}
