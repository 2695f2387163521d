//! BPF tokens (Linux 6.9+): how a process in a container's user namespace creates maps without
//! `CAP_BPF` on the host.
//!
//! A privileged container runtime creates a bpffs for the container's user namespace with
//! delegation options (`delegate_cmds`, `delegate_maps`, ...); inside the container,
//! `BPF_TOKEN_CREATE` on that bpffs gives a token, and commands that carry the token have their
//! capabilities checked in the container's user namespace instead of the host's, for what the
//! bpffs delegates.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::rules::MapType;
use crate::{Errno, Error, sys};

/// The environment variable that names the bpffs whose token [`load`](crate::load) uses,
/// when the [`Loader`](crate::Loader) names none ([`Loader::token`](crate::Loader::token) wins
/// over it). Empty counts as unset.
///
/// ```no_run
/// // A container's entrypoint, handing the bpffs its runtime mounted to the agent it starts:
/// std::process::Command::new("/usr/bin/flow-agent")
///     .env(bpfmap::TOKEN_PATH_ENV, "/sys/fs/bpf")
///     .status()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub const TOKEN_PATH_ENV: &str = "BPFMAP_TOKEN_PATH";

/// `BPF_FS_MAGIC`: `statfs` of a bpffs reports this type.
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// Set (to anything) in tests, in builds with the `test-hooks` feature: `BPF_TOKEN_CREATE` is
/// sent with a flag no kernel defines, which the running kernel refuses with EINVAL, as a
/// kernel without tokens (before 6.9) refuses the command.
const NO_TOKENS_FOR_TESTS: &str = "BPFMAP_TEST_NO_TOKENS";

/// The `bpf_cmd` numbers of the commands a bpffs can delegate, as its `delegate_cmds` option
/// names them.
const COMMANDS: [&str; 39] = [
    "map_create",
    "map_lookup_elem",
    "map_update_elem",
    "map_delete_elem",
    "map_get_next_key",
    "prog_load",
    "obj_pin",
    "obj_get",
    "prog_attach",
    "prog_detach",
    "prog_test_run",
    "prog_get_next_id",
    "map_get_next_id",
    "prog_get_fd_by_id",
    "map_get_fd_by_id",
    "obj_get_info_by_fd",
    "prog_query",
    "raw_tracepoint_open",
    "btf_load",
    "btf_get_fd_by_id",
    "task_fd_query",
    "map_lookup_and_delete_elem",
    "map_freeze",
    "btf_get_next_id",
    "map_lookup_batch",
    "map_lookup_and_delete_batch",
    "map_update_batch",
    "map_delete_batch",
    "link_create",
    "link_update",
    "link_get_fd_by_id",
    "link_get_next_id",
    "enable_stats",
    "iter_create",
    "link_detach",
    "prog_bind_map",
    "token_create",
    "prog_stream_read_by_fd",
    "prog_assoc_struct_ops",
];

const MAP_CREATE: u32 = 0;
const BTF_LOAD: u32 = 18;

/// A BPF token (Linux 6.9+), made from a bpffs mounted with delegation: maps created with it
/// have their privilege checked in the user namespace that owns the bpffs (a container's), for
/// the commands and map types the bpffs delegates. The fd closes on drop.
///
/// [`Loader::token`](crate::Loader::token) (or `BPFMAP_TOKEN_PATH`) makes one for
/// [`load`](crate::load); [`create_map_with_token`](crate::create_map_with_token) creates one
/// map with it.
///
/// ```no_run
/// use bpfmap::{MapDef, MapType, Token, create_map_with_token};
///
/// // Inside a container whose runtime mounted a bpffs with delegate_cmds=map_create:btf_load.
/// let token = Token::open("/sys/fs/bpf")?;
/// if let Some(delegation) = token.delegation() {
///     println!("the bpffs delegates {delegation}");
/// }
/// let map = create_map_with_token(&MapDef::new(MapType::HASH, 4, 8, 1024), &token)?;
/// # let _ = map;
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct Token {
    fd: OwnedFd,
    bpffs: Option<PathBuf>,
    delegation: Option<Delegation>,
}

impl Token {
    /// Makes a token from the bpffs mounted at `path`: opens the directory, checks that it is
    /// the root of a bpffs, and calls `BPF_TOKEN_CREATE`.
    ///
    /// ```no_run
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// assert_eq!(token.bpffs(), Some(std::path::Path::new("/sys/fs/bpf")));
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Token`], whose [`TokenProblem`] says why: the path cannot be opened, is not a
    /// bpffs or not its root, the bpffs delegates nothing or belongs to the initial user
    /// namespace, or the kernel has no tokens.
    pub fn open(path: impl AsRef<Path>) -> Result<Token, Error> {
        Token::open_path(path.as_ref(), false)
    }

    /// Makes a token from `dir`, the root directory of a bpffs already open: what a container
    /// runtime hands over (an `fsmount` fd, which is `O_PATH`, is reopened for reading).
    ///
    /// ```no_run
    /// use std::fs::File;
    ///
    /// let dir = File::open("/sys/fs/bpf").expect("the container's bpffs");
    /// let token = bpfmap::Token::from_bpffs(&dir)?;
    /// assert!(token.bpffs().is_none()); // known by fd, not by path
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Token::open`].
    pub fn from_bpffs(dir: impl AsFd) -> Result<Token, Error> {
        Token::create(dir.as_fd()).map_err(|problem| Error::Token { bpffs: None, from_env: false, problem })
    }

    /// The token of the bpffs named by `BPFMAP_TOKEN_PATH`, or `None` when it is unset or
    /// empty.
    pub(crate) fn from_env() -> Result<Option<Token>, Error> {
        match std::env::var_os(TOKEN_PATH_ENV).filter(|path| !path.is_empty()) {
            Some(path) => Token::open_path(Path::new(&path), true).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn open_path(path: &Path, from_env: bool) -> Result<Token, Error> {
        let error = |problem| Error::Token { bpffs: Some(path.to_path_buf()), from_env, problem };
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path)
            .map_err(|e| error(TokenProblem::Open(Errno::from_raw(e.raw_os_error().unwrap_or(0)))))?;
        let mut token = Token::create(dir.as_fd()).map_err(error)?;
        token.bpffs = Some(path.to_path_buf());
        Ok(token)
    }

    fn create(dir: BorrowedFd<'_>) -> Result<Token, TokenProblem> {
        let f_type = fs_type(dir).map_err(TokenProblem::Open)?;
        if f_type != BPF_FS_MAGIC {
            return Err(TokenProblem::NotBpffs { f_type });
        }
        // The kernel takes only the root of a bpffs, and says EINVAL otherwise, as it does when
        // it has no tokens: told apart here.
        if is_mount_root(dir) == Some(false) {
            return Err(TokenProblem::NotMountRoot);
        }
        let reopened = reopen_if_path_only(dir).map_err(TokenProblem::Open)?;
        let dir = reopened.as_ref().map_or(dir, OwnedFd::as_fd);
        let flags = if cfg!(feature = "test-hooks") && std::env::var_os(NO_TOKENS_FOR_TESTS).is_some() {
            1 << 31
        } else {
            0
        };
        let fd = sys::token_create(dir, flags).map_err(TokenProblem::from_errno)?;
        let delegation = Delegation::of_token(fd.as_fd());
        Ok(Token { fd, bpffs: None, delegation })
    }

    /// The bpffs the token was made from, if it was made from a path.
    ///
    /// ```no_run
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// println!("token from {}", token.bpffs().expect("opened by path").display());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn bpffs(&self) -> Option<&Path> {
        self.bpffs.as_deref()
    }

    /// What the token allows, as the kernel reports it (`/proc/self/fdinfo` of the token:
    /// the bpffs's delegation options); `None` where `/proc` does not say.
    ///
    /// ```no_run
    /// use bpfmap::{MapType, Token};
    ///
    /// let token = Token::open("/sys/fs/bpf")?;
    /// let delegation = token.delegation().expect("/proc is mounted");
    /// if !delegation.map_type(MapType::RINGBUF) {
    ///     eprintln!("no ring buffers in this container: {delegation}");
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn delegation(&self) -> Option<Delegation> {
        self.delegation
    }

    /// Who to name in messages: the bpffs by path, or the token's.
    pub(crate) fn describe(&self) -> String {
        match &self.bpffs {
            Some(path) => format!("the bpffs at {}", path.display()),
            None => "the token's bpffs".to_string(),
        }
    }
}

impl AsFd for Token {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Token {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("fd", &self.fd.as_raw_fd())
            .field("bpffs", &self.bpffs)
            .field("delegation", &self.delegation)
            .finish()
    }
}

/// What a BPF token allows of maps: the `delegate_cmds` and `delegate_maps` options of the
/// bpffs it came from, as bit sets over the kernel's enums (`any` sets every bit).
/// [`Display`](fmt::Display) names them as the mount options do. (What it delegates of
/// programs, `delegate_progs` and `delegate_attachs`, is no concern of maps.)
///
/// ```no_run
/// use bpfmap::{MapType, Token};
///
/// let delegation = Token::open("/sys/fs/bpf")?.delegation().expect("/proc is mounted");
/// assert!(delegation.map_create() && delegation.map_type(MapType::HASH));
/// println!("{delegation}"); // commands map_create, btf_load; map types hash, array
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delegation {
    cmds: u64,
    maps: u64,
}

impl Delegation {
    /// Reads what the token `fd` allows from its fdinfo.
    fn of_token(fd: BorrowedFd<'_>) -> Option<Delegation> {
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).ok()?;
        Delegation::parse_fdinfo(&info)
    }

    /// The `allowed_*` lines of a token's fdinfo: `any`, or a hexadecimal mask.
    fn parse_fdinfo(info: &str) -> Option<Delegation> {
        let field = |name: &str| -> Option<u64> {
            let value = info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?.trim();
            match value {
                "any" => Some(u64::MAX),
                hex => u64::from_str_radix(hex.strip_prefix("0x")?, 16).ok(),
            }
        };
        Some(Delegation { cmds: field("allowed_cmds")?, maps: field("allowed_maps")? })
    }

    /// Whether it delegates `BPF_MAP_CREATE`, without which no map is created with the token.
    ///
    /// ```no_run
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// assert!(token.delegation().is_some_and(|d| d.map_create()), "mount it with delegate_cmds=map_create");
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn map_create(&self) -> bool {
        self.command(MAP_CREATE)
    }

    /// Whether it delegates `BPF_BTF_LOAD`: without it, maps are created without the BTF of
    /// their keys and values, and maps that need it (local storage, a value with a
    /// [`SpinLock`](crate::SpinLock)) are refused.
    ///
    /// ```no_run
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// if !token.delegation().is_some_and(|d| d.btf_load()) {
    ///     eprintln!("maps will be created without BTF: add btf_load to delegate_cmds");
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn btf_load(&self) -> bool {
        self.command(BTF_LOAD)
    }

    /// Whether it delegates the creation of maps of `map_type`.
    ///
    /// ```no_run
    /// use bpfmap::MapType;
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// let ringbufs = token.delegation().is_some_and(|d| d.map_type(MapType::RINGBUF));
    /// # let _ = ringbufs;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn map_type(&self, map_type: MapType) -> bool {
        bit(self.maps, map_type.raw())
    }

    /// The raw masks, bit *n* for the kernel's enum value *n*: the commands (`enum bpf_cmd`)
    /// and the map types, in that order.
    ///
    /// ```no_run
    /// let token = bpfmap::Token::open("/sys/fs/bpf")?;
    /// let (cmds, maps) = token.delegation().expect("/proc is mounted").bits();
    /// println!("commands {cmds:#x}, map types {maps:#x}");
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn bits(&self) -> (u64, u64) {
        (self.cmds, self.maps)
    }

    fn command(&self, cmd: u32) -> bool {
        bit(self.cmds, cmd)
    }

    /// The delegated commands, by name: `map_create, btf_load`, `any`, or `none`.
    pub(crate) fn command_list(&self) -> String {
        list(self.cmds, |n| {
            COMMANDS.get(n as usize).map_or_else(|| format!("command {n}"), |s| s.to_string())
        })
    }

    /// The delegated map types, by name: `hash, array`, `any`, or `none`.
    pub(crate) fn map_type_list(&self) -> String {
        list(self.maps, |n| MapType::from_raw(n).to_string())
    }
}

fn bit(mask: u64, n: u32) -> bool {
    n < 64 && mask & (1 << n) != 0
}

fn list(mask: u64, name: impl Fn(u32) -> String) -> String {
    match mask {
        0 => "none".to_string(),
        u64::MAX => "any".to_string(),
        mask => (0..64).filter(|&n| bit(mask, n)).map(name).collect::<Vec<_>>().join(", "),
    }
}

/// `commands map_create, btf_load; map types hash, array`.
impl fmt::Display for Delegation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "commands {}; map types {}", self.command_list(), self.map_type_list())
    }
}

/// What a map needs that the bpffs of its BPF token does not delegate
/// ([`NotDelegated::missing`]).
///
/// ```no_run
/// use bpfmap::{Cause, Error, Undelegated};
///
/// match bpfmap::Loader::new().token("/sys/fs/bpf").load() {
///     Err(Error::Create { cause: Cause::NotDelegated(why), .. }) => match why.missing {
///         Undelegated::MapType(t) => eprintln!("ask the container runtime to delegate {t} maps"),
///         _ => eprintln!("{why}"),
///     },
///     other => println!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Undelegated {
    /// `BPF_MAP_CREATE` (`delegate_cmds=map_create`).
    MapCreate,
    /// `BPF_BTF_LOAD` (`delegate_cmds=btf_load`), for a map that cannot go without its BTF.
    BtfLoad,
    /// The map's type (`delegate_maps=<type>`).
    MapType(MapType),
}

/// A map the kernel refused (`EPERM`) through a BPF token whose bpffs does not delegate what
/// it needs ([`Cause::NotDelegated`](crate::Cause::NotDelegated)): the kernel then ignores the
/// token. Its [`Display`](fmt::Display) says what the bpffs delegates and what it lacks:
/// `the bpffs at /sys/fs/bpf delegates map types hash, array but not ringbuf; ...`.
///
/// ```no_run
/// use bpfmap::{Cause, Error, Undelegated};
///
/// if let Err(Error::Create { cause: Cause::NotDelegated(why), .. }) = bpfmap::Loader::new().token("/sys/fs/bpf").load() {
///     eprintln!("{why}");
///     assert!(matches!(why.missing, Undelegated::MapType(_) | Undelegated::MapCreate | Undelegated::BtfLoad));
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotDelegated {
    /// The bpffs the token came from, if it was opened by path.
    pub bpffs: Option<PathBuf>,
    /// What the bpffs delegates.
    pub delegation: Delegation,
    /// What the map needs that it does not delegate.
    pub missing: Undelegated,
}

impl NotDelegated {
    pub(crate) fn new(token: &Token, delegation: Delegation, missing: Undelegated) -> NotDelegated {
        NotDelegated { bpffs: token.bpffs().map(Path::to_path_buf), delegation, missing }
    }
}

impl fmt::Display for NotDelegated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.bpffs {
            Some(path) => write!(f, "the bpffs at {}", path.display())?,
            None => f.write_str("the BPF token's bpffs")?,
        }
        let delegation = &self.delegation;
        match self.missing {
            Undelegated::MapType(map_type) => write!(
                f,
                " delegates map types {} but not {map_type}; a BPF token stands in for CAP_BPF only for what \
                 its bpffs delegates: the runtime that mounts it must add {map_type} to delegate_maps (or set \
                 delegate_maps=any)",
                delegation.map_type_list()
            ),
            Undelegated::MapCreate => write!(
                f,
                " delegates commands {} but not map_create, without which the kernel ignores the token: the \
                 runtime that mounts it must add map_create to delegate_cmds",
                delegation.command_list()
            ),
            Undelegated::BtfLoad => write!(
                f,
                " delegates commands {} but not btf_load, and this map cannot go without the BTF of its key \
                 and value (local storage, or a value with a SpinLock): the runtime that mounts it must add \
                 btf_load to delegate_cmds",
                delegation.command_list()
            ),
        }
    }
}

/// Why a BPF token could not be made ([`Error::Token`]).
///
/// ```
/// use bpfmap::{Error, Token, TokenProblem};
///
/// // /proc is no bpffs: refused before any bpf() call, so this runs anywhere.
/// match Token::open("/proc") {
///     Err(Error::Token { problem: TokenProblem::NotBpffs { f_type }, .. }) => assert_eq!(f_type, 0x9fa0),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenProblem {
    /// The path could not be opened as a directory (`ENOENT`, `ENOTDIR`, `EACCES`).
    Open(Errno),
    /// The directory is not on a bpffs: its file system has this `f_type`.
    NotBpffs {
        /// The file system's magic number, as `statfs` reports it.
        f_type: i64,
    },
    /// The directory is in a bpffs but is not its root: the kernel makes tokens only from the
    /// mount's root (and would say `EINVAL`).
    NotMountRoot,
    /// The kernel has no BPF tokens (before Linux 6.9): `BPF_TOKEN_CREATE` answered `EINVAL`.
    Unsupported,
    /// The bpffs belongs to the initial user namespace, where the kernel makes no tokens
    /// (`EOPNOTSUPP`): tokens exist for the user namespaces of containers.
    InitialNamespace,
    /// The bpffs delegates nothing (`ENOENT`): it was mounted without `delegate_*` options.
    NoDelegation,
    /// The process is not in the user namespace that owns the bpffs, or lacks `CAP_BPF` in it
    /// (`EPERM`).
    Namespace,
    /// Another errno of `BPF_TOKEN_CREATE`.
    Other(Errno),
}

impl TokenProblem {
    fn from_errno(errno: Errno) -> TokenProblem {
        match errno {
            Errno::EINVAL => TokenProblem::Unsupported,
            Errno::EOPNOTSUPP => TokenProblem::InitialNamespace,
            Errno::ENOENT => TokenProblem::NoDelegation,
            Errno::EPERM => TokenProblem::Namespace,
            errno => TokenProblem::Other(errno),
        }
    }

    /// The errno: the kernel's, or the one `BPF_TOKEN_CREATE` would give.
    pub(crate) fn errno(self) -> Errno {
        match self {
            TokenProblem::Open(errno) | TokenProblem::Other(errno) => errno,
            TokenProblem::NotBpffs { .. } | TokenProblem::NotMountRoot | TokenProblem::Unsupported => {
                Errno::EINVAL
            }
            TokenProblem::InitialNamespace => Errno::EOPNOTSUPP,
            TokenProblem::NoDelegation => Errno::ENOENT,
            TokenProblem::Namespace => Errno::EPERM,
        }
    }
}

/// The delegation options a container runtime sets for maps, as an example in messages.
const DELEGATE_EXAMPLE: &str = "delegate_cmds=map_create:btf_load,delegate_maps=any";

/// Writes what went wrong and what to do, after `cannot make a BPF token from <what>: `.
pub(crate) fn explain(f: &mut fmt::Formatter<'_>, what: &str, problem: TokenProblem) -> fmt::Result {
    let errno = problem.errno();
    match problem {
        TokenProblem::Open(Errno::ENOENT) => {
            write!(f, "it does not exist ({errno}); name the mount point of the delegating bpffs")
        }
        TokenProblem::Open(Errno::ENOTDIR) => {
            write!(f, "it is not a directory ({errno}); name the mount point of the delegating bpffs")
        }
        TokenProblem::Open(errno) => write!(f, "it cannot be opened as a directory ({errno})"),
        TokenProblem::NotBpffs { f_type } => {
            write!(f, "{what} is not a bpffs (f_type {f_type:#x}")?;
            // Named where the file system is one a path is often on by mistake.
            let name = crate::pin::fs_name(f_type);
            if !name.starts_with("a file system") {
                write!(f, ": {name}")?;
            }
            write!(
                f,
                "); mount one with `mount -t bpf -o {DELEGATE_EXAMPLE} bpf DIR` for the container's user namespace"
            )
        }
        TokenProblem::NotMountRoot => write!(
            f,
            "{what} is a directory inside a bpffs, not its root; the kernel makes tokens only from the root \
             (it would say {errno}): name the mount point"
        ),
        TokenProblem::Unsupported => {
            write!(f, "this kernel")?;
            if let Some(release) = crate::probe::kernel_release() {
                write!(f, " ({release})")?;
            }
            write!(
                f,
                " has no BPF tokens: BPF_TOKEN_CREATE answered {errno} (tokens came in Linux 6.9); \
                 run a newer kernel, or create the maps with CAP_BPF instead of a token"
            )
        }
        TokenProblem::InitialNamespace => write!(
            f,
            "{what} belongs to the initial user namespace, where the kernel makes no tokens ({errno}): a token \
             lets a process in a container's user namespace use BPF, from a bpffs created in that namespace \
             (fsopen there, delegation set by the privileged runtime); on the host, use CAP_BPF instead"
        ),
        TokenProblem::NoDelegation => write!(
            f,
            "{what} delegates nothing ({errno}): it was mounted without delegation options; the privileged \
             runtime must set them when it creates the bpffs (`{DELEGATE_EXAMPLE}`)"
        ),
        TokenProblem::Namespace => write!(
            f,
            "this process is not in the user namespace that owns {what}, or lacks CAP_BPF there ({errno}); \
             make the token inside the container, as its root"
        ),
        TokenProblem::Other(errno) => write!(f, "BPF_TOKEN_CREATE failed with {errno}"),
    }
}

/// The `f_type` of the file system `fd` is on.
fn fs_type(fd: BorrowedFd<'_>) -> Result<i64, Errno> {
    // SAFETY: an all-zero statfs is a valid value to be overwritten.
    let mut fs: libc::statfs = unsafe { core::mem::zeroed() };
    // SAFETY: fstatfs writes one struct through a valid pointer.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut fs) } != 0 {
        return Err(Errno::last());
    }
    #[allow(clippy::unnecessary_cast, reason = "f_type is i64 on x86_64 but not on every target")]
    Ok(fs.f_type as i64)
}

/// Whether `fd` is the root of its mount (`STATX_ATTR_MOUNT_ROOT`, Linux 5.8); `None` where
/// the kernel does not say.
fn is_mount_root(fd: BorrowedFd<'_>) -> Option<bool> {
    // SAFETY: an all-zero statx is a valid value to be overwritten.
    let mut stx: libc::statx = unsafe { core::mem::zeroed() };
    // SAFETY: statx reads the empty NUL-terminated path and writes one struct through a valid
    // pointer; with AT_EMPTY_PATH it describes `fd` itself.
    let ret = unsafe { libc::statx(fd.as_raw_fd(), c"".as_ptr(), libc::AT_EMPTY_PATH, 0, &mut stx) };
    let root = libc::STATX_ATTR_MOUNT_ROOT as u64;
    (ret == 0 && stx.stx_attributes_mask & root != 0).then_some(stx.stx_attributes & root != 0)
}

/// A readable fd of the directory `fd` when it is an `O_PATH` fd (as `fsmount` returns),
/// which `BPF_TOKEN_CREATE` refuses with EBADF; `None` when `fd` itself will do.
fn reopen_if_path_only(fd: BorrowedFd<'_>) -> Result<Option<OwnedFd>, Errno> {
    // SAFETY: F_GETFL on a live fd reads no memory.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(Errno::last());
    }
    if flags & libc::O_PATH == 0 {
        return Ok(None);
    }
    // SAFETY: openat reads the NUL-terminated "." relative to a live directory fd.
    let raw = unsafe {
        libc::openat(fd.as_raw_fd(), c".".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)
    };
    if raw < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `raw` was just returned by openat and nobody else owns it.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(raw) }))
}

/// Whether this process runs in a user namespace other than the initial one (a container's):
/// its `uid_map` is then not the identity over every uid. `None` where `/proc` does not say.
pub(crate) fn in_user_namespace() -> Option<bool> {
    let map = std::fs::read_to_string("/proc/self/uid_map").ok()?;
    let fields: Vec<&str> = map.split_whitespace().collect();
    Some(fields != ["0", "0", "4294967295"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fdinfo_of_a_token_gives_its_delegation() {
        // As Linux 6.18 writes it for delegate_cmds=map_create:btf_load,
        // delegate_maps=hash:array:devmap.
        let info = "pos:\t0\nflags:\t02000002\nmnt_id:\t63\nino:\t116151\nallowed_cmds:\t0x40001\n\
                    allowed_maps:\t0x4006\nallowed_progs:\t0x0\nallowed_attachs:\t0x0\n";
        let d = Delegation::parse_fdinfo(info).expect("parsed");
        assert!(d.map_create() && d.btf_load());
        assert!(d.map_type(MapType::HASH) && d.map_type(MapType::ARRAY) && d.map_type(MapType::DEVMAP));
        assert!(!d.map_type(MapType::RINGBUF));
        assert_eq!(d.command_list(), "map_create, btf_load");
        assert_eq!(d.map_type_list(), "hash, array, devmap");
        assert_eq!(d.to_string(), "commands map_create, btf_load; map types hash, array, devmap");

        let any = "allowed_cmds:\tany\nallowed_maps:\tany\nallowed_progs:\t0x2\nallowed_attachs:\t0x0\n";
        let d = Delegation::parse_fdinfo(any).expect("parsed");
        assert!(d.map_type(MapType::RINGBUF) && d.map_type(MapType::from_raw(63)));
        assert_eq!(d.to_string(), "commands any; map types any");
        assert_eq!(Delegation::parse_fdinfo("pos:\t0\n"), None, "not a token's fdinfo");
    }

    #[test]
    fn the_command_names_are_the_kernels_numbers() {
        assert_eq!(COMMANDS[MAP_CREATE as usize], "map_create");
        assert_eq!(COMMANDS[BTF_LOAD as usize], "btf_load");
        assert_eq!(COMMANDS[crate::sys::Cmd::TokenCreate as usize], "token_create");
        assert_eq!(COMMANDS[crate::sys::Cmd::MapFreeze as usize], "map_freeze");
    }
}
