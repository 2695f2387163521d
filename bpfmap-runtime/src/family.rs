//! Handle families: which typed handle `Maps::get` returns for each map type.
//!
//! `#[bpf_map]` sets `MapDecl::Family` from the rule book's [`Family`](crate::rules::Family) of
//! the declared type, so a per-CPU map's handle cannot be used as a plain one.

use crate::handles::{ArrayMap, HashMap};
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
    /// `percpu_hash`, `lru_percpu_hash`.
    PerCpuHash => &'m Map, |map| map;
    /// `percpu_array`.
    PerCpuArray => &'m Map, |map| map;
    /// `lpm_trie`.
    LpmTrie => &'m Map, |map| map;
    /// `queue`.
    Queue => &'m Map, |map| map;
    /// `stack`.
    Stack => &'m Map, |map| map;
    /// `bloom_filter`.
    BloomFilter => &'m Map, |map| map;
    /// `ringbuf`.
    RingBuf => &'m Map, |map| map;
    /// `user_ringbuf`.
    UserRingBuf => &'m Map, |map| map;
    /// `array_of_maps`, `hash_of_maps`.
    MapOfMaps => &'m Map, |map| map;
    /// Maps of fds: program, perf event, cgroup, device, CPU, socket and XDP-socket maps.
    FdMap => &'m Map, |map| map;
    /// `stack_trace`.
    StackTrace => &'m Map, |map| map;
    /// `cgroup_storage`, `percpu_cgroup_storage`.
    CgroupStorage => &'m Map, |map| map;
    /// `arena`.
    Arena => &'m Map, |map| map;
    /// Types with no typed handle: the untyped [`Map`].
    Untyped => &'m Map, |map| map;
}
