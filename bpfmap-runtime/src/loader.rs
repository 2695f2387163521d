//! `load` and `Loader`: create every declared map at startup, or reuse its pin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::compat;
use crate::error::MapLabel;
use crate::map::create_with;
use crate::map_btf::MapsBtf;
use crate::pin;
use crate::registry::{self, Declaration};
use crate::rules::{HostLimits, Pinning};
use crate::token::Token;
use crate::{Errno, Error, Map, Maps};

/// Creates every map declared with `#[bpf_map]`, in declaration order (by file, then line),
/// and returns them: the `map_data[]` of C's BPF loaders.
///
/// Each definition is checked against the rule book and this host's limits before its
/// `BPF_MAP_CREATE`. Maps declared with `pin = "by_name"` are reused from
/// `<pin root>/<name>` when compatible, and pinned there when created. If map *k* fails, maps
/// 0 to *k*-1 are closed, the pins this call made are removed (and the pins it replaced put
/// back), and the error names map *k*; pins that were there before stay.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 100, flags = "no_prealloc")]
/// struct Flows { key: u32, value: u32 }
///
/// fn main() -> Result<(), bpfmap::Error> {
///     let maps = bpfmap::load()?;
///     println!("{maps}");
///     Ok(())
/// }
/// ```
///
/// # Errors
/// [`Error::DuplicateName`] if two declarations share a name, [`Error::Invalid`] if a
/// definition breaks a rule only this host shows, [`Error::Create`] if the kernel refuses one,
/// [`Error::PinMismatch`] if a pinned map differs from its declaration (under the default
/// [`OnMismatch::Fail`]), [`Error::PinRoot`] if the pin root is not a directory on a bpffs
/// mount, [`Error::NotAMap`] if a program, a link or a directory is where a map would be
/// pinned, [`Error::Pin`] if pinning fails, [`Error::Token`] if `BPFMAP_TOKEN_PATH` names a
/// bpffs no BPF token can be made from (see [`Loader::token`]).
pub fn load() -> Result<Maps, Error> {
    Loader::new().load()
}

/// What [`Loader::load`] does when a pinned map differs from its declaration.
///
/// ```no_run
/// use bpfmap::{Loader, OnMismatch};
///
/// // After an upgrade that changed a map's value type: start over instead of failing.
/// let maps = Loader::new().on_mismatch(OnMismatch::Replace).load()?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnMismatch {
    /// Fail with [`Error::PinMismatch`], listing every differing field (the default: the pin
    /// may hold data another program relies on).
    #[default]
    Fail,
    /// Create the map as declared and pin it in place of the old one, which lives on only as
    /// long as other programs hold it. If the load then fails, the old pin is put back.
    Replace,
}

/// Whether [`Loader::load`] raises `RLIMIT_MEMLOCK` on kernels that charge maps to it.
///
/// ```no_run
/// use bpfmap::{Loader, Memlock};
///
/// // A service whose unit file sets LimitMEMLOCK itself.
/// let maps = Loader::new().memlock(Memlock::Off).load()?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Memlock {
    /// Raise it to unlimited, but only on kernels that charge maps to it (before 5.11, found
    /// by probing, see [`probe::memlock_charged`](crate::probe::memlock_charged)). The default.
    #[default]
    Auto,
    /// Leave it alone (the process manages its limits).
    Off,
}

/// Options for creating the declared maps; [`load`] uses the defaults.
///
/// ```no_run
/// use bpfmap::{Loader, OnMismatch};
/// let maps = Loader::new().pin_root("/sys/fs/bpf/myapp").on_mismatch(OnMismatch::Replace).load()?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Loader {
    pin_root: Option<PathBuf>,
    on_mismatch: OnMismatch,
    memlock: Memlock,
    pin_mode: Option<u32>,
    pin_group: Option<u32>,
    token: Option<TokenChoice>,
}

/// The BPF token a [`Loader`] was given.
#[derive(Clone, Debug)]
enum TokenChoice {
    /// Made from the bpffs at this path by each load.
    Path(PathBuf),
    /// Made by the caller.
    Made(Arc<Token>),
}

impl Loader {
    /// The default loader: pins under `$BPFMAP_PIN_ROOT` or `/sys/fs/bpf`, fails on mismatch.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Pins maps declared with `pin = "by_name"` under `root` (a directory on a bpffs mount).
    pub fn pin_root(mut self, root: impl Into<PathBuf>) -> Loader {
        self.pin_root = Some(root.into());
        self
    }

    /// What to do when a pinned map differs from its declaration.
    pub fn on_mismatch(mut self, policy: OnMismatch) -> Loader {
        self.on_mismatch = policy;
        self
    }

    /// The permission bits of the pins this loader creates (`0o640`: the owner reads and
    /// writes, the group reads); the kernel makes them `0o600` minus the umask. Other users
    /// open a pin as its mode allows them ([`Map::from_pin_with`](crate::Map::from_pin_with)).
    ///
    /// A pin that exists already keeps its permissions when it is reused, unless this loader
    /// asks for narrower ones, which it applies; it never widens them:
    /// [`Error::PinPermissions`] says where it would.
    ///
    /// ```no_run
    /// use bpfmap::Loader;
    ///
    /// // Pins readable by the `bpfreaders` group (gid 1500), written only by their owner.
    /// let maps = Loader::new().pin_mode(0o640).pin_group(1500).load()?;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn pin_mode(mut self, mode: u32) -> Loader {
        self.pin_mode = Some(mode & 0o777);
        self
    }

    /// The group of the pins this loader creates (their owner stays this process's uid).
    pub fn pin_group(mut self, gid: u32) -> Loader {
        self.pin_group = Some(gid);
        self
    }

    /// Whether to raise `RLIMIT_MEMLOCK` on kernels that charge maps to it.
    pub fn memlock(mut self, policy: Memlock) -> Loader {
        self.memlock = policy;
        self
    }

    /// Creates the maps, and loads their BTF, with a BPF token (Linux 6.9+) made from the
    /// bpffs mounted at `path`: how a process in a container's user namespace creates maps
    /// without `CAP_BPF` on the host. The container runtime mounts that bpffs for the
    /// container's user namespace with delegation options (`delegate_cmds=map_create:btf_load`,
    /// `delegate_maps=...`); the token stands in for `CAP_BPF` (and `CAP_NET_ADMIN`) for the
    /// map types it delegates.
    ///
    /// Without this setting, the loader uses the bpffs named by the environment variable
    /// `BPFMAP_TOKEN_PATH` ([`TOKEN_PATH_ENV`](crate::TOKEN_PATH_ENV)), if set and not empty;
    /// this setting wins over it. The token is made at each [`load`](Loader::load), before
    /// any map is created.
    ///
    /// ```no_run
    /// use bpfmap::Loader;
    ///
    /// // In a container whose runtime mounted a delegating bpffs at /sys/fs/bpf.
    /// let maps = Loader::new().token("/sys/fs/bpf").load()?;
    /// # let _ = maps;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// A load then fails with [`Error::Token`] if no token can be made from `path` (not a
    /// bpffs, no delegation, the initial user namespace, a kernel before 6.9), and a map the
    /// bpffs does not delegate fails with [`Cause::NotDelegated`](crate::Cause::NotDelegated).
    pub fn token(mut self, path: impl Into<PathBuf>) -> Loader {
        self.token = Some(TokenChoice::Path(path.into()));
        self
    }

    /// [`Loader::token`] with a token already made (from a bpffs fd a container runtime handed
    /// over, [`Token::from_bpffs`]); it wins over `BPFMAP_TOKEN_PATH` too.
    ///
    /// ```no_run
    /// use bpfmap::{Loader, Token};
    ///
    /// let bpffs = std::fs::File::open("/run/bpffs").expect("the container's bpffs");
    /// let maps = Loader::new().with_token(Token::from_bpffs(&bpffs)?).load()?;
    /// # let _ = maps;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    pub fn with_token(mut self, token: Token) -> Loader {
        self.token = Some(TokenChoice::Made(Arc::new(token)));
        self
    }

    /// The pin root this loader uses.
    pub fn resolved_pin_root(&self) -> PathBuf {
        pin::resolve_root(self.pin_root.as_deref())
    }

    /// The BPF token of this load: the loader's, else `BPFMAP_TOKEN_PATH`'s, else none.
    fn open_token(&self) -> Result<Option<Arc<Token>>, Error> {
        match &self.token {
            Some(TokenChoice::Path(path)) => Token::open_path(path, false).map(|t| Some(Arc::new(t))),
            Some(TokenChoice::Made(token)) => Ok(Some(Arc::clone(token))),
            None => Token::from_env().map(|t| t.map(Arc::new)),
        }
    }

    /// Creates every declared map; see [`load`].
    pub fn load(&self) -> Result<Maps, Error> {
        let declarations = registry::declarations();
        check_unique_names(declarations)?;
        // Before anything is created: a bpffs no token can be made from fails the load here.
        let token = self.open_token()?;
        if self.memlock == Memlock::Auto
            && !declarations.is_empty()
            && memlock_finite()
            && crate::probe::memlock_charged()
        {
            // A failure is reported by the first map the limit then refuses (`Cause::Memory`).
            let _ = crate::probe::raise_memlock();
        }
        let mut journal = Vec::new();
        let result = self.load_all(declarations, &mut journal, token.as_deref());
        if result.is_err() {
            undo(journal);
        }
        result.map(Maps::new)
    }

    fn load_all(
        &self,
        declarations: &[&'static Declaration],
        journal: &mut Vec<PinChange>,
        token: Option<&Token>,
    ) -> Result<Vec<Map>, Error> {
        let root = self.resolved_pin_root();
        let mut root_checked = false;
        // One BTF object for every declared map: one load, each type once; through the token
        // the maps are created with.
        let btf = MapsBtf::load(declarations.iter().map(|d| &d.def), token);
        let mut maps = Vec::with_capacity(declarations.len());
        for (index, &decl) in declarations.iter().enumerate() {
            // On error, `maps` drops here and closes every map created so far.
            let map = match decl.def.pinning {
                Pinning::ByName => {
                    if !root_checked {
                        pin::check_root(&root)?;
                        root_checked = true;
                    }
                    self.load_pinned(decl, &root, journal, &btf, index)?
                }
                _ => create_with(&decl.def, Some(decl), &btf, index)?,
            };
            maps.push(map);
        }
        Ok(maps)
    }

    fn load_pinned(
        &self,
        decl: &'static Declaration,
        root: &Path,
        journal: &mut Vec<PinChange>,
        btf: &MapsBtf<'_>,
        index: usize,
    ) -> Result<Map, Error> {
        let host = HostLimits::current();
        let label = MapLabel::of(&decl.def, Some(decl));
        let path = pin::path_for(root, &label)?;
        // A second round only when another process pinned the map between our look and our
        // pin: its map is then reused (or compared) like any other.
        let mut raced = false;
        loop {
            match Map::from_pin(&path) {
                Ok(existing) => {
                    let diffs = compat::diff_map(&existing, &decl.def, host)?;
                    if diffs.is_empty() {
                        self.keep_permissions(&label, &path)?;
                        return Ok(existing.declared(decl.def.resolve_for(host), decl, path));
                    }
                    if self.on_mismatch == OnMismatch::Fail {
                        return Err(Error::PinMismatch { map: label, path, diffs });
                    }
                    // Created before the old pin goes, so that a map the kernel refuses leaves
                    // the old one pinned.
                    let map = create_with(&decl.def, Some(decl), btf, index)?;
                    std::fs::remove_file(&path).map_err(|e| Error::Pin {
                        map: label.clone(),
                        path: path.clone(),
                        errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
                    })?;
                    journal.push(PinChange::Replaced { path: path.clone(), old: existing });
                    map.pin(&path)?;
                    self.set_permissions(&label, &path)?;
                    return Ok(map.with_pin(path));
                }
                Err(Error::Open { errno: Errno::ENOENT, .. }) => {
                    let map = create_with(&decl.def, Some(decl), btf, index)?;
                    match map.pin(&path) {
                        Ok(()) => {
                            journal.push(PinChange::Created(path.clone()));
                            self.set_permissions(&label, &path)?;
                            return Ok(map.with_pin(path));
                        }
                        Err(Error::Pin { errno: Errno::EEXIST, .. }) if !raced => raced = true,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Loader {
    /// Gives a pin this loader made the asked mode and group.
    fn set_permissions(&self, label: &MapLabel, path: &Path) -> Result<(), Error> {
        let failed = |e: std::io::Error| Error::Pin {
            map: label.clone(),
            path: path.to_path_buf(),
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
        };
        if let Some(gid) = self.pin_group {
            std::os::unix::fs::chown(path, None, Some(gid)).map_err(failed)?;
        }
        if let Some(mode) = self.pin_mode {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(failed)?;
        }
        Ok(())
    }

    /// Before a pin is reused: narrows its permissions to the asked ones, or refuses where
    /// the asked ones would widen them (more bits, or another group given any).
    fn keep_permissions(&self, label: &MapLabel, path: &Path) -> Result<(), Error> {
        if self.pin_mode.is_none() && self.pin_group.is_none() {
            return Ok(());
        }
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).map_err(|e| Error::Pin {
            map: label.clone(),
            path: path.to_path_buf(),
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
        })?;
        let (mode, group) = (meta.mode() & 0o777, meta.gid());
        let asked_mode = self.pin_mode.unwrap_or(mode);
        let asked_group = self.pin_group.unwrap_or(group);
        let more_bits = asked_mode & !mode != 0;
        let other_group = asked_group != group && asked_mode & 0o070 != 0;
        if more_bits || other_group {
            return Err(Error::PinPermissions {
                map: label.clone(),
                path: path.to_path_buf(),
                mode,
                group,
                asked_mode,
                asked_group,
            });
        }
        if (asked_mode, asked_group) != (mode, group) { self.set_permissions(label, path) } else { Ok(()) }
    }
}

/// Whether `RLIMIT_MEMLOCK` is finite: an unlimited process is never refused for memlock, so
/// there is nothing to probe or raise.
fn memlock_finite() -> bool {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit through a valid pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) == 0 && limit.rlim_cur != libc::RLIM_INFINITY }
}

/// A change one [`Loader::load`] made in bpffs, undone if the load fails.
enum PinChange {
    /// A new pin.
    Created(PathBuf),
    /// A pin replaced under [`OnMismatch::Replace`]; `old` keeps the map it held alive.
    Replaced { path: PathBuf, old: Map },
}

/// Puts bpffs back as the failed load found it: its pins go, the pins it replaced return.
/// Best effort: the load's own error is the one to report.
fn undo(journal: Vec<PinChange>) {
    for change in journal.into_iter().rev() {
        match change {
            PinChange::Created(path) => {
                let _ = std::fs::remove_file(path);
            }
            PinChange::Replaced { path, old } => {
                let _ = std::fs::remove_file(&path);
                let _ = old.pin(&path);
            }
        }
    }
}

/// Two maps with one kernel name would be indistinguishable in `bpftool` and `by_name`, and
/// would share one pin path.
fn check_unique_names(declarations: &'static [&'static Declaration]) -> Result<(), Error> {
    // The registry is fixed at link time: look for a duplicate once.
    static DUPLICATE: OnceLock<Option<(&'static Declaration, &'static Declaration)>> = OnceLock::new();
    let duplicate = DUPLICATE.get_or_init(|| {
        let mut seen: HashMap<&[u8], &'static Declaration> = HashMap::with_capacity(declarations.len());
        declarations
            .iter()
            .filter(|d| !d.def.name.is_empty())
            .find_map(|&decl| seen.insert(decl.def.name.as_bytes(), decl).map(|first| (first, decl)))
    });
    match duplicate {
        Some((first, second)) => Err(Error::DuplicateName {
            name: second.def.name.to_string(),
            first: first.location(),
            second: second.location(),
        }),
        None => Ok(()),
    }
}
