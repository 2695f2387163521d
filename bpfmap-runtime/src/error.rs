//! `Error`: everything that can go wrong, each saying which map, what happened and what to do.

use core::fmt;

use crate::registry::Declaration;
use crate::rules::{MapDef, MapType, Privilege, RuleError};
use crate::token::{Delegation, NotDelegated, Token, TokenProblem, Undelegated};
use crate::{Errno, KernelVersion};

/// The map an error is about: its name, and where it was declared if it was.
///
/// ```
/// use bpfmap::{MapDef, MapName, MapType, create_map};
///
/// // A key of 0 bytes: the rule book refuses it before any syscall, so this runs anywhere.
/// let def = MapDef::new(MapType::HASH, 0, 8, 16).with_name(MapName::new("flows"));
/// let err = create_map(&def).unwrap_err();
/// let label = err.map().expect("the error names its map");
/// assert_eq!((label.name.as_str(), label.map_type), ("flows", MapType::HASH));
/// assert_eq!(label.declared, None);            // made at run time, not by #[bpf_map]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapLabel {
    /// The map's name.
    pub name: String,
    /// The map's type.
    pub map_type: MapType,
    /// The `#[bpf_map]` declaration, if the map was declared.
    pub declared: Option<Location>,
}

/// Where a map was declared.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 16)]
/// struct Flows { key: u32, value: u64 }
///
/// if let Err(err) = bpfmap::load() {
///     if let Some(at) = err.map().and_then(|label| label.declared) {
///         eprintln!("{} is declared at {}:{}", at.rust_name, at.file, at.line);
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The struct's name.
    pub rust_name: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The line of the struct.
    pub line: u32,
}

impl MapLabel {
    pub(crate) fn of(def: &MapDef, decl: Option<&Declaration>) -> MapLabel {
        MapLabel {
            name: def.name.to_string(),
            map_type: def.map_type,
            declared: decl.map(Declaration::location),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` at {}:{}", self.rust_name, self.file, self.line)
    }
}

/// `map `flows` (hash, declared as `Flows` at src/main.rs:12)`.
impl fmt::Display for MapLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&*self.name, &self.declared) {
            ("", None) => write!(f, "unnamed {} map", self.map_type),
            ("", Some(at)) => write!(f, "unnamed {} map (declared as {at})", self.map_type),
            (name, None) => write!(f, "map `{name}` ({})", self.map_type),
            (name, Some(at)) => write!(f, "map `{name}` ({}, declared as {at})", self.map_type),
        }
    }
}

/// An operation on a created map.
///
/// ```no_run
/// use bpfmap::{bpf_map, Error, Op, Update};
///
/// #[bpf_map(type = "hash", max_entries = 1)]
/// struct One { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// maps.get::<One>().insert(&1, &1, Update::Any)?;
/// match maps.get::<One>().insert(&2, &2, Update::Any) {
///     Err(Error::Map { op: Op::Update(_), errno, .. }) => println!("full: {errno}"),   // E2BIG
///     other => println!("{other:?}"),
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `BPF_MAP_LOOKUP_ELEM`.
    Lookup,
    /// `BPF_MAP_UPDATE_ELEM`, with its policy.
    Update(crate::Update),
    /// `BPF_MAP_DELETE_ELEM`.
    Delete,
    /// `BPF_MAP_GET_NEXT_KEY`.
    NextKey,
    /// `BPF_OBJ_GET_INFO_BY_FD`.
    Info,
    /// `BPF_MAP_FREEZE`.
    Freeze,
    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`.
    LookupAndDelete,
    /// A `BPF_MAP_*_BATCH` command.
    Batch,
    /// `mmap` of the map's memory.
    Mmap,
    /// Waiting for ring buffer records.
    Poll,
    /// Duplicating the map's fd.
    Dup,
    /// Setting up the perf buffer of one CPU for a `perf_event_array` reader: `call` is the
    /// step that failed (`perf_event_open`, `mmap`, `PERF_EVENT_IOC_ENABLE`, `epoll_ctl`).
    PerfBuffer {
        /// The CPU.
        cpu: u32,
        /// The call that failed.
        call: &'static str,
    },
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Op::PerfBuffer { cpu, call } = self {
            return write!(f, "set up the perf buffer of CPU {cpu} (`{call}`) for");
        }
        f.write_str(match self {
            Op::Lookup => "look up an element of",
            Op::Update(_) => "update an element of",
            Op::Delete => "delete an element of",
            Op::NextKey => "iterate",
            Op::Info => "read the info of",
            Op::Freeze => "freeze",
            Op::LookupAndDelete => "pop an element of",
            Op::Batch => "run a batch operation on",
            Op::Mmap => "mmap",
            Op::Poll => "wait for records of",
            Op::Dup => "duplicate the fd of",
            Op::PerfBuffer { .. } => unreachable!("written above"),
        })
    }
}

/// Why the kernel refused to create a map that passed the rule book.
///
/// ```no_run
/// use bpfmap::{Cause, Error};
///
/// match bpfmap::load() {
///     Err(Error::Create { cause: Cause::Privilege { .. }, .. }) => {
///         eprintln!("run as root, or grant CAP_BPF");
///     }
///     Err(Error::Create { cause: Cause::Memory { .. }, .. }) => {
///         eprintln!("raise the memlock limit (`Loader::memlock`) or shrink max_entries");
///     }
///     Err(other) => eprintln!("{other}"),
///     Ok(maps) => println!("{maps}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// `EPERM`: the process lacks a capability, or unprivileged BPF is off, or (in a
    /// container's user namespace, where capabilities do not count for BPF) it has no BPF
    /// token.
    Privilege {
        /// The capability the type needs.
        needs: Privilege,
        /// Whether this process has `CAP_BPF` (or `CAP_SYS_ADMIN`), if `/proc/self/status` says.
        has_cap_bpf: Option<bool>,
        /// Whether this process has `CAP_SYS_ADMIN`, if `/proc/self/status` says.
        has_cap_sys_admin: Option<bool>,
        /// `kernel.unprivileged_bpf_disabled`, if readable.
        unprivileged_bpf_disabled: Option<u32>,
        /// Whether the map was created through a BPF token (whose bpffs, as far as this
        /// process can tell, delegates the command and the map type).
        token: bool,
        /// Whether this process runs in a user namespace other than the initial one (a
        /// container's), where only a BPF token lets it create maps; `None` if `/proc` does not
        /// say.
        user_namespace: Option<bool>,
    },
    /// `EPERM` through a BPF token whose bpffs does not delegate what the map needs: the
    /// kernel then ignores the token and checks the capabilities of the initial user
    /// namespace. (Boxed: it keeps [`Error`] small.)
    NotDelegated(Box<NotDelegated>),
    /// `ENOMEM` (or `EPERM` from a kernel that charges `RLIMIT_MEMLOCK`): the kernel could
    /// not allocate the map.
    Memory {
        /// The map's `max_entries`, `key_size` and `value_size`: what the kernel was asked to
        /// allocate, before its per-element overhead.
        sizes: (u32, u32, u32),
        /// `RLIMIT_MEMLOCK` in bytes (`u64::MAX`, `RLIM_INFINITY`, when unlimited).
        memlock_limit: u64,
        /// Whether this kernel charges maps to `RLIMIT_MEMLOCK` (before 5.11), as probed.
        memlock_charged: bool,
        /// Why the loader could not raise `RLIMIT_MEMLOCK`, if it tried.
        raise_failed: Option<Errno>,
    },
    /// `EINVAL` for a definition the rule book accepts, and a probe shows the kernel lacks the
    /// type or a flag.
    Unsupported {
        /// The type or flag the kernel lacks.
        feature: String,
        /// The release that added it.
        since: KernelVersion,
    },
    /// `E2BIG` for a definition the rule book accepts: a limit of this kernel's build.
    TooBig,
    /// Any other errno.
    Other,
}

impl Cause {
    /// What a bpffs that delegates `delegation` lacks for a map of `map_type`, if anything.
    pub(crate) fn undelegated(delegation: &Delegation, map_type: MapType) -> Option<Undelegated> {
        if !delegation.map_create() {
            Some(Undelegated::MapCreate)
        } else if !delegation.map_type(map_type) {
            Some(Undelegated::MapType(map_type))
        } else {
            None
        }
    }
}

/// Everything that can go wrong in bpfmap.
///
/// Its message ([`Display`](fmt::Display), and [`Debug`](fmt::Debug) too, which is what
/// `main` prints when it returns `Err`) says which map, what happened and what to do; the
/// variants carry the same facts for code that reacts to them.
///
/// ```
/// use bpfmap::{Errno, Error, MapDef, MapType, RuleError, create_map};
///
/// // Refused by the rule book, before any syscall: this runs without privilege.
/// let err = create_map(&MapDef::new(MapType::ARRAY, 4, 8, 0)).unwrap_err();
/// assert!(matches!(err, Error::Invalid { .. }));
/// assert_eq!(err.errno(), Some(Errno::EINVAL));    // what the kernel would have said
/// assert!(err.to_string().contains("max_entries"), "{err}");
/// assert_eq!(format!("{err:?}"), err.to_string()); // what `main` prints
/// ```
#[non_exhaustive]
pub enum Error {
    /// A map definition breaks a rule of `BPF_MAP_CREATE`; found before the syscall.
    Invalid {
        /// The map.
        map: MapLabel,
        /// The rule it breaks.
        rule: RuleError,
    },
    /// `BPF_MAP_CREATE` failed.
    Create {
        /// The map.
        map: MapLabel,
        /// The kernel's errno.
        errno: Errno,
        /// The likely cause.
        cause: Cause,
    },
    /// An operation on a created map failed.
    Map {
        /// The operation.
        op: Op,
        /// The map.
        map: MapLabel,
        /// The kernel's errno.
        errno: Errno,
    },
    /// Two declared maps have the same kernel name.
    DuplicateName {
        /// The name.
        name: String,
        /// The first declaration.
        first: Location,
        /// The second declaration.
        second: Location,
    },
    /// A map does not have the shape a typed handle needs.
    Mismatch {
        /// The map.
        map: MapLabel,
        /// What differs, in words.
        what: String,
    },
    /// Iteration stopped because the map changed under it more than its size allows.
    IterationAborted {
        /// The map.
        map: MapLabel,
        /// The keys visited before stopping.
        visited: u64,
    },
    /// A BPF object's maps cannot be read ([`check_object`](crate::check_object)).
    ObjectUnreadable {
        /// The object: its path, or `the object`.
        object: String,
        /// What is wrong with it.
        error: crate::object::ObjectError,
    },
    /// Maps of a BPF object differ from their declarations, or have none
    /// ([`check_object`](crate::check_object)).
    ObjectMismatch {
        /// The object: its path, or `the object`.
        object: String,
        /// One per map that differs or has no declaration, in the object's order.
        problems: Vec<crate::object::ObjectProblem>,
    },
    /// A pinned map differs from its declaration.
    PinMismatch {
        /// The declared map.
        map: MapLabel,
        /// The pin.
        path: std::path::PathBuf,
        /// Every field that differs.
        diffs: Vec<crate::compat::FieldDiff>,
    },
    /// The kernel refused an operation (`EPERM`) that the map's fd was not opened for: a
    /// write through a map opened [`Access::ReadOnly`](crate::Access::ReadOnly), a read
    /// through one opened [`Access::WriteOnly`](crate::Access::WriteOnly).
    Access {
        /// The operation.
        op: Op,
        /// The map.
        map: MapLabel,
        /// How the map was opened.
        access: crate::Access,
    },
    /// Opening a pinned map was refused (`EACCES`): the pin's file mode does not grant this
    /// process the access it asked for.
    PinDenied {
        /// The pin.
        path: std::path::PathBuf,
        /// The access asked for.
        access: crate::Access,
        /// The pin's permission bits (`0o640`).
        mode: u32,
        /// The pin's owner.
        owner: u32,
        /// The pin's group.
        group: u32,
        /// This process's effective uid.
        uid: u32,
        /// What the mode grants this process (`None`: nothing).
        granted: Option<crate::Access>,
    },
    /// A pin the loader would reuse has narrower permissions than the loader asks for: the
    /// loader does not widen them.
    PinPermissions {
        /// The declared map.
        map: MapLabel,
        /// The pin.
        path: std::path::PathBuf,
        /// The pin's permission bits.
        mode: u32,
        /// The pin's group.
        group: u32,
        /// The bits the loader asks for.
        asked_mode: u32,
        /// The group the loader asks for.
        asked_group: u32,
    },
    /// A map given to a map-of-maps differs from its inner template, found before the
    /// syscall (the kernel would refuse it with `EINVAL`).
    InnerMismatch {
        /// The map-of-maps.
        map: MapLabel,
        /// The kernel id of the map given.
        inner: u32,
        /// Every field that differs (`declared`: the template's, `found`: the given map's).
        diffs: Vec<crate::compat::FieldDiff>,
    },
    /// Pinning a map (or removing a pin) failed.
    Pin {
        /// The map.
        map: MapLabel,
        /// The pin path.
        path: std::path::PathBuf,
        /// The errno.
        errno: Errno,
    },
    /// The pin root cannot hold pins.
    PinRoot {
        /// The root.
        root: std::path::PathBuf,
        /// What is wrong with it, and what to do.
        problem: String,
    },
    /// A map made elsewhere (by id or pin) could not be opened.
    Open {
        /// Which map, in words.
        what: String,
        /// The kernel's errno.
        errno: Errno,
    },
    /// What is pinned at a path is not a map (a program, a link, a directory).
    NotAMap {
        /// The pin.
        path: std::path::PathBuf,
        /// What is there instead, in words (`a BPF program`, `a directory`).
        found: String,
    },
    /// A declared map is not among the loaded maps.
    NotLoaded {
        /// The struct's name.
        rust_name: &'static str,
    },
    /// A batch operation failed part way: the first `done` elements were processed.
    Batch {
        /// The operation.
        op: Op,
        /// The map.
        map: MapLabel,
        /// The kernel's errno for the element after the last one processed.
        errno: Errno,
        /// How many elements the kernel processed before it failed.
        done: usize,
    },
    /// A ring buffer already has its one consumer (or producer) in this process, or a
    /// `perf_event_array` its one perf buffer reader.
    InUse {
        /// The map.
        map: MapLabel,
        /// `"consumer"`, `"producer"` or `"reader"`.
        role: &'static str,
    },
    /// A ring buffer record could not be read or written.
    Ring {
        /// The map.
        map: MapLabel,
        /// What went wrong.
        problem: RingProblem,
    },
    /// An operation under a value's [`SpinLock`](crate::SpinLock) (`BPF_F_LOCK`) that the
    /// kernel refused because it knows of no lock in the map's value: the map was created
    /// without the BTF of its value.
    LockUnknown {
        /// The operation.
        op: Op,
        /// The map.
        map: MapLabel,
    },
    /// The kernel refused the BTF that describes the keys and values of maps, and this map
    /// cannot go without it (local storage, a value with a [`SpinLock`](crate::SpinLock)).
    Btf {
        /// The map that needs it, if one does (`None`: the declared maps' object as a whole).
        map: Option<MapLabel>,
        /// The errno of `BPF_BTF_LOAD`.
        errno: Errno,
        /// The kernel's BTF log, which says what it refused.
        log: String,
    },
    /// Waiting for events failed: `epoll_create1` or `epoll_wait` refused (out of fds, or an
    /// fd closed under the poller).
    Wait {
        /// The errno of the epoll call.
        errno: Errno,
    },
    /// An async reader or writer was made where no tokio runtime runs. (Inside a runtime
    /// built without IO, tokio panics instead: it cannot be asked first.)
    NoReactor,
    /// The number of possible CPUs, which sizes every per-CPU value, could not be read.
    PossibleCpus {
        /// What went wrong, in words.
        problem: String,
    },
    /// The online CPUs, on each of which a perf buffer reader opens a perf event, could not be
    /// read.
    OnlineCpus {
        /// What went wrong, in words.
        problem: String,
    },
    /// A BPF token could not be made ([`Token::open`], [`Loader::token`](crate::Loader::token),
    /// `BPFMAP_TOKEN_PATH`); found before any map is created.
    Token {
        /// The bpffs named, or `None` for one given by fd ([`Token::from_bpffs`]).
        bpffs: Option<std::path::PathBuf>,
        /// Whether `BPFMAP_TOKEN_PATH` named it.
        from_env: bool,
        /// What is wrong.
        problem: TokenProblem,
    },
}

/// What went wrong with a ring buffer record.
///
/// ```no_run
/// use bpfmap::{bpf_map, Error, RingProblem};
///
/// #[bpf_map(type = "ringbuf", max_entries = 4096)]
/// struct Events;
///
/// let maps = bpfmap::load()?;
/// let mut events = maps.get::<Events>().consumer()?;
/// while let Some(record) = events.next() {
///     match record.and_then(|r| r.read::<u64>()) {
///         Ok(value) => println!("{value}"),
///         Err(Error::Ring { problem: RingProblem::TooShort { found, .. }, .. }) => {
///             eprintln!("a record of {found} bytes is no u64; skipped");
///         }
///         Err(other) => return Err(other),
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RingProblem {
    /// A record of `len` bytes can never fit: with its 8-byte header it exceeds the ring
    /// (`max` bytes of data at most), or its length has the header's flag bits.
    TooLarge {
        /// The record's length.
        len: usize,
        /// The largest record the ring holds.
        max: u64,
    },
    /// The ring has no room now for a record of `len` bytes; `available` bytes are free.
    Full {
        /// The record's length with its header, rounded up to 8.
        needed: u64,
        /// The bytes free now.
        available: u64,
    },
    /// The ring's positions or a record's header contradict the ring's protocol: written by
    /// something other than the kernel (the consumer page is writable by any process that maps
    /// the ring). Nothing past `position` is read.
    Corrupt {
        /// The consumer position where it was found.
        position: u64,
        /// What is wrong, in words.
        what: &'static str,
    },
    /// A record has fewer bytes than the type it was read as: the program submits another
    /// struct, or another version of it.
    TooShort {
        /// The type asked for.
        type_name: &'static str,
        /// Its size.
        needed: usize,
        /// The record's length.
        found: usize,
    },
    /// Another consumer of the ring, in another process, moved its consumer position from
    /// `expected` (where this consumer left it) to `found`. A ring has one consumer: this one
    /// went on from the producer position, and the records in between went to the other.
    SharedConsumer {
        /// Where this consumer left the position.
        expected: u64,
        /// Where it was found.
        found: u64,
    },
}

impl Error {
    /// The kernel's errno, for errors that come from a syscall or that the kernel would give.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Invalid { rule, .. } => Some(rule.errno()),
            Error::Create { errno, .. }
            | Error::Map { errno, .. }
            | Error::Open { errno, .. }
            | Error::Pin { errno, .. }
            | Error::Batch { errno, .. }
            | Error::Btf { errno, .. }
            | Error::Wait { errno } => Some(*errno),
            Error::LockUnknown { .. } | Error::InnerMismatch { .. } => Some(Errno::EINVAL),
            Error::Access { .. } => Some(Errno::EPERM),
            Error::PinDenied { .. } => Some(Errno::EACCES),
            Error::Token { problem, .. } => Some(problem.errno()),
            _ => None,
        }
    }

    /// The map the error is about.
    pub fn map(&self) -> Option<&MapLabel> {
        match self {
            Error::Invalid { map, .. }
            | Error::Create { map, .. }
            | Error::Map { map, .. }
            | Error::Mismatch { map, .. }
            | Error::PinMismatch { map, .. }
            | Error::InnerMismatch { map, .. }
            | Error::Access { map, .. }
            | Error::PinPermissions { map, .. }
            | Error::Pin { map, .. }
            | Error::IterationAborted { map, .. }
            | Error::Batch { map, .. }
            | Error::InUse { map, .. }
            | Error::Ring { map, .. }
            | Error::LockUnknown { map, .. }
            | Error::Btf { map: Some(map), .. } => Some(map),
            _ => None,
        }
    }

    /// The error of `BPF_MAP_CREATE` for `def`, made through `token` if given.
    pub(crate) fn create(
        def: &MapDef,
        decl: Option<&Declaration>,
        errno: Errno,
        token: Option<&Token>,
    ) -> Error {
        Error::Create { map: MapLabel::of(def, decl), errno, cause: Cause::explain(def, errno, token) }
    }
}

impl Cause {
    /// The likely cause of `errno` from `BPF_MAP_CREATE` for a definition that passed the
    /// rules, created through `token` if given.
    pub(crate) fn explain(def: &MapDef, errno: Errno, token: Option<&Token>) -> Cause {
        match errno {
            Errno::EPERM if crate::probe::memlock_charged() => Cause::Memory {
                sizes: (def.max_entries, def.key_size, def.value_size),
                memlock_limit: memlock_limit(),
                memlock_charged: true,
                raise_failed: crate::probe::memlock_raise_error(),
            },
            Errno::EPERM => {
                // A token whose bpffs lacks the command or the type is ignored by the kernel.
                if let Some(token) = token
                    && let Some(delegation) = token.delegation()
                    && let Some(missing) = Cause::undelegated(&delegation, def.map_type)
                {
                    return Cause::NotDelegated(Box::new(NotDelegated::new(token, delegation, missing)));
                }
                Cause::Privilege {
                    needs: def.privilege(),
                    has_cap_bpf: effective_caps().map(|caps| caps & (CAP_BPF | CAP_SYS_ADMIN) != 0),
                    has_cap_sys_admin: effective_caps().map(|caps| caps & CAP_SYS_ADMIN != 0),
                    unprivileged_bpf_disabled: read_u32("/proc/sys/kernel/unprivileged_bpf_disabled"),
                    token: token.is_some(),
                    user_namespace: crate::token::in_user_namespace(),
                }
            }
            Errno::ENOMEM => Cause::Memory {
                sizes: (def.max_entries, def.key_size, def.value_size),
                memlock_limit: memlock_limit(),
                memlock_charged: crate::probe::memlock_charged(),
                raise_failed: crate::probe::memlock_raise_error(),
            },
            Errno::EINVAL => missing_feature(def, token)
                .map_or(Cause::Other, |(feature, since)| Cause::Unsupported { feature, since }),
            Errno::E2BIG => Cause::TooBig,
            _ => Cause::Other,
        }
    }
}

/// Bytes in the largest unit that keeps a whole number: `1 TiB`, `48 KiB`, `100 B`.
fn human(bytes: u128) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", units[unit]),
    }
}

/// The type or flag of a definition that this kernel lacks, found by probing (through `token`,
/// as the map was created); where a probe cannot tell, the newest of them (which an older
/// kernel would refuse with EINVAL).
fn missing_feature(def: &MapDef, token: Option<&Token>) -> Option<(String, KernelVersion)> {
    use crate::probe::map_flag_via;
    use crate::rules::MapFlags;
    let rules = def.map_type.rules()?;
    if matches!(map_flag_via(def.map_type, MapFlags::EMPTY, token), Ok(false)) {
        return Some((format!("map type `{}`", rules.name), rules.since));
    }
    let flags: Vec<_> = def.flags.iter().filter_map(|flag| flag.info()).collect();
    if let Some(info) =
        flags.iter().find(|info| matches!(map_flag_via(def.map_type, info.flag, token), Ok(false)))
    {
        return Some((format!("flag `{}` on `{}` maps", info.name, rules.name), info.since));
    }
    None
}

fn read_u32(path: &str) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

const CAP_SYS_ADMIN: u64 = 1 << 21;
const CAP_BPF: u64 = 1 << 39;

/// The effective capability set of this process, as `/proc/self/status` shows it.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim();
    u64::from_str_radix(hex, 16).ok()
}

fn memlock_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) };
    limit.rlim_cur
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Privilege {
                needs,
                has_cap_bpf,
                has_cap_sys_admin,
                unprivileged_bpf_disabled,
                token,
                user_namespace,
            } => {
                if *needs == Privilege::SysAdmin {
                    f.write_str("`zero_seed` on a hash map needs CAP_SYS_ADMIN (CAP_BPF is not enough)")?;
                    if *token || *user_namespace == Some(true) {
                        f.write_str(
                            " in the initial user namespace: a BPF token does not stand in for it, nor do the \
                             capabilities of a container",
                        )?;
                    } else if *has_cap_sys_admin == Some(false) {
                        f.write_str(", which this process lacks")?;
                    }
                    return f.write_str("; run as root, or drop `zero_seed` (it exists for tests)");
                }
                if *token {
                    return f.write_str(
                        "the map was created through a BPF token, and the kernel refused it all the same: the \
                         token's bpffs does not delegate map_create or this map type (if its delegation is not \
                         visible here), or this process lacks CAP_BPF (CAP_NET_ADMIN for some types) in the \
                         token's user namespace, or a security module (LSM) denies the token",
                    );
                }
                if *user_namespace == Some(true) {
                    return f.write_str(
                        "no BPF token: this process runs in a user namespace (a container), whose capabilities \
                         the kernel does not count for BPF; set BPFMAP_TOKEN_PATH (or `Loader::token`) to a bpffs \
                         mounted with delegate_cmds=map_create and delegate_maps naming this map type (or `any`) \
                         in this container's user namespace",
                    );
                }
                match has_cap_bpf {
                    Some(false) => f.write_str("this process lacks CAP_BPF; ")?,
                    Some(true) if *needs == Privilege::NetAdmin => {
                        f.write_str("this map type also needs CAP_NET_ADMIN; ")?
                    }
                    _ => {}
                }
                f.write_str(
                    "run as root or grant CAP_BPF (and CAP_PERFMON/CAP_NET_ADMIN for some types); \
                     see /proc/sys/kernel/unprivileged_bpf_disabled",
                )?;
                match unprivileged_bpf_disabled {
                    Some(0) => f.write_str(" (0: unprivileged BPF is allowed, but not for this map type)"),
                    Some(1) => f.write_str(" (1: unprivileged BPF is disabled until reboot)"),
                    Some(2) => f.write_str(" (2: unprivileged BPF is disabled; an admin may set it to 0)"),
                    Some(n) => write!(f, " ({n})"),
                    None => Ok(()),
                }
            }
            Cause::Memory { sizes: (entries, key, value), memlock_limit, memlock_charged, raise_failed } => {
                let bytes = *entries as u128 * (*key as u128 + *value as u128);
                write!(f, "max_entries {entries} × (key {key} B + value {value} B) is {}", human(bytes))?;
                if !memlock_charged {
                    return f.write_str(
                        " before the kernel's overhead, and the kernel could not allocate it: lower max_entries or the value size, or raise the memory cgroup's limit",
                    );
                }
                f.write_str(", and this kernel (before 5.11) charges maps to RLIMIT_MEMLOCK")?;
                if *memlock_limit != libc::RLIM_INFINITY {
                    write!(f, ", now {}", human(*memlock_limit as u128))?;
                }
                match raise_failed {
                    Some(errno) => write!(f, "; the loader could not raise it ({errno}): run as root or raise `ulimit -l`"),
                    None => f.write_str("; raise it (`ulimit -l unlimited`, or `Loader::memlock(Memlock::Auto)`)"),
                }
            }
            Cause::Unsupported { feature, since } => write!(
                f,
                "the definition follows every rule, but this kernel lacks {feature} (added in Linux {since}; found by probing)"
            ),
            Cause::NotDelegated(not_delegated) => write!(f, "{not_delegated}"),
            Cause::TooBig => f.write_str(
                "the definition follows every rule but exceeds a limit of this kernel's build; lower max_entries or the value size",
            ),
            Cause::Other => Ok(()),
        }
    }
}

/// What an errno of `op` on a map of `map_type` most likely means.
fn explain_op(op: Op, map_type: MapType, errno: Errno) -> Option<&'static str> {
    use crate::rules::Family as F;
    if let Op::PerfBuffer { call, .. } = op {
        return explain_perf(call, errno);
    }
    let family = map_type.rules().map(|r| r.family);
    let update = match op {
        Op::Update(update) => Some(update),
        _ => None,
    };
    Some(match (update, family, errno) {
        (Some(_), Some(F::CgroupStorage | F::PerCpuCgroupStorage), Errno::ENOENT) => {
            "this cgroup has no storage: it exists only while a program that uses the map is attached to the cgroup"
        }
        (_, Some(F::LocalStorage), Errno::ENOTSOCK) => {
            "the owner is not a socket: an sk_storage keeps a value per socket, named by the socket's fd"
        }
        (_, Some(F::LocalStorage), Errno::EBADF) => match map_type {
            MapType::TASK_STORAGE => {
                "the owner is not a pidfd: a task_storage names a task by a pidfd (`pidfd_open(2)`)"
            }
            MapType::CGRP_STORAGE => {
                "the owner is not a cgroup: a cgrp_storage names a cgroup by its directory, opened"
            }
            MapType::INODE_STORAGE => {
                "the inode has no BPF storage: inode storage needs the BPF LSM active (the kernel booted with `lsm=...,bpf`)"
            }
            _ => "the owner's fd is not one this map keeps values for",
        },
        (Some(crate::Update::NoExist), _, Errno::EEXIST) => "the key exists (Update::NoExist)",
        (Some(crate::Update::Exist), _, Errno::ENOENT) => "the key does not exist (Update::Exist)",
        (Some(_), Some(F::Queue | F::Stack), Errno::E2BIG) => {
            "the map is full; push with `Update::Exist` to drop the oldest value instead"
        }
        (Some(_), Some(F::Hash | F::PerCpuHash | F::LpmTrie | F::MapOfMaps | F::SockMap), Errno::E2BIG) => {
            "the map is full (max_entries elements)"
        }
        (Some(_), _, Errno::E2BIG) => "the index is past max_entries",
        (None, _, Errno::EPERM) if op == Op::Mmap => {
            "the map is frozen, and the kernel refuses writable mappings of it; map it with `mmap_read_only()`"
        }
        (None, _, Errno::EACCES) if op == Op::Mmap => {
            "programs may only read the map (`rdonly_prog`), and the kernel refuses writable mappings of it; map it with `mmap_read_only()`"
        }
        (None, _, Errno::EINVAL) if op == Op::Mmap => {
            "the kernel maps a map only through an fd that may write it (a read-only fd cannot map it at all)"
        }
        (None, _, Errno::ENOTSUPP) if op == Op::Mmap || op == Op::Freeze => {
            "the map's value holds a field the kernel keeps (a SpinLock), and the kernel neither maps nor freezes such a map; read and write it through its handle, which takes the lock"
        }
        (_, _, Errno::EPERM) => {
            "the map is frozen, or its fd is read-only or write-only (`rdonly`/`wronly`), or the process lacks CAP_BPF"
        }
        (_, _, Errno::ENOTSUPP | Errno::EOPNOTSUPP) => "this map type does not support the operation",
        _ => return None,
    })
}

/// What an errno of a step of setting up a perf buffer most likely means.
fn explain_perf(call: &str, errno: Errno) -> Option<&'static str> {
    Some(match (call, errno) {
        ("perf_event_open", Errno::EACCES | Errno::EPERM) => {
            "a perf event on a CPU needs CAP_PERFMON (or CAP_SYS_ADMIN), or kernel.perf_event_paranoid at 0 or \
             below; run as root"
        }
        ("perf_event_open", Errno::ENOENT | Errno::EOPNOTSUPP | Errno::EINVAL) => {
            "this kernel has no `PERF_COUNT_SW_BPF_OUTPUT` software event (added in Linux 4.4)"
        }
        ("perf_event_open", Errno::ENODEV) => "the CPU went offline while the reader was made; make it again",
        (_, Errno::EMFILE | Errno::ENFILE) => {
            "the process is out of file descriptors (a perf buffer takes one per online CPU); raise `ulimit -n`"
        }
        ("mmap", Errno::EPERM | Errno::ENOMEM) => {
            "the perf buffer is more memory than kernel.perf_event_mlock_kb and RLIMIT_MEMLOCK allow; use \
             fewer pages per CPU, raise the limits, or run with CAP_IPC_LOCK"
        }
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { map, rule } => write!(f, "{map} is invalid: {rule}"),
            Error::Create { map, errno, cause } => {
                write!(f, "cannot create {map}: {errno}")?;
                match cause {
                    Cause::Other => Ok(()),
                    cause => write!(f, ": {cause}"),
                }
            }
            Error::Map { op, map, errno } => {
                write!(f, "cannot {op} {map}: {errno}")?;
                match explain_op(*op, map.map_type, *errno) {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
            }
            Error::Batch { op, map, errno, done } => {
                write!(f, "cannot {op} {map}: {errno}")?;
                if let Some(why) = explain_op(*op, map.map_type, *errno) {
                    write!(f, ": {why}")?;
                }
                write!(f, " ({done} elements of the batch were processed before it)")
            }
            Error::InUse { map, role: "reader" } => write!(
                f,
                "{map} already has a perf buffer reader in this process: each CPU's slot of the map holds one \
                 perf event, and a second reader would take the slots of the first; drop the first reader \
                 before making another"
            ),
            Error::InUse { map, role } => write!(
                f,
                "{map} already has a {role} in this process: a ring buffer has one {role} at a time, since two \
                 would race for the same positions; drop the first one before making another"
            ),
            Error::Ring { map, problem } => match problem {
                RingProblem::TooLarge { len, max } => write!(
                    f,
                    "cannot write a record of {len} bytes to {map}: with its 8-byte header it can never fit \
                     the ring, whose records hold at most {max} bytes"
                ),
                RingProblem::Full { needed, available } => write!(
                    f,
                    "cannot write to {map}: the ring is full ({needed} bytes needed, {available} free); \
                     wait until programs drain it (`wait`) and write again"
                ),
                RingProblem::SharedConsumer { expected, found } => write!(
                    f,
                    "cannot read {map} alone: another consumer (in another process) moved the consumer position \
                     from {expected} to {found}; a ring buffer has one consumer, so records are lost to the other; \
                     consume each ring from one process"
                ),
                RingProblem::TooShort { type_name, needed, found } => write!(
                    f,
                    "cannot read a record of {map} as `{type_name}`: the record has {found} bytes and `{type_name}` \
                     is {needed}; the program submits another struct (or another version of it): declare the \
                     Rust type as the program's struct, or read the record with `prefix`"
                ),
                RingProblem::Corrupt { position, what } => write!(
                    f,
                    "cannot read {map}: {what} at consumer position {position}; something other than the \
                     kernel wrote the ring's positions, and nothing past this point is read"
                ),
            },
            Error::LockUnknown { op, map } => write!(
                f,
                "cannot {op} {map} under its lock: the value type holds a SpinLock, but its SpinLock is unknown to the \
                 kernel, which refuses BPF_F_LOCK (EINVAL): the map was created without the BTF of its value (create \
                 it with `MapDef::with_types`, or declare it with #[bpf_map])"
            ),
            Error::Btf { map, errno, log } => {
                match map {
                    Some(map) => write!(
                        f,
                        "cannot create {map}: the kernel refused the BTF of its key and value ({errno}), and it needs it (local storage, or a value with a SpinLock)"
                    )?,
                    None => write!(f, "the kernel refused the BTF of the maps' keys and values ({errno})")?,
                }
                // The log ends with what was refused; the types it read before are the bulk.
                let lines: Vec<&str> = log.lines().collect();
                match lines.len() {
                    0 => f.write_str("; the kernel wrote no log"),
                    n => {
                        f.write_str("; the kernel's BTF log says:")?;
                        if n > 12 {
                            write!(f, "\n    ... ({} lines before)", n - 12)?;
                        }
                        for line in &lines[n.saturating_sub(12)..] {
                            write!(f, "\n    {line}")?;
                        }
                        Ok(())
                    }
                }
            }
            Error::Wait { errno } => write!(
                f,
                "cannot wait for events: epoll refused ({errno}){}",
                match *errno {
                    Errno::EMFILE => ": the process is out of file descriptors (raise `ulimit -n`)",
                    Errno::EBADF => ": an fd was closed under the poller",
                    _ => "",
                }
            ),
            Error::NoReactor => f.write_str(
                "cannot read or write asynchronously: no tokio runtime with IO enabled runs here; make the async \
                 reader inside one (`#[tokio::main]`, or a runtime built with `enable_io()`)",
            ),
            Error::PossibleCpus { problem } => write!(
                f,
                "cannot size per-CPU values: {problem}; the kernel copies one value per possible CPU, and \
                 without the count no buffer can be sized (in a container, make \
                 /sys/devices/system/cpu visible)"
            ),
            Error::OnlineCpus { problem } => write!(
                f,
                "cannot find the online CPUs: {problem}; a perf buffer reader opens one perf event per online \
                 CPU (in a container, make /sys/devices/system/cpu visible)"
            ),
            Error::DuplicateName { name, first, second } => write!(
                f,
                "two declared maps are both named `{name}`: {first} and {second}; give one of them `name = \"...\"`"
            ),
            Error::Mismatch { map, what } => write!(f, "{map} does not fit: {what}"),
            Error::IterationAborted { map, visited } => write!(
                f,
                "iteration of {map} stopped after {visited} keys: the map changed under the iteration (entries deleted meanwhile); iterate again"
            ),
            Error::ObjectUnreadable { object, error } => {
                write!(f, "cannot read the maps of {object}: {error}")
            }
            Error::ObjectMismatch { object, problems } => {
                write!(f, "the maps of {object} do not match their declarations:")?;
                for problem in problems {
                    write!(f, "\n    {problem}")?;
                }
                Ok(())
            }
            Error::PinMismatch { map, path, diffs } => {
                write!(f, "the map pinned at {} does not match {map}:", path.display())?;
                for diff in diffs {
                    write!(f, "\n    {diff}")?;
                }
                write!(
                    f,
                    "\n  change the declaration to match, remove the pin (`rm {}`), or load with \
                     `Loader::on_mismatch(OnMismatch::Replace)` to replace it",
                    path.display()
                )
            }
            Error::Access { op, map, access } => {
                let (can, instead) = match access {
                    crate::Access::WriteOnly => ("can only write", "`Access::ReadWrite` or `Access::ReadOnly`"),
                    _ => ("can only read", "`Access::ReadWrite`"),
                };
                write!(
                    f,
                    "cannot {op} {map}: EPERM (operation not permitted): the map was opened {access}, so this fd \
                     {can}; open it with {instead} (which needs that permission on the pin, or CAP_SYS_ADMIN \
                     for an id)"
                )
            }
            Error::PinPermissions { map, path, mode, group, asked_mode, asked_group } => write!(
                f,
                "cannot reuse the pin of {map} at {}: it is mode {mode:04o}, gid {group}, and this loader asks for \
                 {asked_mode:04o}, gid {asked_group}, which would let more users open the map; the loader never \
                 widens a pin's permissions: change them yourself (`chmod`, `chgrp`) if that is meant, or ask for \
                 no more than the pin has",
                path.display()
            ),
            Error::PinDenied { path, access, mode, owner, group, uid, granted } => {
                write!(
                    f,
                    "cannot open the map pinned at {} {access}: EACCES (permission denied): the pin is mode \
                     {mode:04o} owned by uid {owner}, gid {group}, and this process (uid {uid}) ",
                    path.display()
                )?;
                match granted {
                    Some(granted) => write!(
                        f,
                        "may open it only {granted}: ask for `Access::{}`, or have its owner widen the mode \
                         (`Loader::pin_mode`, `Loader::pin_group`)",
                        match granted {
                            crate::Access::ReadOnly => "ReadOnly",
                            crate::Access::WriteOnly => "WriteOnly",
                            crate::Access::ReadWrite => "ReadWrite",
                        }
                    ),
                    None => f.write_str(
                        "may not open it at all: run as its owner or in its group, or have its owner widen the mode \
                         (`Loader::pin_mode`, `Loader::pin_group`)",
                    ),
                }
            }
            Error::InnerMismatch { map, inner, diffs } => {
                write!(f, "cannot put map #{inner} into {map}: it differs from the inner template:")?;
                for diff in diffs {
                    write!(f, "\n    {}: template {}, given {}", diff.field, diff.declared, diff.found)?;
                }
                f.write_str(
                    "\n  the kernel admits only maps of the template's type, key and value sizes and flags (and \
                     max_entries, for an array template without `inner_map`); it would refuse this one with EINVAL",
                )
            }
            Error::Pin { map, path, errno } => {
                write!(f, "cannot pin {map} at {}: {errno}", path.display())?;
                match *errno {
                    Errno::EEXIST => f.write_str(": something else is pinned there"),
                    Errno::ENOENT => f.write_str(": the directory does not exist (create it in bpffs first)"),
                    // The kernel answers EPERM for a directory outside bpffs, before any
                    // permission check.
                    Errno::EPERM => f.write_str(
                        ": the directory is not on a bpffs mount (`mount -t bpf bpf DIR`), or the process may not write it",
                    ),
                    Errno::EACCES => f.write_str(": no permission to write the pin directory"),
                    _ => Ok(()),
                }
            }
            Error::PinRoot { root, problem } => {
                write!(f, "cannot pin maps under {}: {problem}", root.display())
            }
            Error::Open { what, errno } => {
                write!(f, "cannot open {what}: {errno}")?;
                match *errno {
                    Errno::ENOENT => f.write_str(": it does not exist"),
                    Errno::EPERM | Errno::EACCES => f.write_str(
                        ": opening maps made elsewhere needs CAP_SYS_ADMIN (by id) or access to the pin",
                    ),
                    _ => Ok(()),
                }
            }
            Error::NotAMap { path, found } => {
                write!(
                    f,
                    "cannot open the map pinned at {}: {found} is pinned there, not a map",
                    path.display()
                )
            }
            Error::Token { bpffs, from_env, problem } => {
                let what = match bpffs {
                    Some(path) => path.display().to_string(),
                    None => "the directory given by fd".to_string(),
                };
                write!(f, "cannot make a BPF token from {what}")?;
                if *from_env {
                    write!(f, " (named by {})", crate::token::TOKEN_PATH_ENV)?;
                }
                f.write_str(": ")?;
                crate::token::explain(f, &what, *problem)
            }
            Error::NotLoaded { rust_name } => write!(
                f,
                "`{rust_name}` is not among the loaded maps: it was declared in a crate that was not linked (name the crate, e.g. `use that_crate as _;`)"
            ),
        }
    }
}

/// The message already says everything, the errno and the broken rule included, so there is
/// no `source()`: an error chain would say them twice (the API guidelines' rule: a cause is
/// either displayed or returned as the source, not both). [`Error::errno`] and the variants'
/// fields give them to code.
impl std::error::Error for Error {}

impl Error {
    /// The variant's name, for `{:#?}`.
    fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "Invalid",
            Error::Create { .. } => "Create",
            Error::Map { .. } => "Map",
            Error::DuplicateName { .. } => "DuplicateName",
            Error::Mismatch { .. } => "Mismatch",
            Error::IterationAborted { .. } => "IterationAborted",
            Error::ObjectUnreadable { .. } => "ObjectUnreadable",
            Error::ObjectMismatch { .. } => "ObjectMismatch",
            Error::PinMismatch { .. } => "PinMismatch",
            Error::InnerMismatch { .. } => "InnerMismatch",
            Error::Access { .. } => "Access",
            Error::PinPermissions { .. } => "PinPermissions",
            Error::PinDenied { .. } => "PinDenied",
            Error::Pin { .. } => "Pin",
            Error::PinRoot { .. } => "PinRoot",
            Error::Open { .. } => "Open",
            Error::NotAMap { .. } => "NotAMap",
            Error::NotLoaded { .. } => "NotLoaded",
            Error::Batch { .. } => "Batch",
            Error::InUse { .. } => "InUse",
            Error::Ring { .. } => "Ring",
            Error::LockUnknown { .. } => "LockUnknown",
            Error::Btf { .. } => "Btf",
            Error::Wait { .. } => "Wait",
            Error::NoReactor => "NoReactor",
            Error::PossibleCpus { .. } => "PossibleCpus",
            Error::OnlineCpus { .. } => "OnlineCpus",
            Error::Token { .. } => "Token",
        }
    }
}

/// The explained message, as [`Display`](fmt::Display) writes it: what `main` prints when it
/// returns `Err` (`fn main() -> Result<(), bpfmap::Error>`) and what `unwrap` shows. `{:#?}`
/// adds the variant, the map and the errno on lines of their own.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)?;
        if f.alternate() {
            write!(f, "\n  kind: {}", self.kind())?;
            if let Some(map) = self.map() {
                write!(f, "\n  map: {map:?}")?;
            }
            if let Some(errno) = self.errno() {
                write!(f, "\n  errno: {}", errno.name())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_the_explained_message_and_the_errno_is_said_once() {
        let err = Error::NotLoaded { rust_name: "Flows" };
        assert_eq!(format!("{err:?}"), err.to_string(), "what `main` prints is the message");
        let err = Error::Wait { errno: Errno::EMFILE };
        let alternate = format!("{err:#?}");
        assert!(alternate.starts_with(&err.to_string()), "{alternate}");
        assert!(
            alternate.contains("\n  kind: Wait") && alternate.contains("\n  errno: EMFILE"),
            "{alternate}"
        );
        assert!(std::error::Error::source(&err).is_none(), "the errno is in the message, not a source too");
    }
}
