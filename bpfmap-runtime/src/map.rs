//! `Map`: a created map, owning its fd; `create_map` and `bpf_create_map`, the direct paths.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{MapLabel, Op};
use crate::map_btf::{BtfIds, MapsBtf};
use crate::registry::Declaration;
use crate::rules::{HostLimits, MapDef, MapFlags, MapName, MapType};
use crate::sys::{self, Cmd, attr};
use crate::token::Token;
use crate::{Access, Errno, Error};

/// A map the kernel created: its fd (closed on drop), its definition and, if it was declared,
/// its declaration.
///
/// [`load`](crate::load) makes one per `#[bpf_map]` declaration; [`create_map`] makes one from
/// a definition known only at run time, [`Map::from_pin`] and [`Map::from_id`] open one that
/// exists.
///
/// ```no_run
/// use bpfmap::{HashMap, MapDef, MapType, create_map};
///
/// let def = MapDef::new(MapType::HASH, 4, 8, 1024);     // sizes chosen at run time
/// let map = create_map(&def)?;
/// println!("{} has id {} and fd {:?}", map.name(), map.id()?, map.fd());
/// let counts = HashMap::<u32, u64>::new(&map)?;          // typed, after a size check
/// # let _ = counts;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct Map {
    fd: OwnedFd,
    def: MapDef,
    decl: Option<&'static Declaration>,
    id: OnceLock<u32>,
    pinned_at: Option<PathBuf>,
    /// What the fd may do: read-write unless opened otherwise.
    access: Access,
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

    /// What the kernel reports of the map (`BPF_OBJ_GET_INFO_BY_FD`), and the access of this
    /// fd.
    pub fn info(&self) -> Result<MapInfo, Error> {
        let info = sys::map_info(self.fd()).map_err(|errno| self.error(Op::Info, errno))?;
        Ok(MapInfo { access: self.access, ..MapInfo::from(info) })
    }

    /// What this fd of the map may do: [`Access::ReadWrite`] for a map this process created,
    /// what it was opened with otherwise ([`Map::from_pin_with`], [`Map::from_id_with`]).
    pub fn access(&self) -> Access {
        self.access
    }

    /// The BTF of the map's key and value, read back from the kernel: the object the map was
    /// created with, and the ids of the key and value types in it. `None` for a map created
    /// without BTF.
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, Pod, btf::diff_layout};
    ///
    /// #[repr(C)]
    /// #[derive(Clone, Copy, Pod)]
    /// struct Stats { packets: u64, bytes: u64 }
    ///
    /// #[bpf_map(type = "hash", max_entries = 64)]
    /// struct Flows { key: u32, value: Stats }
    ///
    /// let maps = bpfmap::load()?;
    /// let types = maps.map::<Flows>()?.btf()?.expect("created with BTF");
    /// // The kernel holds exactly the layout Rust declared.
    /// assert!(diff_layout(<Stats as Pod>::BTF, &types.btf, types.value).is_none());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn btf(&self) -> Result<Option<MapBtf>, Error> {
        let info = self.info()?;
        if info.btf_id == 0 {
            return Ok(None);
        }
        let what = || format!("the BTF (id {}) of {}", info.btf_id, self.label());
        let fd = sys::btf_fd_by_id(info.btf_id).map_err(|errno| Error::Open { what: what(), errno })?;
        let object = sys::btf_info(fd.as_fd()).map_err(|errno| Error::Open { what: what(), errno })?;
        let btf = crate::btf::Btf::parse(&object.data)
            .map_err(|e| Error::Open { what: format!("{} ({e})", what()), errno: Errno::EINVAL })?;
        Ok(Some(MapBtf { id: info.btf_id, btf, key: info.btf_key_type_id, value: info.btf_value_type_id }))
    }

    /// `BPF_MAP_FREEZE`: makes the map read-only for user space from now on (programs may
    /// still write it unless it was created with `rdonly_prog`); used to seal configuration.
    pub fn freeze(&self) -> Result<(), Error> {
        sys::freeze(self.fd()).map_err(|errno| self.error(Op::Freeze, errno))
    }

    /// Duplicates the fd (`F_DUPFD_CLOEXEC`) into another owner of the same map.
    pub fn try_clone(&self) -> Result<Map, Error> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| self.error(Op::Dup, Errno::from_raw(e.raw_os_error().unwrap_or(0))))?;
        Ok(Map {
            fd,
            def: self.def,
            decl: self.decl,
            id: self.id.clone(),
            pinned_at: self.pinned_at.clone(),
            access: self.access,
        })
    }

    /// Opens the map with kernel id `id` (as `bpftool map show` lists it): a new fd on a map
    /// another program created. Its definition is read back from the kernel.
    pub fn from_id(id: u32) -> Result<Map, Error> {
        Map::from_id_with(id, Access::ReadWrite)
    }

    /// [`Map::from_id`] with `access`: a read-only fd is what a monitoring tool needs.
    ///
    /// ```no_run
    /// use bpfmap::{Access, Map};
    ///
    /// let map = Map::from_id_with(42, Access::ReadOnly)?;
    /// println!("{}", map);   // map `flows` (hash), read-only
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn from_id_with(id: u32, access: Access) -> Result<Map, Error> {
        let what = || match access {
            Access::ReadWrite => format!("map id {id}"),
            access => format!("map id {id} {access}"),
        };
        let fd =
            sys::map_fd_by_id(id, access.flags()).map_err(|errno| Error::Open { what: what(), errno })?;
        Ok(Map { access, ..Map::from_fd(fd, what)? })
    }

    /// Opens the map pinned at `path` in bpffs: a new fd on a map another program (or an
    /// earlier run) pinned. Its definition is read back from the kernel; to check it against a
    /// declaration, use [`Map::adopt`].
    ///
    /// # Errors
    /// [`Error::Open`] with `ENOENT` if nothing is pinned there, [`Error::NotAMap`] if a
    /// program, a link or a directory is.
    pub fn from_pin(path: impl AsRef<Path>) -> Result<Map, Error> {
        Map::from_pin_with(path, Access::ReadWrite)
    }

    /// [`Map::from_pin`] with `access`. The pin's file mode decides who may open it how: a
    /// user with read permission on a pin opens it [`Access::ReadOnly`] and looks elements up;
    /// writes through that fd fail ([`Error::Access`]).
    ///
    /// ```no_run
    /// use bpfmap::{Access, ArrayMap, Map};
    ///
    /// let map = Map::from_pin_with("/sys/fs/bpf/config", Access::ReadOnly)?;
    /// let config = ArrayMap::<u64>::new(&map)?;
    /// println!("limit {:?}", config.get(0)?);
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Map::from_pin`]; [`Error::PinDenied`] when the pin's mode does not grant this
    /// process `access`, naming the mode, its owner and what the process may do instead.
    pub fn from_pin_with(path: impl AsRef<Path>, access: Access) -> Result<Map, Error> {
        let path = path.as_ref();
        let what = || match access {
            Access::ReadWrite => format!("the map pinned at {}", path.display()),
            access => format!("the map pinned at {} {access}", path.display()),
        };
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::Open { what: what(), errno: Errno::EINVAL })?;
        let fd = sys::obj_get(&c_path, access.flags()).map_err(|errno| match errno {
            // The kernel's answer for a path that holds no BPF object, before it would check
            // the caller's access.
            Errno::EACCES if path.is_dir() => {
                Error::NotAMap { path: path.to_path_buf(), found: "a directory".to_string() }
            }
            Errno::EACCES => crate::pin::denied(path, access).unwrap_or(Error::Open { what: what(), errno }),
            errno => Error::Open { what: what(), errno },
        })?;
        // BPF_OBJ_GET opens programs and links as readily as maps, and reading a program's info
        // as a map's would give a map of nonsense.
        if let Some(found) = not_a_map(fd.as_fd()) {
            return Err(Error::NotAMap { path: path.to_path_buf(), found });
        }
        Ok(Map { access, ..Map::from_fd(fd, what)?.with_pin(path.to_path_buf()) })
    }

    /// A map from an fd this process owns, its definition read back from the kernel.
    pub(crate) fn from_fd(fd: OwnedFd, what: impl Fn() -> String) -> Result<Map, Error> {
        let info = sys::map_info(fd.as_fd()).map_err(|errno| Error::Open { what: what(), errno })?;
        let info = MapInfo::from(info);
        let def = MapDef::new(info.map_type, info.key_size, info.value_size, info.max_entries)
            .with_flags(info.flags)
            .with_name(info.name)
            .with_map_extra(info.map_extra);
        Ok(Map {
            fd,
            def,
            decl: None,
            id: OnceLock::from(info.id),
            pinned_at: None,
            access: Access::ReadWrite,
        })
    }

    /// Where the loader pinned this map, or found it pinned.
    pub fn pinned_at(&self) -> Option<&Path> {
        self.pinned_at.as_deref()
    }

    /// This map, known as `decl` and found or pinned at `path`.
    pub(crate) fn declared(self, def: MapDef, decl: &'static Declaration, path: PathBuf) -> Map {
        self.with_declaration(def, decl).with_pin(path)
    }

    /// This map, known as `decl`, whose definition `def` the caller has checked against the
    /// kernel's.
    pub(crate) fn with_declaration(mut self, def: MapDef, decl: &'static Declaration) -> Map {
        self.def = def;
        self.decl = Some(decl);
        self
    }

    pub(crate) fn with_pin(mut self, path: PathBuf) -> Map {
        self.pinned_at = Some(path);
        self
    }

    /// Who to blame in an error.
    pub(crate) fn label(&self) -> MapLabel {
        MapLabel::of(&self.def, self.decl)
    }

    pub(crate) fn error(&self, op: Op, errno: Errno) -> Error {
        if errno == Errno::EPERM && self.access.forbids(op) {
            return Error::Access { op, map: self.label(), access: self.access };
        }
        Error::Map { op, map: self.label(), errno }
    }

    /// The error of `op`, made with `flags`: an EINVAL for `BPF_F_LOCK` is the kernel saying
    /// it knows of no lock in the map's value.
    pub(crate) fn error_with(&self, op: Op, errno: Errno, flags: u64) -> Error {
        const BPF_F_LOCK: u64 = 4;
        match errno {
            Errno::EINVAL if flags & BPF_F_LOCK != 0 => Error::LockUnknown { op, map: self.label() },
            errno => self.error(op, errno),
        }
    }

    /// Creates `def` (already validated and resolved) through `BPF_MAP_CREATE`, with its key
    /// and value types in `btf` if it has them, through `token` if given.
    pub(crate) fn create_validated(
        def: MapDef,
        decl: Option<&'static Declaration>,
        btf: Option<BtfIds<'_>>,
        token: Option<&Token>,
    ) -> Result<Map, Error> {
        let fd = Map::create_fd(&def, btf, token).map_err(|errno| Error::create(&def, decl, errno, token))?;
        Ok(Map { fd, def, decl, id: OnceLock::new(), pinned_at: None, access: Access::ReadWrite })
    }

    /// `BPF_MAP_CREATE` for a validated, resolved definition, with the bare errno (probes use
    /// it: explaining an errno may itself probe). With `token`, the attr carries it
    /// (`map_token_fd`, and `BPF_F_TOKEN_FD` in `map_flags`), and so does the creation of a
    /// map-of-maps' inner template and the load of its BTF.
    pub(crate) fn create_fd(
        def: &MapDef,
        btf: Option<BtfIds<'_>>,
        token: Option<&Token>,
    ) -> Result<OwnedFd, Errno> {
        // The template of a map-of-maps only lends its fd for the creation. It has its BTF
        // where it takes it: the kernel keeps the template's fields (a lock) and lets in only
        // inner maps whose fields are the same.
        let inner = match def.inner {
            Some(inner) => {
                let inner = inner.resolve_for(HostLimits::current());
                let btf = MapsBtf::load([&inner], token);
                if let Some(refusal) = btf.refusal().filter(|_| inner.needs_btf()) {
                    return Err(refusal.errno);
                }
                Some(Map::create_fd(&inner, btf.ids(0), token)?)
            }
            None => None,
        };
        let (token_flag, map_token_fd) = sys::token_fields(token.map(Token::as_fd));
        let mut attr = attr::MapCreate {
            map_type: def.map_type.raw(),
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            map_flags: def.flags.bits() | token_flag,
            inner_map_fd: inner.as_ref().map_or(0, |fd| sys::fd_u32(fd.as_fd())),
            numa_node: def.numa_node,
            map_name: def.name.to_kernel(),
            map_extra: def.map_extra,
            btf_fd: btf.map_or(0, |b| sys::fd_u32(b.fd)),
            btf_key_type_id: btf.map_or(0, |b| b.key),
            btf_value_type_id: btf.map_or(0, |b| b.value),
            map_token_fd,
            ..Default::default()
        };
        // SAFETY: MAP_CREATE reads no pointers from this attr prefix and returns a new fd.
        unsafe { sys::bpf(Cmd::MapCreate, &mut attr).and_then(|ret| sys::owned_fd(ret)) }
    }
}

/// What `fd` is, in words, if it is a BPF program or link rather than a map; `None` for a map,
/// and when `/proc` cannot tell.
fn not_a_map(fd: BorrowedFd<'_>) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    match link.to_str()? {
        "anon_inode:bpf-prog" => Some("a BPF program".to_string()),
        "anon_inode:bpf_link" => Some("a BPF link".to_string()),
        // Maps, and names a future kernel may give: the info read decides.
        _ => None,
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
    create_declared(def, None, None)
}

/// [`create_map`] through a BPF token: the map's creation, the load of its BTF and the probes
/// that explain a refusal carry `token`, so that a process in a container's user namespace
/// creates it without `CAP_BPF` on the host, if the token's bpffs delegates `map_create`
/// and the map's type.
///
/// ```no_run
/// use bpfmap::{HashMap, MapDef, MapType, Token, Update, create_map_with_token};
///
/// let token = Token::open("/sys/fs/bpf")?;      // mounted by the container runtime, delegating
/// let map = create_map_with_token(&MapDef::new(MapType::HASH, 4, 8, 1024).with_types::<u32, u64>(), &token)?;
/// HashMap::<u32, u64>::new(&map)?.insert(&1, &2, Update::Any)?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// # Errors
/// As [`create_map`]; an `EPERM` for what the bpffs does not delegate is explained by
/// [`Cause::NotDelegated`](crate::Cause::NotDelegated).
pub fn create_map_with_token(def: &MapDef, token: &Token) -> Result<Map, Error> {
    create_declared(def, None, Some(token))
}

pub(crate) fn create_declared(
    def: &MapDef,
    decl: Option<&'static Declaration>,
    token: Option<&Token>,
) -> Result<Map, Error> {
    let btf = MapsBtf::load([def], token);
    create_with(def, decl, &btf, 0)
}

/// Creates `def`, map `index` of the BTF object `btf` (made for a set of maps, this one
/// among them): with its types where the kernel took them, without where it refused them
/// and the map can go without; through the token `btf` was loaded with, if any.
pub(crate) fn create_with(
    def: &MapDef,
    decl: Option<&'static Declaration>,
    btf: &MapsBtf,
    index: usize,
) -> Result<Map, Error> {
    if def.map_type == MapType::PERF_EVENT_ARRAY && def.max_entries == 0 {
        // One entry per possible CPU: a count that is never assumed.
        crate::possible_cpus()?;
    }
    let host = HostLimits::current();
    let def = def.resolve_for(host);
    def.validate_on(host).map_err(|rule| Error::Invalid { map: MapLabel::of(&def, decl), rule })?;
    if let Some(missing) = btf.missing_for(&def, decl) {
        return Err(missing);
    }
    let map = Map::create_validated(def, decl, btf.ids(index), btf.token())?;
    if let Some(refusal) = btf.refusal().filter(|_| def.takes_btf()) {
        crate::map_btf::warn_created_without(refusal, btf.token());
    }
    Ok(map)
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

/// `map `flows` (hash, declared as `Flows` at src/main.rs:8)`, and `, read-only` (or
/// `, write-only`) for a map opened so.
impl fmt::Display for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.label())?;
        match self.access {
            Access::ReadWrite => Ok(()),
            access => write!(f, ", {access}"),
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("fd", &self.fd.as_raw_fd())
            .field("def", &self.def)
            .field("access", &self.access)
            .finish()
    }
}

/// A map's BTF as the kernel holds it ([`Map::btf`]).
///
/// ```no_run
/// use bpfmap::{bpf_map, Pod};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u64 }
///
/// #[bpf_map(type = "hash", max_entries = 16)]
/// struct Flows { key: u32, value: Flow }
///
/// let maps = bpfmap::load()?;
/// if let Some(btf) = maps.map::<Flows>()?.btf()? {
///     println!("value type #{} of BTF object {}", btf.value, btf.id);
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct MapBtf {
    /// The BTF object's kernel id.
    pub id: u32,
    /// The object, parsed.
    pub btf: crate::btf::Btf,
    /// The key's type id in it (0: no key).
    pub key: u32,
    /// The value's type id in it.
    pub value: u32,
}

/// What the kernel reports of a map (`struct bpf_map_info`).
///
/// ```no_run
/// use bpfmap::Map;
///
/// let map = Map::from_pin("/sys/fs/bpf/flows")?;
/// let info = map.info()?;
/// println!("{} #{}: {} entries of {}+{} bytes", info.map_type, info.id, info.max_entries,
///          info.key_size, info.value_size);
/// # Ok::<(), bpfmap::Error>(())
/// ```
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
    /// What the fd the info was read through may do (not the kernel's: the fd's).
    pub access: Access,
    /// The BTF type id of the key in that object (0: none, or no key).
    pub btf_key_type_id: u32,
    /// The BTF type id of the value in that object (0: none).
    pub btf_value_type_id: u32,
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
            btf_key_type_id: i.btf_key_type_id,
            btf_value_type_id: i.btf_value_type_id,
            access: Access::ReadWrite,
        }
    }
}
