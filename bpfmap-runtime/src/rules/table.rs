//! The rule book's data: one entry per map type, in kernel order.
//!
//! Each entry states what `BPF_MAP_CREATE` accepts for that type on Linux 6.18 (x86_64), as
//! read from each type's `map_alloc_check`/`map_alloc` in `kernel/bpf/*.c` and confirmed on a
//! live kernel by the differential test (`tests/differential.rs`). Rules that no single field
//! can express (hash key+value limits, per-CPU value rounding, stack trace depth, flag pairs)
//! are code in `validate.rs`, which reads this table for everything else.

use crate::Errno;

use super::{KernelVersion, MapFlags, MapType};

/// What the kernel accepts as `key_size` or `value_size` for one map type.
///
/// ```
/// use bpfmap::MapType;
/// use bpfmap::rules::SizeRule;
///
/// let rules = MapType::ARRAY.rules().unwrap();
/// assert!(matches!(rules.key, SizeRule::Exactly { size: 4, .. }));   // a u32 index
/// assert!(matches!(MapType::QUEUE.rules().unwrap().key, SizeRule::Zero { .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeRule {
    /// The type has no key (or no value): the size must be 0 and the struct has no such field.
    Zero {
        /// The rule in words.
        why: &'static str,
    },
    /// Exactly `size` bytes.
    Exactly {
        /// The only size accepted.
        size: u32,
        /// The rule in words.
        why: &'static str,
    },
    /// Either of two sizes.
    Either {
        /// One size accepted.
        a: u32,
        /// The other size accepted.
        b: u32,
        /// The rule in words.
        why: &'static str,
    },
    /// `min..=max` bytes; below `min` is `EINVAL`, above `max` is `over`.
    Range {
        /// The smallest size accepted.
        min: u32,
        /// The largest size accepted.
        max: u32,
        /// The errno for a size above `max`.
        over: Errno,
        /// The rule in words.
        why: &'static str,
    },
}

impl SizeRule {
    /// Whether `size` satisfies the rule, and if not, the errno the kernel gives.
    pub const fn check(&self, size: u32) -> Result<(), Errno> {
        match *self {
            SizeRule::Zero { .. } if size == 0 => Ok(()),
            SizeRule::Exactly { size: s, .. } if size == s => Ok(()),
            SizeRule::Either { a, b, .. } if size == a || size == b => Ok(()),
            SizeRule::Range { min, max, .. } if size >= min && size <= max => Ok(()),
            SizeRule::Range { max, over, .. } if size > max => Err(over),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The rule in words.
    pub const fn why(&self) -> &'static str {
        match *self {
            SizeRule::Zero { why }
            | SizeRule::Exactly { why, .. }
            | SizeRule::Either { why, .. }
            | SizeRule::Range { why, .. } => why,
        }
    }

    /// Whether the type has this field at all.
    pub const fn is_zero(&self) -> bool {
        matches!(self, SizeRule::Zero { .. })
    }
}

/// What the kernel accepts as `max_entries` for one map type.
///
/// ```
/// use bpfmap::MapType;
/// use bpfmap::rules::EntriesRule;
///
/// match MapType::BLOOM_FILTER.rules().unwrap().max_entries {
///     EntriesRule::Range { min, .. } => assert_eq!(min, 1),
///     other => println!("{other:?}"),
/// }
/// // Hash tables bound the bucket array instead (at most 2^27 entries).
/// assert!(matches!(MapType::HASH.rules().unwrap().max_entries, EntriesRule::Buckets { .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntriesRule {
    /// `min..=max`; below `min` is `EINVAL`, above `max` is `over`.
    Range {
        /// The smallest count accepted.
        min: u32,
        /// The largest count accepted.
        max: u32,
        /// The errno for a count above `max`.
        over: Errno,
        /// The rule in words.
        why: &'static str,
    },
    /// The hash tables' bucket limit: `roundup_pow_of_two(max_entries)` buckets of 16 bytes
    /// must fit a u32, so at most 2^27 entries (after LRU per-CPU rounding); above is `over`.
    Buckets {
        /// The errno for a count above the limit.
        over: Errno,
        /// The rule in words.
        why: &'static str,
    },
    /// At most `CONFIG_NR_CPUS` of the running kernel (`E2BIG` above), which only the host knows.
    Cpus {
        /// The rule in words.
        why: &'static str,
    },
    /// Exactly `n`.
    Exactly {
        /// The only count accepted.
        n: u32,
        /// The rule in words.
        why: &'static str,
    },
    /// A ring buffer's data size in bytes: a power of two and a multiple of the page size.
    RingSize {
        /// The rule in words.
        why: &'static str,
    },
}

impl EntriesRule {
    /// The rule in words.
    pub const fn why(&self) -> &'static str {
        match *self {
            EntriesRule::Range { why, .. }
            | EntriesRule::Buckets { why, .. }
            | EntriesRule::Cpus { why }
            | EntriesRule::Exactly { why, .. }
            | EntriesRule::RingSize { why } => why,
        }
    }
}

/// Which typed handle serves a map type.
///
/// ```
/// use bpfmap::MapType;
/// use bpfmap::rules::Family;
///
/// assert_eq!(MapType::LRU_HASH.rules().unwrap().family, Family::Hash);   // a HashMap too
/// assert_eq!(MapType::RINGBUF.rules().unwrap().family, Family::RingBuf);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// `hash`, `lru_hash`: `HashMap<K, V>`.
    Hash,
    /// `percpu_hash`, `lru_percpu_hash`: per-CPU values by key.
    PerCpuHash,
    /// `array`: values by `u32` index.
    Array,
    /// `percpu_array`: per-CPU values by `u32` index.
    PerCpuArray,
    /// `lpm_trie`: longest-prefix match.
    LpmTrie,
    /// `queue`: FIFO.
    Queue,
    /// `stack`: LIFO.
    Stack,
    /// `bloom_filter`: a probabilistic set of values.
    BloomFilter,
    /// `ringbuf`: records from the kernel.
    RingBuf,
    /// `user_ringbuf`: records to the kernel.
    UserRingBuf,
    /// `array_of_maps`, `hash_of_maps`: maps as values.
    MapOfMaps,
    /// `prog_array`: program fds by index, for tail calls.
    ProgArray,
    /// `perf_event_array`: perf event fds by CPU.
    PerfEventArray,
    /// `cgroup_array`: cgroup fds by index.
    CgroupArray,
    /// `devmap`, `devmap_hash`: network devices (and XDP programs) by key.
    DevMap,
    /// `cpumap`: CPU queue sizes (and XDP programs) by CPU.
    CpuMap,
    /// `xskmap`: AF_XDP socket fds by queue.
    XskMap,
    /// `sockmap`, `sockhash`: socket fds by key.
    SockMap,
    /// `reuseport_sockarray`: `SO_REUSEPORT` socket fds by index.
    ReuseportSockArray,
    /// `stack_trace`: stack traces by id.
    StackTrace,
    /// `cgroup_storage`: storage of cgroup-attached programs.
    CgroupStorage,
    /// `percpu_cgroup_storage`: per-CPU storage of cgroup-attached programs.
    PerCpuCgroupStorage,
    /// `arena`: pages shared by programs and user space.
    Arena,
    /// `sk_storage`, `task_storage`, `inode_storage`, `cgrp_storage`: a value per socket,
    /// task, inode or cgroup, by an fd of it.
    LocalStorage,
    /// A type this crate creates but has no typed handle for.
    Untyped,
}

impl Family {
    /// The marker type's name in `bpfmap::family`.
    pub const fn marker(self) -> &'static str {
        match self {
            Family::Hash => "Hash",
            Family::PerCpuHash => "PerCpuHash",
            Family::Array => "Array",
            Family::PerCpuArray => "PerCpuArray",
            Family::LpmTrie => "LpmTrie",
            Family::Queue => "Queue",
            Family::Stack => "Stack",
            Family::BloomFilter => "BloomFilter",
            Family::RingBuf => "RingBuf",
            Family::UserRingBuf => "UserRingBuf",
            Family::MapOfMaps => "MapOfMaps",
            Family::ProgArray => "ProgArray",
            Family::PerfEventArray => "PerfEventArray",
            Family::CgroupArray => "CgroupArray",
            Family::DevMap => "DevMap",
            Family::CpuMap => "CpuMap",
            Family::XskMap => "XskMap",
            Family::SockMap => "SockMap",
            Family::ReuseportSockArray => "ReuseportSockArray",
            Family::StackTrace => "StackTrace",
            Family::CgroupStorage => "CgroupStorage",
            Family::PerCpuCgroupStorage => "PerCpuCgroupStorage",
            Family::Arena => "Arena",
            Family::LocalStorage => "LocalStorage",
            Family::Untyped => "Untyped",
        }
    }
}

/// What creating the type needs besides the attributes.
///
/// ```
/// use bpfmap::{Creation, MapType};
///
/// assert_eq!(MapType::HASH.rules().unwrap().creation, Creation::Standalone);
/// assert_eq!(MapType::HASH_OF_MAPS.rules().unwrap().creation, Creation::NeedsInner);
/// assert_eq!(MapType::TASK_STORAGE.rules().unwrap().creation, Creation::NeedsTypes);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Creation {
    /// Nothing: `BPF_MAP_CREATE` with the attributes alone.
    Standalone,
    /// A template map (`inner = OtherStruct`) whose fd goes in `inner_map_fd`.
    NeedsInner,
    /// The BTF of its key and value: a definition must have `key_type` and `value_type`
    /// (`#[bpf_map]` always gives them; a definition made at run time uses
    /// [`MapDef::with_types`](crate::MapDef::with_types)). The local storage maps.
    NeedsTypes,
    /// BTF that bpfmap does not produce: the kernel's own.
    NeedsBtf {
        /// What the kernel wants, in words.
        why: &'static str,
    },
}

/// What a map type accepts as the BTF of its key and value: the kernel's `map_check_btf`
/// for the type, as [`MapDef::validate`](crate::MapDef::validate) checks it before the map
/// is created with its types.
///
/// ```
/// use bpfmap::{BtfRule, MapType};
///
/// assert_eq!(MapType::HASH.rules().unwrap().btf, BtfRule::Any);
/// assert_eq!(MapType::QUEUE.rules().unwrap().btf, BtfRule::None);   // created without BTF
/// assert_eq!(MapType::LPM_TRIE.rules().unwrap().btf, BtfRule::StructKey);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtfRule {
    /// The kernel refuses BTF for the type: maps of it are created without, whatever their
    /// types (fd maps, stack traces, queues).
    None,
    /// Any key and value types (of the map's sizes).
    Any,
    /// The key must be a 32-bit integer (not an array or struct of 4 bytes).
    IntKey,
    /// The key must be a struct (`LpmKey` is one).
    StructKey,
    /// The key must be a 64-bit integer (a cgroup id), or a struct of exactly two members: an
    /// 8-byte integer at 0 and a 4-byte integer at 8 (`struct bpf_cgroup_storage_key`, which
    /// [`CgroupStorageKey`](crate::CgroupStorageKey) describes).
    CgroupStorageKey,
}

/// The capability the kernel wants to create a map (with `unprivileged_bpf_disabled` = 0;
/// otherwise every type needs `CAP_BPF`). A type's own class is [`TypeRules::privilege`];
/// [`MapDef::privilege`](crate::MapDef::privilege) adds what its flags ask for.
///
/// The kernel checks these capabilities in the initial user namespace, except for a map
/// created with a BPF token (Linux 6.9+, [`Token`](crate::Token)) whose bpffs delegates
/// `map_create` and the map's type: it then checks them in the user namespace that owns the
/// bpffs (a container's), so the token stands in for `CAP_BPF` and `CAP_NET_ADMIN` (and
/// `CAP_PERFMON`, which programs need), but never for `CAP_SYS_ADMIN`
/// ([`Privilege::token_stands_in`]).
///
/// ```
/// use bpfmap::{MapType, Privilege};
///
/// assert_eq!(MapType::HASH.rules().unwrap().privilege, Privilege::Unprivileged);
/// assert_eq!(MapType::DEVMAP.rules().unwrap().privilege, Privilege::NetAdmin);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Privilege {
    /// Any user, when the sysctl allows unprivileged BPF.
    Unprivileged,
    /// `CAP_BPF` (or `CAP_SYS_ADMIN`).
    Bpf,
    /// `CAP_NET_ADMIN` (or `CAP_SYS_ADMIN`); `CAP_BPF` alone is refused.
    NetAdmin,
    /// `CAP_SYS_ADMIN` itself: `zero_seed` on hash tables (`htab_map_alloc_check`), which
    /// the kernel keeps from everyone else as a denial-of-service guard.
    SysAdmin,
}

impl Privilege {
    /// Whether a BPF token whose bpffs delegates `map_create` and the map's type stands in for
    /// this capability: for `CAP_BPF` and `CAP_NET_ADMIN` (checked in the token's user
    /// namespace, where a container's root has them), not for `CAP_SYS_ADMIN` (checked in the
    /// initial user namespace, token or not).
    ///
    /// ```
    /// use bpfmap::{MapDef, MapFlags, MapType, Privilege};
    /// assert!(MapType::DEVMAP.rules().unwrap().privilege.token_stands_in()); // CAP_NET_ADMIN
    /// let seeded = MapDef::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::ZERO_SEED);
    /// assert_eq!(seeded.privilege(), Privilege::SysAdmin);
    /// assert!(!seeded.privilege().token_stands_in());
    /// ```
    pub const fn token_stands_in(self) -> bool {
        !matches!(self, Privilege::SysAdmin)
    }
}

/// Everything the rule book says about one map type.
///
/// ```
/// use bpfmap::{KernelVersion, MapFlags, MapType};
///
/// let ringbuf = MapType::RINGBUF.rules().unwrap();
/// assert_eq!(ringbuf.name, "ringbuf");
/// assert_eq!(ringbuf.since, KernelVersion::new(5, 8));
/// assert!(!ringbuf.flags.contains(MapFlags::NO_PREALLOC));
/// for rules in MapType::all().filter_map(MapType::rules) {
///     println!("{:<24} since {}", rules.name, rules.since);
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeRules {
    /// The type.
    pub map_type: MapType,
    /// Its attribute name: the uapi name, lowercase, without `BPF_MAP_TYPE_`.
    pub name: &'static str,
    /// The first mainline release that has it.
    pub since: KernelVersion,
    /// The handle that serves it.
    pub family: Family,
    /// `key_size`.
    pub key: SizeRule,
    /// `value_size`.
    pub value: SizeRule,
    /// `max_entries`.
    pub max_entries: EntriesRule,
    /// The flags it accepts (besides `token_fd`, which bpfmap sets itself when it creates a map
    /// with a BPF token, and refuses in a definition).
    pub flags: MapFlags,
    /// The flags it requires.
    pub required: MapFlags,
    /// What creating it needs.
    pub creation: Creation,
    /// What BTF it takes for its key and value.
    pub btf: BtfRule,
    /// Whether its values may hold a [`SpinLock`](crate::SpinLock).
    pub locks: bool,
    /// The capability it needs.
    pub privilege: Privilege,
    /// What it is, in one sentence.
    pub summary: &'static str,
}

// The sentences below are what users read in compile errors: each starts with the attribute.

const KEY_ANY: SizeRule = SizeRule::Range {
    min: 1,
    max: u32::MAX,
    over: Errno::E2BIG,
    why: "`key` must not be empty (zero-sized): hash tables need at least one key byte",
};
const KEY_INDEX: SizeRule = SizeRule::Exactly {
    size: 4,
    why: "`key` must be 4 bytes (a u32 index): array-like maps are indexed by u32",
};
const KEY_NONE: SizeRule =
    SizeRule::Zero { why: "this map type has no key: remove the `key` field (key_size must be 0)" };
const KEY_LPM: SizeRule = SizeRule::Range {
    min: 5,
    max: 260,
    over: Errno::EINVAL,
    why: "`key` must be 5 to 260 bytes: a u32 prefix length followed by 1 to 256 bytes of data",
};
const KEY_SOCKHASH: SizeRule = SizeRule::Range {
    min: 1,
    max: 512,
    over: Errno::E2BIG,
    why: "`key` must be 1 to 512 bytes: sockhash keys live on the BPF stack",
};
const KEY_CGROUP_STORAGE: SizeRule = SizeRule::Either {
    a: 8,
    b: 16,
    why: "`key` must be 8 bytes (a cgroup id) or 16 bytes (struct bpf_cgroup_storage_key)",
};
const KEY_LOCAL_STORAGE: SizeRule = SizeRule::Exactly {
    size: 4,
    why: "`key` must be 4 bytes (an int: the fd of the socket, inode, task or cgroup)",
};

const VALUE_ANY: SizeRule = SizeRule::Range {
    min: 1,
    max: u32::MAX,
    over: Errno::E2BIG,
    why: "`value` must not be empty (zero-sized): the kernel refuses value_size 0",
};
const VALUE_ARRAY: SizeRule = SizeRule::Range {
    min: 1,
    max: i32::MAX as u32,
    over: Errno::E2BIG,
    why: "`value` must be 1 byte to 2 GiB - 1 (INT_MAX): arrays refuse empty and larger values",
};
const VALUE_PERCPU: SizeRule = SizeRule::Range {
    min: 1,
    max: PCPU_MIN_UNIT_SIZE,
    over: Errno::E2BIG,
    why: "`value` must be 1 byte to 32 KiB: each per-CPU slot (rounded up to 8 bytes) must fit the kernel's per-CPU unit",
};
const VALUE_FD: SizeRule = SizeRule::Exactly {
    size: 4,
    why: "`value` must be 4 bytes (u32): it holds a file descriptor when written and an id when read",
};
const VALUE_FD_OR_COOKIE: SizeRule = SizeRule::Either {
    a: 4,
    b: 8,
    why: "`value` must be 4 bytes (a socket fd) or 8 bytes (a socket fd written, a socket cookie read)",
};
const VALUE_DEVMAP: SizeRule = SizeRule::Either {
    a: 4,
    b: 8,
    why: "`value` must be 4 bytes (an ifindex) or 8 bytes (struct bpf_devmap_val: ifindex and program fd)",
};
const VALUE_CPUMAP: SizeRule = SizeRule::Either {
    a: 4,
    b: 8,
    why: "`value` must be 4 bytes (a queue size) or 8 bytes (struct bpf_cpumap_val: queue size and program fd)",
};
const VALUE_NONE: SizeRule =
    SizeRule::Zero { why: "this map type has no value: remove the `value` field (value_size must be 0)" };
const VALUE_STACK_TRACE: SizeRule = SizeRule::Range {
    min: 8,
    max: u32::MAX,
    over: Errno::EINVAL,
    why: "`value` must be a whole number of u64 addresses (a multiple of 8 bytes, at least 8)",
};
const VALUE_LPM: SizeRule = SizeRule::Range {
    min: 1,
    max: KMALLOC_MAX_SIZE - 256 - 24,
    over: Errno::EINVAL,
    why: "`value` must be 1 byte to 4 MiB - 280 bytes: an LPM trie node must fit one kernel allocation",
};
const VALUE_KMALLOC: SizeRule = SizeRule::Range {
    min: 1,
    max: KMALLOC_MAX_SIZE,
    over: Errno::E2BIG,
    why: "`value` must be 1 byte to 4 MiB: larger values could not be copied to user space",
};
const VALUE_STORAGE: SizeRule = SizeRule::Range {
    min: 1,
    max: LOCAL_STORAGE_MAX_VALUE,
    over: Errno::E2BIG,
    why: "`value` must be 1 to 65407 bytes: local storage values are bounded by a u16 offset",
};
const VALUE_PERCPU_STORAGE: SizeRule = SizeRule::Range {
    min: 1,
    max: PCPU_MIN_UNIT_SIZE,
    over: Errno::E2BIG,
    why: "`value` must be 1 byte to 32 KiB: it must fit the kernel's per-CPU unit",
};
const VALUE_INSN: SizeRule =
    SizeRule::Exactly { size: 8, why: "`value` must be 8 bytes (struct bpf_insn_array_value)" };

const ENTRIES_ANY: EntriesRule =
    EntriesRule::Range { min: 1, max: u32::MAX, over: Errno::E2BIG, why: "`max_entries` must be at least 1" };
/// The one rule that is stricter than the kernel: it creates fd arrays of more than INT_MAX
/// entries, but its `fd_array_map_free` counts them with an `int` and oopses when the map is
/// freed (seen on 6.18: a page fault in `perf_event_fd_array_map_free`, the memory leaked).
const ENTRIES_FD_ARRAY: EntriesRule = EntriesRule::Range {
    min: 1,
    max: i32::MAX as u32,
    over: Errno::E2BIG,
    why: "`max_entries` must be 1 to 2^31 - 1: the kernel creates larger fd arrays but crashes when it frees them",
};
const ENTRIES_HASH: EntriesRule = EntriesRule::Buckets {
    over: Errno::E2BIG,
    why: "`max_entries` must be 1 to 2^27 (134217728): the bucket array must stay under 4 GiB",
};
const ENTRIES_SOCKHASH: EntriesRule = EntriesRule::Buckets {
    over: Errno::EINVAL,
    why: "`max_entries` must be 1 to 2^27 (134217728): the bucket array must stay under 4 GiB",
};
const ENTRIES_STACK_TRACE: EntriesRule = EntriesRule::Range {
    min: 1,
    max: 1 << 31,
    over: Errno::E2BIG,
    why: "`max_entries` must be 1 to 2^31: the bucket count is rounded up to a power of two",
};
const ENTRIES_DEVMAP_HASH: EntriesRule = EntriesRule::Range {
    min: 1,
    max: 1 << 31,
    over: Errno::EINVAL,
    why: "`max_entries` must be 1 to 2^31: the bucket count is rounded up to a power of two",
};
const ENTRIES_CPUS: EntriesRule = EntriesRule::Cpus {
    why: "`max_entries` must be 1 to CONFIG_NR_CPUS of the running kernel (one entry per CPU it can have)",
};
const ENTRIES_ZERO: EntriesRule = EntriesRule::Range {
    min: 0,
    max: 0,
    over: Errno::EINVAL,
    why: "`max_entries` must be 0: storage maps hold one value per owner and have no capacity",
};
const ENTRIES_RING: EntriesRule = EntriesRule::RingSize {
    why: "`max_entries` is the ring's size in bytes and must be a power of two and a multiple of the page size (4096, 8192, ...)",
};
const ENTRIES_ONE: EntriesRule =
    EntriesRule::Exactly { n: 1, why: "`max_entries` must be 1: a struct_ops map holds one struct" };
const ENTRIES_ARENA: EntriesRule = EntriesRule::Range {
    min: 1,
    max: 1 << 20,
    over: Errno::E2BIG,
    why: "`max_entries` is the arena's size in pages and must be 1 to 2^20 (4 GiB)",
};
const ENTRIES_INSN: EntriesRule =
    EntriesRule::Range { min: 1, max: 256, over: Errno::E2BIG, why: "`max_entries` must be 1 to 256" };

const HASH_FLAGS: MapFlags =
    MapFlags::NO_PREALLOC.union(MapFlags::NUMA_NODE).union(MapFlags::ACCESS).union(MapFlags::ZERO_SEED);
const FD_ARRAY_FLAGS: MapFlags = MapFlags::NUMA_NODE.union(MapFlags::RDONLY).union(MapFlags::WRONLY);
const QUEUE_FLAGS: MapFlags = MapFlags::NUMA_NODE.union(MapFlags::ACCESS);
const LOCAL_STORAGE_FLAGS: MapFlags = MapFlags::NO_PREALLOC.union(MapFlags::CLONE);

/// `KMALLOC_MAX_SIZE` on x86_64 with 4 KiB pages: the largest single kernel allocation.
pub const KMALLOC_MAX_SIZE: u32 = 4 << 20;
/// `PCPU_MIN_UNIT_SIZE`: the largest per-CPU allocation.
pub const PCPU_MIN_UNIT_SIZE: u32 = 32 << 10;
/// `sizeof(struct htab_elem)` on x86_64: hash `key_size + value_size` must stay below
/// `KMALLOC_MAX_SIZE` minus this.
pub const HTAB_ELEM_SIZE: u32 = 48;
/// The local storage value limit: `U16_MAX - sizeof(struct bpf_local_storage_elem)` on x86_64.
pub const LOCAL_STORAGE_MAX_VALUE: u32 = 65407;

// One row of the table: positional, so the table reads as a table.
#[allow(clippy::too_many_arguments)]
const fn t(
    map_type: MapType,
    name: &'static str,
    since: (u8, u8),
    family: Family,
    key: SizeRule,
    value: SizeRule,
    max_entries: EntriesRule,
    flags: MapFlags,
    privilege: Privilege,
    summary: &'static str,
) -> TypeRules {
    TypeRules {
        map_type,
        name,
        since: KernelVersion::new(since.0, since.1),
        family,
        key,
        value,
        max_entries,
        flags,
        required: MapFlags::EMPTY,
        creation: Creation::Standalone,
        btf: BtfRule::None,
        locks: false,
        privilege,
        summary,
    }
}

impl TypeRules {
    const fn requires(mut self, flags: MapFlags) -> TypeRules {
        self.required = flags;
        self.flags = self.flags.union(flags);
        self
    }

    const fn creation(mut self, creation: Creation) -> TypeRules {
        self.creation = creation;
        self
    }

    const fn btf(mut self, btf: BtfRule) -> TypeRules {
        self.btf = btf;
        self
    }

    /// Values may hold a `bpf_spin_lock`.
    const fn locks(mut self) -> TypeRules {
        self.locks = true;
        self
    }
}

use Family as F;
use Privilege::{Bpf, NetAdmin, Unprivileged};

/// The rule book, indexed by `map_type - 1`.
static TYPES: [TypeRules; 34] = [
    t(MapType::HASH, "hash", (3, 19), F::Hash, KEY_ANY, VALUE_ANY, ENTRIES_HASH, HASH_FLAGS, Unprivileged,
        "a hash table of fixed-size keys and values")
        .btf(BtfRule::Any).locks(),
    t(MapType::ARRAY, "array", (3, 19), F::Array, KEY_INDEX, VALUE_ARRAY, ENTRIES_ANY,
        MapFlags::NUMA_NODE.union(MapFlags::ACCESS).union(MapFlags::MMAPABLE).union(MapFlags::INNER_MAP),
        Unprivileged, "an array of values indexed by u32, preallocated and zeroed")
        .btf(BtfRule::IntKey).locks(),
    t(MapType::PROG_ARRAY, "prog_array", (4, 2), F::ProgArray, KEY_INDEX, VALUE_FD, ENTRIES_FD_ARRAY, FD_ARRAY_FLAGS,
        Unprivileged, "program fds for bpf_tail_call")
        .btf(BtfRule::Any),
    t(MapType::PERF_EVENT_ARRAY, "perf_event_array", (4, 3), F::PerfEventArray, KEY_INDEX, VALUE_FD, ENTRIES_FD_ARRAY,
        FD_ARRAY_FLAGS.union(MapFlags::PRESERVE_ELEMS), Unprivileged,
        "perf event fds, usually one per CPU, for bpf_perf_event_output"),
    t(MapType::PERCPU_HASH, "percpu_hash", (4, 6), F::PerCpuHash, KEY_ANY, VALUE_PERCPU, ENTRIES_HASH,
        HASH_FLAGS.difference(MapFlags::NUMA_NODE), Unprivileged,
        "a hash table with one value per possible CPU")
        .btf(BtfRule::Any),
    t(MapType::PERCPU_ARRAY, "percpu_array", (4, 6), F::PerCpuArray, KEY_INDEX, VALUE_PERCPU, ENTRIES_ANY,
        MapFlags::ACCESS, Unprivileged, "an array with one value per possible CPU")
        .btf(BtfRule::IntKey),
    t(MapType::STACK_TRACE, "stack_trace", (4, 6), F::StackTrace, KEY_INDEX, VALUE_STACK_TRACE,
        ENTRIES_STACK_TRACE,
        MapFlags::NUMA_NODE.union(MapFlags::RDONLY).union(MapFlags::WRONLY).union(MapFlags::STACK_BUILD_ID),
        Bpf, "stack traces stored by bpf_get_stackid, by id"),
    t(MapType::CGROUP_ARRAY, "cgroup_array", (4, 8), F::CgroupArray, KEY_INDEX, VALUE_FD, ENTRIES_FD_ARRAY, FD_ARRAY_FLAGS,
        Unprivileged, "cgroup fds for bpf_skb_under_cgroup and bpf_current_task_under_cgroup"),
    t(MapType::LRU_HASH, "lru_hash", (4, 10), F::Hash, KEY_ANY, VALUE_ANY, ENTRIES_HASH,
        HASH_FLAGS.difference(MapFlags::NO_PREALLOC).union(MapFlags::NO_COMMON_LRU), Bpf,
        "a hash table that evicts the least recently used entry when full")
        .btf(BtfRule::Any),
    t(MapType::LRU_PERCPU_HASH, "lru_percpu_hash", (4, 10), F::PerCpuHash, KEY_ANY, VALUE_PERCPU, ENTRIES_HASH,
        HASH_FLAGS.difference(MapFlags::NO_PREALLOC).difference(MapFlags::NUMA_NODE).union(MapFlags::NO_COMMON_LRU),
        Bpf, "an LRU hash table with one value per possible CPU")
        .btf(BtfRule::Any),
    t(MapType::LPM_TRIE, "lpm_trie", (4, 11), F::LpmTrie, KEY_LPM, VALUE_LPM, ENTRIES_ANY,
        MapFlags::NUMA_NODE.union(MapFlags::ACCESS), Bpf,
        "longest-prefix match on keys that start with a u32 prefix length")
        .requires(MapFlags::NO_PREALLOC)
        .btf(BtfRule::StructKey),
    t(MapType::ARRAY_OF_MAPS, "array_of_maps", (4, 12), F::MapOfMaps, KEY_INDEX, VALUE_FD, ENTRIES_FD_ARRAY,
        FD_ARRAY_FLAGS, Unprivileged, "an array whose values are maps of one template")
        .creation(Creation::NeedsInner),
    t(MapType::HASH_OF_MAPS, "hash_of_maps", (4, 12), F::MapOfMaps, KEY_ANY, VALUE_FD, ENTRIES_HASH, HASH_FLAGS,
        Unprivileged, "a hash table whose values are maps of one template")
        .creation(Creation::NeedsInner),
    t(MapType::DEVMAP, "devmap", (4, 14), F::DevMap, KEY_INDEX, VALUE_DEVMAP, ENTRIES_ANY, FD_ARRAY_FLAGS,
        NetAdmin, "network devices for bpf_redirect_map, by index"),
    t(MapType::SOCKMAP, "sockmap", (4, 14), F::SockMap, KEY_INDEX, VALUE_FD_OR_COOKIE, ENTRIES_ANY,
        FD_ARRAY_FLAGS, NetAdmin, "sockets for redirection and sk_msg/sk_skb programs, by index"),
    t(MapType::CPUMAP, "cpumap", (4, 15), F::CpuMap, KEY_INDEX, VALUE_CPUMAP, ENTRIES_CPUS, MapFlags::NUMA_NODE,
        Bpf, "CPUs for XDP redirect, by CPU number"),
    t(MapType::XSKMAP, "xskmap", (4, 18), F::XskMap, KEY_INDEX, VALUE_FD, ENTRIES_ANY, FD_ARRAY_FLAGS, NetAdmin,
        "AF_XDP sockets for XDP redirect, by queue"),
    t(MapType::SOCKHASH, "sockhash", (4, 18), F::SockMap, KEY_SOCKHASH, VALUE_FD_OR_COOKIE, ENTRIES_SOCKHASH,
        FD_ARRAY_FLAGS, NetAdmin, "sockets for redirection and sk_msg/sk_skb programs, by key"),
    t(MapType::CGROUP_STORAGE, "cgroup_storage", (4, 19), F::CgroupStorage, KEY_CGROUP_STORAGE, VALUE_STORAGE,
        ENTRIES_ZERO, QUEUE_FLAGS, Unprivileged, "storage of cgroup-attached programs, one value per cgroup")
        .btf(BtfRule::CgroupStorageKey).locks(),
    t(MapType::REUSEPORT_SOCKARRAY, "reuseport_sockarray", (4, 19), F::ReuseportSockArray, KEY_INDEX, VALUE_FD_OR_COOKIE,
        ENTRIES_ANY, QUEUE_FLAGS, Bpf, "SO_REUSEPORT sockets for sk_reuseport programs, by index")
        .btf(BtfRule::Any),
    t(MapType::PERCPU_CGROUP_STORAGE, "percpu_cgroup_storage", (4, 20), F::PerCpuCgroupStorage, KEY_CGROUP_STORAGE,
        VALUE_PERCPU_STORAGE, ENTRIES_ZERO, QUEUE_FLAGS, Unprivileged,
        "per-CPU storage of cgroup-attached programs")
        .btf(BtfRule::CgroupStorageKey),
    t(MapType::QUEUE, "queue", (4, 20), F::Queue, KEY_NONE, VALUE_KMALLOC, ENTRIES_ANY, QUEUE_FLAGS, Bpf,
        "a FIFO of values"),
    t(MapType::STACK, "stack", (4, 20), F::Stack, KEY_NONE, VALUE_KMALLOC, ENTRIES_ANY, QUEUE_FLAGS, Bpf,
        "a LIFO of values"),
    t(MapType::SK_STORAGE, "sk_storage", (5, 2), F::LocalStorage, KEY_LOCAL_STORAGE, VALUE_STORAGE, ENTRIES_ZERO,
        LOCAL_STORAGE_FLAGS, Bpf, "socket-local storage")
        .requires(MapFlags::NO_PREALLOC)
        .creation(Creation::NeedsTypes).btf(BtfRule::IntKey).locks(),
    t(MapType::DEVMAP_HASH, "devmap_hash", (5, 4), F::DevMap, KEY_INDEX, VALUE_DEVMAP, ENTRIES_DEVMAP_HASH,
        FD_ARRAY_FLAGS, NetAdmin, "network devices for bpf_redirect_map, by key"),
    t(MapType::STRUCT_OPS, "struct_ops", (5, 6), F::Untyped, KEY_INDEX, VALUE_ANY, ENTRIES_ONE,
        MapFlags::LINK.union(MapFlags::VTYPE_BTF_OBJ_FD), Bpf,
        "a kernel struct of function pointers implemented by BPF programs")
        .creation(Creation::NeedsBtf {
            why: "struct_ops maps need the kernel's BTF id of `bpf_struct_ops_<name>` and a user BTF object, which bpfmap does not pass yet",
        }),
    t(MapType::RINGBUF, "ringbuf", (5, 8), F::RingBuf, KEY_NONE, VALUE_NONE, ENTRIES_RING,
        MapFlags::NUMA_NODE.union(MapFlags::RB_OVERWRITE), Unprivileged,
        "a multi-producer ring buffer of records from programs to user space"),
    t(MapType::INODE_STORAGE, "inode_storage", (5, 10), F::LocalStorage, KEY_LOCAL_STORAGE, VALUE_STORAGE, ENTRIES_ZERO,
        LOCAL_STORAGE_FLAGS, Bpf, "inode-local storage for BPF LSM programs")
        .requires(MapFlags::NO_PREALLOC)
        .creation(Creation::NeedsTypes).btf(BtfRule::IntKey).locks(),
    t(MapType::TASK_STORAGE, "task_storage", (5, 11), F::LocalStorage, KEY_LOCAL_STORAGE, VALUE_STORAGE, ENTRIES_ZERO,
        LOCAL_STORAGE_FLAGS, Bpf, "task-local storage")
        .requires(MapFlags::NO_PREALLOC)
        .creation(Creation::NeedsTypes).btf(BtfRule::IntKey).locks(),
    t(MapType::BLOOM_FILTER, "bloom_filter", (5, 16), F::BloomFilter, KEY_NONE, VALUE_KMALLOC, ENTRIES_ANY,
        QUEUE_FLAGS.union(MapFlags::ZERO_SEED), Bpf,
        "a probabilistic set: no false negatives, some false positives")
        .btf(BtfRule::Any),
    t(MapType::USER_RINGBUF, "user_ringbuf", (6, 1), F::UserRingBuf, KEY_NONE, VALUE_NONE, ENTRIES_RING,
        MapFlags::NUMA_NODE, Unprivileged, "a ring buffer of records from user space to programs"),
    t(MapType::CGRP_STORAGE, "cgrp_storage", (6, 2), F::LocalStorage, KEY_LOCAL_STORAGE, VALUE_STORAGE, ENTRIES_ZERO,
        LOCAL_STORAGE_FLAGS, Bpf, "cgroup-local storage")
        .requires(MapFlags::NO_PREALLOC)
        .creation(Creation::NeedsTypes).btf(BtfRule::IntKey).locks(),
    t(MapType::ARENA, "arena", (6, 9), F::Arena, KEY_NONE, VALUE_NONE, ENTRIES_ARENA,
        MapFlags::SEGV_ON_FAULT.union(MapFlags::NO_USER_CONV), Bpf,
        "pages of memory shared by programs and user space")
        .requires(MapFlags::MMAPABLE),
    t(MapType::INSN_ARRAY, "insn_array", (6, 19), F::Untyped, KEY_INDEX, VALUE_INSN, ENTRIES_INSN,
        MapFlags::EMPTY, Bpf, "instruction offsets of one program, for indirect jumps"),
];

// The table is indexed by `map_type - 1`; a misplaced row would give one type another's rules.
const _: () = {
    let mut i = 0;
    while i < TYPES.len() {
        assert!(TYPES[i].map_type.raw() as usize == i + 1, "TYPES must be in map_type order");
        i += 1;
    }
};

/// The rules of `map_type`, or `None` for a number no released kernel has.
pub(crate) const fn rules_of(map_type: MapType) -> Option<&'static TypeRules> {
    let raw = map_type.raw() as usize;
    if raw >= 1 && raw <= TYPES.len() { Some(&TYPES[raw - 1]) } else { None }
}

pub(crate) fn all() -> &'static [TypeRules] {
    &TYPES
}
