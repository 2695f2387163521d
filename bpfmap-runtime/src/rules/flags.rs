//! `MapFlags`: the `map_flags` bits of `BPF_MAP_CREATE`, with their names and kernel versions.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign, Not};

use super::KernelVersion;

/// A set of `BPF_F_*` map flags.
///
/// Built from names (`MapFlags::from_name("no_prealloc")`), from constants
/// (`MapFlags::NO_PREALLOC | MapFlags::NUMA_NODE`), or from raw bits
/// (`MapFlags::from_bits_retain(1)`); bits no kernel defines are kept, and
/// [`MapDef::validate`](crate::MapDef::validate) refuses them.
///
/// ```
/// use bpfmap::MapFlags;
/// let flags = MapFlags::NO_PREALLOC | MapFlags::RDONLY_PROG;
/// assert_eq!(flags.bits(), 0x81);
/// assert_eq!(flags.to_string(), "no_prealloc|rdonly_prog");
/// assert_eq!(MapFlags::from_name("rdonly_prog"), Some(MapFlags::RDONLY_PROG));
/// assert!(flags.contains(MapFlags::NO_PREALLOC));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct MapFlags(u32);

/// One named flag: its bit, its attribute name and the first kernel that has it.
///
/// ```
/// use bpfmap::MapFlags;
///
/// for info in MapFlags::all() {
///     println!("{:<16} since {}: {}", info.name, info.since, info.summary);
/// }
/// assert_eq!(MapFlags::NO_PREALLOC.info().unwrap().name, "no_prealloc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlagInfo {
    /// The flag.
    pub flag: MapFlags,
    /// Its attribute name: the uapi name, lowercase, without `BPF_F_`.
    pub name: &'static str,
    /// The first mainline release that accepts it.
    pub since: KernelVersion,
    /// What it does, in one sentence.
    pub summary: &'static str,
}

macro_rules! map_flags {
    ($($(#[doc = $doc:literal])* $konst:ident = $bit:literal, $name:literal, ($maj:literal, $min:literal);)*) => {
        impl MapFlags {
            $($(#[doc = $doc])* #[doc = concat!("\n\n`BPF_F_", stringify!($konst), "`, attribute name `", $name, "`, since Linux ", stringify!($maj), ".", stringify!($min), ".")]
            pub const $konst: MapFlags = MapFlags(1 << $bit);)*
        }

        /// Every flag the kernel defines, by bit.
        static FLAGS: &[FlagInfo] = &[
            $(FlagInfo {
                flag: MapFlags::$konst,
                name: $name,
                since: KernelVersion::new($maj, $min),
                summary: concat!($($doc),*),
            },)*
        ];
    };
}

map_flags! {
    /// Allocate elements on demand instead of all at creation.
    NO_PREALLOC = 0, "no_prealloc", (4, 6);
    /// Give each CPU its own LRU list instead of one shared list.
    NO_COMMON_LRU = 1, "no_common_lru", (4, 10);
    /// Allocate on the NUMA node given by `numa_node`.
    NUMA_NODE = 2, "numa_node", (4, 14);
    /// The returned fd is read-only for user space.
    RDONLY = 3, "rdonly", (4, 15);
    /// The returned fd is write-only for user space.
    WRONLY = 4, "wronly", (4, 15);
    /// Stack trace values hold build ids and offsets instead of addresses.
    STACK_BUILD_ID = 5, "stack_build_id", (4, 17);
    /// Use a zero hash seed (for tests; hash maps need CAP_SYS_ADMIN).
    ZERO_SEED = 6, "zero_seed", (5, 0);
    /// Programs may only read the map.
    RDONLY_PROG = 7, "rdonly_prog", (5, 2);
    /// Programs may only write the map.
    WRONLY_PROG = 8, "wronly_prog", (5, 2);
    /// Clone socket-local storage when the socket is cloned.
    CLONE = 9, "clone", (5, 4);
    /// The map's memory can be mmap()ed by user space.
    MMAPABLE = 10, "mmapable", (5, 5);
    /// Keep perf event entries when the map's fd is closed.
    PRESERVE_ELEMS = 11, "preserve_elems", (5, 10);
    /// The array may be an inner map of differing max_entries.
    INNER_MAP = 12, "inner_map", (5, 10);
    /// A struct_ops map that is attached through a BPF link.
    LINK = 13, "link", (6, 4);
    /// Open the pin path relative to `path_fd` (a flag of BPF_OBJ_PIN/BPF_OBJ_GET, not of map creation).
    PATH_FD = 14, "path_fd", (6, 5);
    /// The struct_ops value type comes from the module BTF in `value_type_btf_obj_fd`.
    VTYPE_BTF_OBJ_FD = 15, "vtype_btf_obj_fd", (6, 9);
    /// Create the map through the BPF token in `map_token_fd`.
    TOKEN_FD = 16, "token_fd", (6, 9);
    /// Arena: a fault on an unpopulated page raises SIGSEGV instead of mapping a zero page.
    SEGV_ON_FAULT = 17, "segv_on_fault", (6, 9);
    /// Arena: do not convert pointers between kernel and user address spaces.
    NO_USER_CONV = 18, "no_user_conv", (6, 9);
    /// Ring buffer: overwrite the oldest records when full.
    RB_OVERWRITE = 19, "rb_overwrite", (6, 19);
}

impl MapFlags {
    /// No flags.
    pub const EMPTY: MapFlags = MapFlags(0);
    /// `rdonly | wronly | rdonly_prog | wronly_prog`: the access flags most types accept.
    pub const ACCESS: MapFlags =
        MapFlags(MapFlags::RDONLY.0 | MapFlags::WRONLY.0 | MapFlags::RDONLY_PROG.0 | MapFlags::WRONLY_PROG.0);
    /// Every bit some kernel defines.
    pub const KNOWN: MapFlags = MapFlags((1 << 20) - 1);

    /// No flags, as `bitflags` types spell it: `MapFlags::empty()` is [`MapFlags::EMPTY`].
    ///
    /// ```
    /// use bpfmap::MapFlags;
    ///
    /// let flags = MapFlags::empty() | MapFlags::NO_PREALLOC;
    /// assert!(MapFlags::empty().is_empty());
    /// assert_eq!(flags.bits(), 1);
    /// ```
    pub const fn empty() -> MapFlags {
        MapFlags::EMPTY
    }

    /// The flags with these bits, known or not.
    pub const fn from_bits_retain(bits: u32) -> MapFlags {
        MapFlags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: MapFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: MapFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets.
    pub const fn union(self, other: MapFlags) -> MapFlags {
        MapFlags(self.0 | other.0)
    }

    /// The flags of `self` that are not in `other`.
    pub const fn difference(self, other: MapFlags) -> MapFlags {
        MapFlags(self.0 & !other.0)
    }

    /// The flags in both.
    pub const fn intersection(self, other: MapFlags) -> MapFlags {
        MapFlags(self.0 & other.0)
    }

    /// The lowest set flag, or `EMPTY`.
    pub const fn lowest(self) -> MapFlags {
        MapFlags(self.0 & self.0.wrapping_neg())
    }

    /// The flag named `name` (attribute name: `"no_prealloc"`).
    pub fn from_name(name: &str) -> Option<MapFlags> {
        FLAGS.iter().find(|f| f.name == name).map(|f| f.flag)
    }

    /// The attribute name of a single known flag.
    pub const fn name(self) -> Option<&'static str> {
        match self.info() {
            Some(info) => Some(info.name),
            None => None,
        }
    }

    /// What the rule book knows of a single flag.
    pub const fn info(self) -> Option<&'static FlagInfo> {
        if self.0.count_ones() != 1 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        if bit < FLAGS.len() { Some(&FLAGS[bit]) } else { None }
    }

    /// Every flag the kernel defines.
    pub fn all() -> &'static [FlagInfo] {
        FLAGS
    }

    /// The single flags of this set, lowest bit first (unknown bits included).
    pub fn iter(self) -> impl Iterator<Item = MapFlags> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let low = rest & rest.wrapping_neg();
            rest &= !low;
            (low != 0).then_some(MapFlags(low))
        })
    }
}

impl BitOr for MapFlags {
    type Output = MapFlags;
    fn bitor(self, rhs: MapFlags) -> MapFlags {
        self.union(rhs)
    }
}

impl BitOrAssign for MapFlags {
    fn bitor_assign(&mut self, rhs: MapFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for MapFlags {
    type Output = MapFlags;
    fn bitand(self, rhs: MapFlags) -> MapFlags {
        self.intersection(rhs)
    }
}

impl Not for MapFlags {
    type Output = MapFlags;
    fn not(self) -> MapFlags {
        MapFlags(!self.0)
    }
}

/// `no_prealloc|numa_node`; unknown bits print as `0x200000`; no flags print as `-`.
impl fmt::Display for MapFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("-");
        }
        for (i, flag) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            match flag.name() {
                Some(name) => f.write_str(name)?,
                None => write!(f, "{:#x}", flag.0)?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for MapFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MapFlags({self})")
    }
}
