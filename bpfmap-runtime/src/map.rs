//! `Map`: a created map, owning its fd; `create_map` and `bpf_create_map`, the direct paths.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use crate::error::{MapLabel, Op};
use crate::registry::Declaration;
use crate::rules::{HostLimits, MapDef, MapFlags, MapName, MapType};
use crate::sys::{self, Cmd, attr};
use crate::{Errno, Error};

/// A map the kernel created: its fd (closed on drop), its definition and, if it was declared,
/// its declaration.
pub struct Map {
    fd: OwnedFd,
    def: MapDef,
    decl: Option<&'static Declaration>,
    id: OnceLock<u32>,
}

impl Map {
    /// The name.
    pub fn name(&self) -> &str {
        self.def.name.as_str()
    }

    /// The definition it was created from (with `max_entries` resolved for this host).
    pub fn def(&self) -> &MapDef {
        &self.def
    }

    /// The fd, as C's `map_data[i].fd`.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The `#[bpf_map]` declaration, if it was declared.
    pub fn declaration(&self) -> Option<&'static Declaration> {
        self.decl
    }

    /// The kernel's id of the map (as `bpftool map show` lists), read once and kept.
    pub fn id(&self) -> Result<u32, Error> {
        if let Some(&id) = self.id.get() {
            return Ok(id);
        }
        let id = self.info()?.id;
        Ok(*self.id.get_or_init(|| id))
    }

    /// What the kernel reports of the map (`BPF_OBJ_GET_INFO_BY_FD`).
    pub fn info(&self) -> Result<MapInfo, Error> {
        let info = sys::map_info(self.fd()).map_err(|errno| self.error(Op::Info, errno))?;
        Ok(MapInfo::from(info))
    }

    /// Duplicates the fd (`F_DUPFD_CLOEXEC`) into another owner of the same map.
    pub fn try_clone(&self) -> Result<Map, Error> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| self.error(Op::Info, Errno::from_raw(e.raw_os_error().unwrap_or(0))))?;
        Ok(Map { fd, def: self.def, decl: self.decl, id: self.id.clone() })
    }

    /// Who to blame in an error.
    pub(crate) fn label(&self) -> MapLabel {
        MapLabel::of(&self.def, self.decl)
    }

    pub(crate) fn error(&self, op: Op, errno: Errno) -> Error {
        Error::Map { op, map: self.label(), errno }
    }

    /// Creates `def` (already validated and resolved) through `BPF_MAP_CREATE`.
    pub(crate) fn create_validated(def: MapDef, decl: Option<&'static Declaration>) -> Result<Map, Error> {
        // The template of a map-of-maps only lends its fd for the creation.
        let inner = match def.inner {
            Some(inner) => Some(Map::create_validated(inner.resolve_for(HostLimits::current()), None)?),
            None => None,
        };
        let mut attr = attr::MapCreate {
            map_type: def.map_type.raw(),
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            map_flags: def.flags.bits(),
            inner_map_fd: inner.as_ref().map_or(0, |m| sys::fd_u32(m.fd())),
            numa_node: def.numa_node,
            map_name: def.name.to_kernel(),
            map_extra: def.map_extra,
            ..Default::default()
        };
        // SAFETY: MAP_CREATE reads no pointers from this attr prefix and returns a new fd.
        let fd = unsafe { sys::bpf(Cmd::MapCreate, &mut attr).and_then(|ret| sys::owned_fd(ret)) }
            .map_err(|errno| Error::create(&def, decl, errno))?;
        Ok(Map { fd, def, decl, id: OnceLock::new() })
    }
}

/// Creates a map from a definition known at run time: validates it against the rule book and
/// this host's limits, then calls `BPF_MAP_CREATE`.
///
/// `BPF_MAP_CREATE`—creates a map and returns an owned fd (moved to 3 or above, close-on-exec,
/// closed when the [`Map`] drops). A `perf_event_array` with `max_entries` 0 gets one entry per
/// possible CPU; a map-of-maps gets its inner template created for the call.
///
/// ```no_run
/// use bpfmap::{MapDef, MapFlags, MapName, MapType};
/// let def = MapDef::new(MapType::HASH, 4, 8, 1024)
///     .with_flags(MapFlags::NO_PREALLOC)
///     .with_name(MapName::new("conns"));
/// let map = bpfmap::create_map(&def)?;
/// println!("created {} with fd {:?}", map.name(), map.fd());
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] if the definition breaks a rule (no syscall is made), [`Error::Create`]
/// with the errno and its likely cause if the kernel refuses it.
///
/// # References
/// [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html), `BPF_MAP_CREATE`.
pub fn create_map(def: &MapDef) -> Result<Map, Error> {
    create_declared(def, None)
}

pub(crate) fn create_declared(def: &MapDef, decl: Option<&'static Declaration>) -> Result<Map, Error> {
    let host = HostLimits::current();
    let def = def.resolve_for(host);
    def.validate_on(host).map_err(|rule| Error::Invalid { map: MapLabel::of(&def, decl), rule })?;
    Map::create_validated(def, decl)
}

/// The one-line helper, as libbpf's: a map of `map_type` with these sizes and flags, no name.
///
/// ```no_run
/// use bpfmap::{MapFlags, MapType};
/// let map = bpfmap::bpf_create_map(MapType::HASH, 4, 4, 100, MapFlags::NO_PREALLOC)?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub fn bpf_create_map(
    map_type: MapType,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: MapFlags,
) -> Result<Map, Error> {
    create_map(&MapDef::new(map_type, key_size, value_size, max_entries).with_flags(flags))
}

impl AsFd for Map {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Map {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map").field("fd", &self.fd.as_raw_fd()).field("def", &self.def).finish()
    }
}

/// What the kernel reports of a map (`struct bpf_map_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapInfo {
    /// The type.
    pub map_type: MapType,
    /// The kernel's id.
    pub id: u32,
    /// The key size.
    pub key_size: u32,
    /// The value size.
    pub value_size: u32,
    /// The capacity, as the kernel adjusted it.
    pub max_entries: u32,
    /// The flags the kernel keeps (it drops `rdonly`/`wronly`, and adds `rdonly_prog` to
    /// device maps).
    pub flags: MapFlags,
    /// The name.
    pub name: MapName,
    /// `map_extra`.
    pub map_extra: u64,
    /// The id of the map's BTF object, 0 if none.
    pub btf_id: u32,
}

impl From<attr::MapInfo> for MapInfo {
    fn from(i: attr::MapInfo) -> MapInfo {
        let len = i.name.iter().position(|&b| b == 0).unwrap_or(i.name.len());
        MapInfo {
            map_type: MapType::from_raw(i.map_type),
            id: i.id,
            key_size: i.key_size,
            value_size: i.value_size,
            max_entries: i.max_entries,
            flags: MapFlags::from_bits_retain(i.map_flags),
            name: MapName::from_bytes(&i.name[..len]),
            map_extra: i.map_extra,
            btf_id: i.btf_id,
        }
    }
}
