//! `load` and `Loader`: create every declared map at startup, or reuse its pin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::compat;
use crate::error::MapLabel;
use crate::map::create_declared;
use crate::pin;
use crate::registry::{self, Declaration};
use crate::rules::{HostLimits, Pinning};
use crate::{Errno, Error, Map, Maps};

/// Creates every map declared with `#[bpf_map]`, in declaration order (by file, then line),
/// and returns them: the `map_data[]` of C's BPF loaders.
///
/// Each definition is checked against the rule book and this host's limits before its
/// `BPF_MAP_CREATE`. Maps declared with `pin = "by_name"` are reused from
/// `<pin root>/<name>` when compatible, and pinned there when created. If map *k* fails, maps
/// 0 to *k*-1 are closed, the pins this call made are removed, and the error names map *k*.
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
/// [`Error::PinMismatch`] if a pinned map differs from its declaration.
pub fn load() -> Result<Maps, Error> {
    Loader::new().load()
}

/// What [`Loader::load`] does when a pinned map differs from its declaration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnMismatch {
    /// Fail with [`Error::PinMismatch`], listing every differing field (the default: the pin
    /// may hold data another program relies on).
    #[default]
    Fail,
    /// Remove the pin, create the map as declared and pin it instead.
    Replace,
}

/// Whether [`Loader::load`] raises `RLIMIT_MEMLOCK` on kernels that charge maps to it.
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

    /// Whether to raise `RLIMIT_MEMLOCK` on kernels that charge maps to it.
    pub fn memlock(mut self, policy: Memlock) -> Loader {
        self.memlock = policy;
        self
    }

    /// The pin root this loader uses.
    pub fn resolved_pin_root(&self) -> PathBuf {
        pin::resolve_root(self.pin_root.as_deref())
    }

    /// Creates every declared map; see [`load`].
    pub fn load(&self) -> Result<Maps, Error> {
        let declarations = registry::declarations();
        check_unique_names(&declarations)?;
        if self.memlock == Memlock::Auto && !declarations.is_empty() && crate::probe::memlock_charged() {
            // A failure is reported by the first map the limit then refuses (`Cause::Memory`).
            let _ = crate::probe::raise_memlock();
        }
        let mut made_pins = Vec::new();
        let result = self.load_all(&declarations, &mut made_pins);
        if result.is_err() {
            // Leave no half-made state behind: the pins this call made go; pins that were
            // there before stay.
            for path in &made_pins {
                let _ = std::fs::remove_file(path);
            }
        }
        result.map(Maps::new)
    }

    fn load_all(
        &self,
        declarations: &[&'static Declaration],
        made_pins: &mut Vec<PathBuf>,
    ) -> Result<Vec<Map>, Error> {
        let root = self.resolved_pin_root();
        let mut root_checked = false;
        let mut maps = Vec::with_capacity(declarations.len());
        for &decl in declarations {
            // On error, `maps` drops here and closes every map created so far.
            let map = match decl.def.pinning {
                Pinning::ByName => {
                    if !root_checked {
                        pin::check_root(&root)?;
                        root_checked = true;
                    }
                    self.load_pinned(decl, &root, made_pins)?
                }
                _ => create_declared(&decl.def, Some(decl))?,
            };
            maps.push(map);
        }
        Ok(maps)
    }

    fn load_pinned(
        &self,
        decl: &'static Declaration,
        root: &Path,
        made_pins: &mut Vec<PathBuf>,
    ) -> Result<Map, Error> {
        let host = HostLimits::current();
        let label = MapLabel::of(&decl.def, Some(decl));
        let path = pin::path_for(root, &label)?;
        match Map::from_pin(&path) {
            Ok(existing) => {
                let mut diffs = compat::diff(&decl.def, &existing.info()?, host);
                if let Some(inner) = decl.def.inner {
                    diffs.extend(compat::diff_inner(&existing, inner, host)?);
                }
                if diffs.is_empty() {
                    return Ok(existing.declared(decl.def.resolve_for(host), decl, path));
                }
                if self.on_mismatch == OnMismatch::Fail {
                    return Err(Error::PinMismatch { map: label, path, diffs });
                }
                std::fs::remove_file(&path).map_err(|e| Error::Pin {
                    map: label.clone(),
                    path: path.clone(),
                    errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
                })?;
            }
            Err(Error::Open { errno: Errno::ENOENT, .. }) => {}
            Err(e) => return Err(e),
        }
        let map = create_declared(&decl.def, Some(decl))?;
        map.pin(&path)?;
        made_pins.push(path.clone());
        Ok(map.with_pin(path))
    }
}

/// Two maps with one kernel name would be indistinguishable in `bpftool` and `by_name`, and
/// would share one pin path.
fn check_unique_names(declarations: &[&'static Declaration]) -> Result<(), Error> {
    let mut seen: HashMap<&[u8], &Declaration> = HashMap::with_capacity(declarations.len());
    for &decl in declarations {
        let name = decl.def.name.as_bytes();
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name, decl) {
            return Err(Error::DuplicateName {
                name: decl.def.name.to_string(),
                first: first.location(),
                second: decl.location(),
            });
        }
    }
    Ok(())
}
