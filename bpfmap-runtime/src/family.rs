//! Handle families: which typed handle `Maps::get` returns for each map type.
//!
//! `#[bpf_map]` sets `MapDecl::Family` from the rule book's [`Family`](crate::rules::Family) of
//! the declared type, so a per-CPU map's handle cannot be used as a plain one.

use crate::handles::{self, ArrayMap, HashMap, PerCpuHashMap};
use crate::{Map, Pod};

/// A family of map types served by one handle type.
pub trait Family: 'static {
    /// The handle, borrowing the map.
    type Handle<'m, K: Pod, V: Pod>;
    /// The handle of a map of this family whose key and value types are `K` and `V`.
    #[doc(hidden)]
    fn handle<K: Pod, V: Pod>(map: &Map) -> Self::Handle<'_, K, V>;
}

macro_rules! families {
    ($($(#[doc = $doc:literal])* $name:ident => $handle:ty, |$map:ident| $make:expr;)*) => { $(
        $(#[doc = $doc])*
        #[derive(Debug)]
        pub enum $name {}

        impl Family for $name {
            type Handle<'m, K: Pod, V: Pod> = $handle;
            fn handle<K: Pod, V: Pod>($map: &Map) -> Self::Handle<'_, K, V> {
                $make
            }
        }
    )* };
}

families! {
    /// `hash`, `lru_hash`: [`HashMap`].
    Hash => HashMap<'m, K, V>, |map| HashMap::new_unchecked(map);
    /// `array`: [`ArrayMap`].
    Array => ArrayMap<'m, V>, |map| ArrayMap::new_unchecked(map);
    /// `percpu_hash`, `lru_percpu_hash`: [`PerCpuHashMap`].
    PerCpuHash => PerCpuHashMap<'m, K, V>, |map| PerCpuHashMap::new_unchecked(map);
    /// `percpu_array`: [`PerCpuArray`](handles::PerCpuArray).
    PerCpuArray => handles::PerCpuArray<'m, V>, |map| handles::PerCpuArray::new_unchecked(map);
    /// `lpm_trie`: [`LpmTrie`](handles::LpmTrie).
    LpmTrie => handles::LpmTrie<'m, K, V>, |map| handles::LpmTrie::new_unchecked(map);
    /// `queue`: [`Queue`](handles::Queue).
    Queue => handles::Queue<'m, V>, |map| handles::Queue::new_unchecked(map);
    /// `stack`: [`Stack`](handles::Stack).
    Stack => handles::Stack<'m, V>, |map| handles::Stack::new_unchecked(map);
    /// `bloom_filter`: [`BloomFilter`](handles::BloomFilter).
    BloomFilter => handles::BloomFilter<'m, V>, |map| handles::BloomFilter::new_unchecked(map);
    /// `ringbuf`: [`RingBuf`](handles::RingBuf).
    RingBuf => handles::RingBuf<'m>, |map| handles::RingBuf::new_unchecked(map);
    /// `user_ringbuf`: [`UserRingBuf`](handles::UserRingBuf).
    UserRingBuf => handles::UserRingBuf<'m>, |map| handles::UserRingBuf::new_unchecked(map);
    /// `array_of_maps`, `hash_of_maps`: [`MapOfMaps`](handles::MapOfMaps).
    MapOfMaps => handles::MapOfMaps<'m, K>, |map| handles::MapOfMaps::new_unchecked(map);
    /// `prog_array`: [`ProgArray`](handles::ProgArray).
    ProgArray => handles::ProgArray<'m>, |map| handles::ProgArray::new_unchecked(map);
    /// `perf_event_array`: [`PerfEventArray`](handles::PerfEventArray).
    PerfEventArray => handles::PerfEventArray<'m>, |map| handles::PerfEventArray::new_unchecked(map);
    /// `cgroup_array`: [`CgroupArray`](handles::CgroupArray).
    CgroupArray => handles::CgroupArray<'m>, |map| handles::CgroupArray::new_unchecked(map);
    /// `devmap`, `devmap_hash`: [`DevMap`](handles::DevMap).
    DevMap => handles::DevMap<'m>, |map| handles::DevMap::new_unchecked(map);
    /// `cpumap`: [`CpuMap`](handles::CpuMap).
    CpuMap => handles::CpuMap<'m>, |map| handles::CpuMap::new_unchecked(map);
    /// `xskmap`: [`XskMap`](handles::XskMap).
    XskMap => handles::XskMap<'m>, |map| handles::XskMap::new_unchecked(map);
    /// `sockmap`, `sockhash`: [`SockMap`](handles::SockMap).
    SockMap => handles::SockMap<'m, K>, |map| handles::SockMap::new_unchecked(map);
    /// `reuseport_sockarray`: [`ReuseportSockArray`](handles::ReuseportSockArray).
    ReuseportSockArray => handles::ReuseportSockArray<'m>, |map| handles::ReuseportSockArray::new_unchecked(map);
    /// `stack_trace`: [`StackTraceMap`](handles::StackTraceMap).
    StackTrace => handles::StackTraceMap<'m>, |map| handles::StackTraceMap::new_unchecked(map);
    /// `cgroup_storage`: [`CgroupStorage`](handles::CgroupStorage).
    CgroupStorage => handles::CgroupStorage<'m, K, V>, |map| handles::CgroupStorage::new_unchecked(map);
    /// `percpu_cgroup_storage`: [`PerCpuCgroupStorage`](handles::PerCpuCgroupStorage).
    PerCpuCgroupStorage => handles::PerCpuCgroupStorage<'m, K, V>, |map| handles::PerCpuCgroupStorage::new_unchecked(map);
    /// `arena`: [`Arena`](handles::Arena).
    Arena => handles::Arena<'m>, |map| handles::Arena::new_unchecked(map);
    /// Types with no typed handle: the untyped [`Map`].
    Untyped => &'m Map, |map| map;
}
