//! `MapType`: the kernel's `enum bpf_map_type`, by number.

use core::fmt;

use super::table::{self, TypeRules};

/// A map type, as the `map_type` number of `BPF_MAP_CREATE`.
///
/// A newtype over the raw number rather than an enum: the kernel grows new types, and a
/// definition read from elsewhere may carry a number this crate does not know. Every known
/// type has a constant and an entry in the rule book ([`MapType::rules`]).
///
/// ```
/// use bpfmap::MapType;
/// assert_eq!(MapType::from_name("lru_hash"), Some(MapType::LRU_HASH));
/// assert_eq!(MapType::LRU_HASH.raw(), 9);
/// assert_eq!(MapType::from_raw(9).name(), Some("lru_hash"));
/// assert_eq!(MapType::from_raw(1000).name(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapType(u32);

impl MapType {
    /// `BPF_MAP_TYPE_UNSPEC`: never valid.
    pub const UNSPEC: MapType = MapType(0);
    /// `BPF_MAP_TYPE_HASH`: a hash table.
    #[doc(alias = "BPF_MAP_TYPE_HASH")]
    pub const HASH: MapType = MapType(1);
    /// `BPF_MAP_TYPE_ARRAY`: an array indexed by `u32`.
    #[doc(alias = "BPF_MAP_TYPE_ARRAY")]
    pub const ARRAY: MapType = MapType(2);
    /// `BPF_MAP_TYPE_PROG_ARRAY`: program fds for tail calls.
    #[doc(alias = "BPF_MAP_TYPE_PROG_ARRAY")]
    pub const PROG_ARRAY: MapType = MapType(3);
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: perf event fds, one per CPU.
    #[doc(alias = "BPF_MAP_TYPE_PERF_EVENT_ARRAY")]
    pub const PERF_EVENT_ARRAY: MapType = MapType(4);
    /// `BPF_MAP_TYPE_PERCPU_HASH`: a hash table with one value per possible CPU.
    #[doc(alias = "BPF_MAP_TYPE_PERCPU_HASH")]
    pub const PERCPU_HASH: MapType = MapType(5);
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`: an array with one value per possible CPU.
    #[doc(alias = "BPF_MAP_TYPE_PERCPU_ARRAY")]
    pub const PERCPU_ARRAY: MapType = MapType(6);
    /// `BPF_MAP_TYPE_STACK_TRACE`: stack traces collected by `bpf_get_stackid`.
    #[doc(alias = "BPF_MAP_TYPE_STACK_TRACE")]
    pub const STACK_TRACE: MapType = MapType(7);
    /// `BPF_MAP_TYPE_CGROUP_ARRAY`: cgroup fds.
    #[doc(alias = "BPF_MAP_TYPE_CGROUP_ARRAY")]
    pub const CGROUP_ARRAY: MapType = MapType(8);
    /// `BPF_MAP_TYPE_LRU_HASH`: a hash table that evicts the least recently used entry.
    #[doc(alias = "BPF_MAP_TYPE_LRU_HASH")]
    pub const LRU_HASH: MapType = MapType(9);
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`: an LRU hash with one value per possible CPU.
    #[doc(alias = "BPF_MAP_TYPE_LRU_PERCPU_HASH")]
    pub const LRU_PERCPU_HASH: MapType = MapType(10);
    /// `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix match.
    #[doc(alias = "BPF_MAP_TYPE_LPM_TRIE")]
    pub const LPM_TRIE: MapType = MapType(11);
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`: an array whose values are maps.
    #[doc(alias = "BPF_MAP_TYPE_ARRAY_OF_MAPS")]
    pub const ARRAY_OF_MAPS: MapType = MapType(12);
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`: a hash table whose values are maps.
    #[doc(alias = "BPF_MAP_TYPE_HASH_OF_MAPS")]
    pub const HASH_OF_MAPS: MapType = MapType(13);
    /// `BPF_MAP_TYPE_DEVMAP`: network devices for XDP redirect, by index.
    #[doc(alias = "BPF_MAP_TYPE_DEVMAP")]
    pub const DEVMAP: MapType = MapType(14);
    /// `BPF_MAP_TYPE_SOCKMAP`: sockets, by index.
    #[doc(alias = "BPF_MAP_TYPE_SOCKMAP")]
    pub const SOCKMAP: MapType = MapType(15);
    /// `BPF_MAP_TYPE_CPUMAP`: CPUs for XDP redirect.
    #[doc(alias = "BPF_MAP_TYPE_CPUMAP")]
    pub const CPUMAP: MapType = MapType(16);
    /// `BPF_MAP_TYPE_XSKMAP`: AF_XDP sockets.
    #[doc(alias = "BPF_MAP_TYPE_XSKMAP")]
    pub const XSKMAP: MapType = MapType(17);
    /// `BPF_MAP_TYPE_SOCKHASH`: sockets, by arbitrary key.
    #[doc(alias = "BPF_MAP_TYPE_SOCKHASH")]
    pub const SOCKHASH: MapType = MapType(18);
    /// `BPF_MAP_TYPE_CGROUP_STORAGE`: per-cgroup storage for cgroup programs.
    #[doc(alias = "BPF_MAP_TYPE_CGROUP_STORAGE")]
    pub const CGROUP_STORAGE: MapType = MapType(19);
    /// `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`: sockets for `SO_REUSEPORT` selection.
    #[doc(alias = "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY")]
    pub const REUSEPORT_SOCKARRAY: MapType = MapType(20);
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`: per-cgroup, per-CPU storage.
    #[doc(alias = "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE")]
    pub const PERCPU_CGROUP_STORAGE: MapType = MapType(21);
    /// `BPF_MAP_TYPE_QUEUE`: a FIFO of values.
    #[doc(alias = "BPF_MAP_TYPE_QUEUE")]
    pub const QUEUE: MapType = MapType(22);
    /// `BPF_MAP_TYPE_STACK`: a LIFO of values.
    #[doc(alias = "BPF_MAP_TYPE_STACK")]
    pub const STACK: MapType = MapType(23);
    /// `BPF_MAP_TYPE_SK_STORAGE`: socket-local storage (needs BTF).
    #[doc(alias = "BPF_MAP_TYPE_SK_STORAGE")]
    pub const SK_STORAGE: MapType = MapType(24);
    /// `BPF_MAP_TYPE_DEVMAP_HASH`: network devices for XDP redirect, by key.
    #[doc(alias = "BPF_MAP_TYPE_DEVMAP_HASH")]
    pub const DEVMAP_HASH: MapType = MapType(25);
    /// `BPF_MAP_TYPE_STRUCT_OPS`: a kernel struct of function pointers (needs BTF).
    #[doc(alias = "BPF_MAP_TYPE_STRUCT_OPS")]
    pub const STRUCT_OPS: MapType = MapType(26);
    /// `BPF_MAP_TYPE_RINGBUF`: a ring buffer from the kernel to user space.
    #[doc(alias = "BPF_MAP_TYPE_RINGBUF")]
    pub const RINGBUF: MapType = MapType(27);
    /// `BPF_MAP_TYPE_INODE_STORAGE`: inode-local storage (needs BTF).
    #[doc(alias = "BPF_MAP_TYPE_INODE_STORAGE")]
    pub const INODE_STORAGE: MapType = MapType(28);
    /// `BPF_MAP_TYPE_TASK_STORAGE`: task-local storage (needs BTF).
    #[doc(alias = "BPF_MAP_TYPE_TASK_STORAGE")]
    pub const TASK_STORAGE: MapType = MapType(29);
    /// `BPF_MAP_TYPE_BLOOM_FILTER`: a probabilistic set.
    #[doc(alias = "BPF_MAP_TYPE_BLOOM_FILTER")]
    pub const BLOOM_FILTER: MapType = MapType(30);
    /// `BPF_MAP_TYPE_USER_RINGBUF`: a ring buffer from user space to the kernel.
    #[doc(alias = "BPF_MAP_TYPE_USER_RINGBUF")]
    pub const USER_RINGBUF: MapType = MapType(31);
    /// `BPF_MAP_TYPE_CGRP_STORAGE`: cgroup-local storage (needs BTF).
    #[doc(alias = "BPF_MAP_TYPE_CGRP_STORAGE")]
    pub const CGRP_STORAGE: MapType = MapType(32);
    /// `BPF_MAP_TYPE_ARENA`: memory shared by programs and user space, by page.
    #[doc(alias = "BPF_MAP_TYPE_ARENA")]
    pub const ARENA: MapType = MapType(33);
    /// `BPF_MAP_TYPE_INSN_ARRAY`: instruction offsets of a program (Linux 6.19).
    #[doc(alias = "BPF_MAP_TYPE_INSN_ARRAY")]
    pub const INSN_ARRAY: MapType = MapType(34);

    /// Wraps a raw `map_type` number, known or not.
    pub const fn from_raw(raw: u32) -> MapType {
        MapType(raw)
    }

    /// The raw `map_type` number.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The rule book's entry for this type, or `None` for a number no released kernel has.
    pub const fn rules(self) -> Option<&'static TypeRules> {
        table::rules_of(self)
    }

    /// The attribute name (`"lru_hash"`), or `None` for an unknown number.
    pub const fn name(self) -> Option<&'static str> {
        match self.rules() {
            Some(r) => Some(r.name),
            None => None,
        }
    }

    /// The type whose attribute name is `name` (`"hash"`, `"percpu_array"`, ...).
    pub fn from_name(name: &str) -> Option<MapType> {
        table::all().iter().find(|r| r.name == name).map(|r| r.map_type)
    }

    /// Every map type in the rule book, in kernel order.
    pub fn all() -> impl ExactSizeIterator<Item = MapType> + Clone {
        table::all().iter().map(|r| r.map_type)
    }
}

impl fmt::Debug for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "MapType::{}", name.to_ascii_uppercase()),
            None => write!(f, "MapType({})", self.0),
        }
    }
}

/// The attribute name (`hash`), or `type 1000` for an unknown number.
impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "type {}", self.0),
        }
    }
}
