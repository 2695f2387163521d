//! The rule book: every rule `BPF_MAP_CREATE` applies to a map definition, in one place.
//!
//! [`MapDef::validate`] is the single statement of those rules. `#[bpf_map]` runs it at compile
//! time (on the tokens it sees, and in `const` evaluation for the sizes only types know), the
//! runtime runs it before every `BPF_MAP_CREATE`, and `tests/differential.rs` checks it against
//! the live kernel.

mod error;
mod flags;
pub(crate) mod host;
mod map_type;
mod name;
mod table;
mod validate;

use core::fmt;

use crate::btf::TypeDesc;

pub use error::{RuleError, Subject};
pub use flags::{FlagInfo, MapFlags};
pub use host::HostLimits;
pub use map_type::MapType;
pub use name::{MapName, default_map_name};
pub use table::{
    BtfRule, Creation, EntriesRule, Family, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE, LOCAL_STORAGE_MAX_VALUE,
    PCPU_MIN_UNIT_SIZE, Privilege, SizeRule, TypeRules,
};
pub use validate::{
    btf_key_fits, check_btf_object, check_flag, check_flag_set, check_flags, check_inner, check_key,
    check_map_extra, check_max_entries, check_name, check_standalone, check_type, check_types, check_value,
};

/// A mainline kernel release, `major.minor`.
///
/// ```
/// use bpfmap::{KernelVersion, MapFlags};
///
/// let since = MapFlags::MMAPABLE.info().unwrap().since;
/// assert_eq!(since, KernelVersion::new(5, 5));
/// assert!(since < KernelVersion::new(6, 1));
/// assert_eq!(since.to_string(), "5.5");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct KernelVersion {
    /// The major number.
    pub major: u8,
    /// The minor number.
    pub minor: u8,
}

impl KernelVersion {
    /// `major.minor`.
    pub const fn new(major: u8, minor: u8) -> KernelVersion {
        KernelVersion { major, minor }
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Where a declared map is pinned in bpffs.
///
/// ```
/// use bpfmap::{bpf_map, MapDecl, Pinning};
///
/// #[bpf_map(type = "hash", max_entries = 16, pin = "by_name")]
/// struct Sessions { key: u64, value: u64 }
///
/// assert_eq!(Sessions::DEF.pinning, Pinning::ByName);   // at <pin root>/sessions
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Pinning {
    /// Not pinned: the map lives as long as its fds.
    #[default]
    None,
    /// At `<pin root>/<name>`, reused by later runs when compatible.
    ByName,
}

/// The definition of one map: what `BPF_MAP_CREATE` needs.
///
/// `#[bpf_map]` builds one per declared struct (its `MapDecl::DEF`); a definition known only at
/// run time is built with [`MapDef::new`] and the `with_*` methods and created with
/// [`create_map`](crate::create_map).
///
/// ```
/// use bpfmap::{MapDef, MapFlags, MapName, MapType};
/// const FLOWS: MapDef = MapDef::new(MapType::HASH, 4, 8, 100)
///     .with_flags(MapFlags::NO_PREALLOC)
///     .with_name(MapName::new("flows"));
/// const _: () = assert!(FLOWS.validate().is_ok());
/// assert_eq!(FLOWS.to_string(), "flows: hash, key 4 B, value 8 B, max_entries 100, flags no_prealloc");
/// ```
///
/// The fields are public, so a definition can also be written out, the rest defaulted:
///
/// ```
/// use bpfmap::{MapDef, MapFlags, MapType};
/// let def = MapDef {
///     map_type: MapType::from_raw(1),
///     key_size: 4,
///     value_size: 8,
///     max_entries: 100,
///     flags: MapFlags::from_bits_retain(1),
///     ..MapDef::default()
/// };
/// assert_eq!(def, MapDef::new(MapType::HASH, 4, 8, 100).with_flags(MapFlags::NO_PREALLOC));
/// ```
#[derive(Clone, Copy)]
pub struct MapDef {
    /// The map's name, as the kernel keeps it.
    pub name: MapName,
    /// `map_type`.
    pub map_type: MapType,
    /// `key_size`: the key's size in bytes.
    pub key_size: u32,
    /// `value_size`: the value's size in bytes.
    pub value_size: u32,
    /// `max_entries`: the capacity; its meaning is per type (bytes for ring buffers, pages
    /// for arenas). For `perf_event_array`, 0 means one entry per possible CPU (resolved
    /// when the map is created, see [`MapDef::resolve_for`]).
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: MapFlags,
    /// `numa_node`, read by the kernel only with [`MapFlags::NUMA_NODE`].
    pub numa_node: u32,
    /// `map_extra`: the bloom filter's hash count, or the arena's user address.
    pub map_extra: u64,
    /// The inner map template of a map-of-maps.
    pub inner: Option<&'static MapDef>,
    /// The key's type, as BTF describes it: the map is created with it (`btf_key_type_id`),
    /// so that `bpftool` shows keys field by field, and the rule book checks it against the
    /// type's rules. `None` for maps without a key, and definitions made from sizes alone.
    pub key_type: Option<&'static TypeDesc>,
    /// The value's type, as BTF describes it (see `key_type`); a value that holds a
    /// [`SpinLock`](crate::SpinLock) needs it, so that the kernel finds the lock.
    pub value_type: Option<&'static TypeDesc>,
    /// Where the map is pinned.
    pub pinning: Pinning,
}

/// `MapType::UNSPEC` with every number 0: invalid until filled in.
impl Default for MapDef {
    fn default() -> MapDef {
        MapDef::new(MapType::UNSPEC, 0, 0, 0)
    }
}

impl MapDef {
    /// A definition from raw numbers, with no flags and no name.
    pub const fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef {
            name: MapName::EMPTY,
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: MapFlags::EMPTY,
            numa_node: 0,
            map_extra: 0,
            inner: None,
            pinning: Pinning::None,
            key_type: None,
            value_type: None,
        }
    }

    /// With the key and value types of the declaration `T` (for `#[bpf_map]`, which asks
    /// `Pod` of them once, on the declaration).
    #[doc(hidden)]
    #[cfg(feature = "runtime")]
    pub const fn with_types_of<T: crate::MapDecl>(self) -> MapDef {
        self.with_types::<T::Key, T::Value>()
    }

    /// With the key and value types `K` and `V` (their sizes and their BTF descriptions; a
    /// zero-sized type stands for a missing key or value).
    ///
    /// ```
    /// use bpfmap::{MapDef, MapType, Pod};
    ///
    /// #[repr(C)]
    /// #[derive(Clone, Copy, Pod)]
    /// struct Stats { packets: u64, bytes: u64 }
    ///
    /// let def = MapDef::new(MapType::HASH, 0, 0, 1024).with_types::<u32, Stats>();
    /// assert_eq!((def.key_size, def.value_size), (4, 16));
    /// assert!(def.value_type.is_some());
    /// ```
    pub const fn with_types<K: crate::Pod, V: crate::Pod>(mut self) -> MapDef {
        self.key_size = size_u32(size_of::<K>());
        self.value_size = size_u32(size_of::<V>());
        self.key_type = if size_of::<K>() == 0 { None } else { Some(K::BTF) };
        self.value_type = if size_of::<V>() == 0 { None } else { Some(V::BTF) };
        self
    }

    /// With these flags (replacing any).
    pub const fn with_flags(mut self, flags: MapFlags) -> MapDef {
        self.flags = flags;
        self
    }

    /// With this name.
    pub const fn with_name(mut self, name: MapName) -> MapDef {
        self.name = name;
        self
    }

    /// On NUMA node `node` (sets [`MapFlags::NUMA_NODE`]).
    pub const fn with_numa_node(mut self, node: u32) -> MapDef {
        self.numa_node = node;
        self.flags = self.flags.union(MapFlags::NUMA_NODE);
        self
    }

    /// With `map_extra`.
    pub const fn with_map_extra(mut self, map_extra: u64) -> MapDef {
        self.map_extra = map_extra;
        self
    }

    /// With an inner map template (for `array_of_maps` and `hash_of_maps`).
    pub const fn with_inner(mut self, inner: &'static MapDef) -> MapDef {
        self.inner = Some(inner);
        self
    }

    /// Pinned as `pinning` says.
    pub const fn with_pinning(mut self, pinning: Pinning) -> MapDef {
        self.pinning = pinning;
        self
    }

    /// Checks every rule of `BPF_MAP_CREATE` that does not depend on the running kernel,
    /// assuming its defaults where one does ([`HostLimits::ASSUMED`]).
    ///
    /// `Ok` means the kernel creates the map, given privilege, memory and a kernel that has
    /// the type and flags; `Err` says which rule is broken and the errno the kernel returns.
    ///
    /// ```
    /// use bpfmap::{Errno, MapDef, MapFlags, MapType, RuleError};
    /// // An LPM trie must be created with `no_prealloc`.
    /// let trie = MapDef::new(MapType::LPM_TRIE, 8, 4, 64);
    /// assert!(matches!(trie.validate(), Err(RuleError::FlagRequired { .. })));
    /// assert!(trie.with_flags(MapFlags::NO_PREALLOC).validate().is_ok());
    /// // A ring buffer's size is a power of two and a multiple of the page size.
    /// let ring = MapDef::new(MapType::RINGBUF, 0, 0, 12288);
    /// assert_eq!(ring.validate().unwrap_err().errno(), Errno::EINVAL);
    /// ```
    pub const fn validate(&self) -> Result<(), RuleError> {
        validate::validate(self, &HostLimits::ASSUMED)
    }

    /// Checks every rule against the limits of a particular host (page size, `CONFIG_NR_CPUS`,
    /// `kernel.perf_event_max_stack`, online NUMA nodes, possible CPUs). The runtime calls it
    /// with [`HostLimits::current`] before every `BPF_MAP_CREATE`.
    pub const fn validate_on(&self, host: &HostLimits) -> Result<(), RuleError> {
        validate::validate(self, host)
    }

    /// The capability the kernel asks of the process that creates this map: the type's class,
    /// raised by the flags that need more (`zero_seed` on a hash table needs `CAP_SYS_ADMIN`).
    ///
    /// ```
    /// use bpfmap::{MapDef, MapFlags, MapType, Privilege};
    /// let hash = MapDef::new(MapType::HASH, 4, 8, 16);
    /// assert_eq!(hash.privilege(), Privilege::Unprivileged);
    /// assert_eq!(hash.with_flags(MapFlags::ZERO_SEED).privilege(), Privilege::SysAdmin);
    /// ```
    pub const fn privilege(&self) -> Privilege {
        let Some(rules) = self.map_type.rules() else { return Privilege::Bpf };
        if self.flags.contains(MapFlags::ZERO_SEED) && validate::is_hash_table(self.map_type) {
            return Privilege::SysAdmin;
        }
        rules.privilege
    }

    /// Whether the map is created with BTF for its key and value: it has types, and its map
    /// type takes BTF (fd maps and a few others are refused it by the kernel).
    pub const fn takes_btf(&self) -> bool {
        let Some(rules) = self.map_type.rules() else { return false };
        !matches!(rules.btf, BtfRule::None)
            && self.value_type.is_some()
            && validate::btf_key_fits(rules, self.key_type)
    }

    /// Whether the map cannot be created without its BTF: local storage (the kernel needs the
    /// type ids), or a value that holds a [`SpinLock`](crate::SpinLock) (the kernel finds it
    /// through them).
    pub const fn needs_btf(&self) -> bool {
        let Some(rules) = self.map_type.rules() else { return false };
        matches!(rules.creation, Creation::NeedsTypes)
            || match self.value_type {
                Some(value) => value.contains_spin_lock(),
                None => false,
            }
    }

    /// The definition as the kernel must receive it on `host`: `max_entries` 0 of a
    /// `perf_event_array` becomes the number of possible CPUs.
    pub const fn resolve_for(mut self, host: &HostLimits) -> MapDef {
        if self.map_type.raw() == MapType::PERF_EVENT_ARRAY.raw() && self.max_entries == 0 {
            self.max_entries = host.possible_cpus;
        }
        self
    }
}

impl MapDef {
    /// Every field but `inner`.
    #[allow(clippy::type_complexity)] // A tuple of the fields, for comparing and hashing.
    fn own_fields(
        &self,
    ) -> (
        MapName,
        MapType,
        u32,
        u32,
        u32,
        MapFlags,
        u32,
        u64,
        Pinning,
        Option<&'static TypeDesc>,
        Option<&'static TypeDesc>,
    ) {
        let MapDef {
            name,
            map_type,
            key_size,
            value_size,
            max_entries,
            flags,
            numa_node,
            map_extra,
            inner: _,
            pinning,
            key_type,
            value_type,
        } = *self;
        (
            name,
            map_type,
            key_size,
            value_size,
            max_entries,
            flags,
            numa_node,
            map_extra,
            pinning,
            key_type,
            value_type,
        )
    }
}

/// Equal fields, and equal templates one level down: templates of templates (which no valid
/// definition has, and a static definition may form a cycle of) compare by address.
impl PartialEq for MapDef {
    fn eq(&self, other: &MapDef) -> bool {
        let template_eq = |a: &MapDef, b: &MapDef| {
            a.own_fields() == b.own_fields()
                && match (a.inner, b.inner) {
                    (None, None) => true,
                    (Some(x), Some(y)) => core::ptr::eq(x, y),
                    _ => false,
                }
        };
        self.own_fields() == other.own_fields()
            && match (self.inner, other.inner) {
                (None, None) => true,
                (Some(a), Some(b)) => template_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for MapDef {}

/// The fields and the template's fields (as far as `PartialEq` looks).
impl core::hash::Hash for MapDef {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.own_fields().hash(state);
        self.inner.map(MapDef::own_fields).hash(state);
    }
}

impl fmt::Debug for MapDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MapDef");
        d.field("name", &self.name)
            .field("map_type", &self.map_type)
            .field("key_size", &self.key_size)
            .field("value_size", &self.value_size)
            .field("max_entries", &self.max_entries)
            .field("flags", &self.flags);
        if self.flags.contains(MapFlags::NUMA_NODE) {
            d.field("numa_node", &self.numa_node);
        }
        if self.map_extra != 0 {
            d.field("map_extra", &self.map_extra);
        }
        if let Some(inner) = self.inner {
            // One level: a template has no template of its own, and a cycle must still print.
            d.field("inner", &format_args!("{inner}"));
        }
        if let Some(key_type) = self.key_type {
            d.field("key_type", &key_type.name_or_kind());
        }
        if let Some(value_type) = self.value_type {
            d.field("value_type", &value_type.name_or_kind());
        }
        if self.pinning != Pinning::None {
            d.field("pinning", &self.pinning);
        }
        d.finish()
    }
}

/// A size as the u32 `BPF_MAP_CREATE` takes; a larger size saturates, which the rule book then
/// refuses.
const fn size_u32(size: usize) -> u32 {
    if size > u32::MAX as usize { u32::MAX } else { size as u32 }
}

/// `flows: hash, key 4 B, value 8 B, max_entries 100, flags no_prealloc`.
impl fmt::Display for MapDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.name.is_empty() {
            write!(f, "{}: ", self.name)?;
        }
        write!(
            f,
            "{}, key {} B, value {} B, max_entries {}, flags {}",
            self.map_type, self.key_size, self.value_size, self.max_entries, self.flags
        )?;
        if self.flags.contains(MapFlags::NUMA_NODE) {
            write!(f, ", numa_node {}", self.numa_node)?;
        }
        if self.map_extra != 0 {
            write!(f, ", map_extra {:#x}", self.map_extra)?;
        }
        Ok(())
    }
}
