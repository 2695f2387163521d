//! BTF for the maps this process creates: one object for every map of a `load()` (each type
//! written once, one string table, one `BPF_BTF_LOAD`), and the type ids of each map's key
//! and value in it.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::btf::BtfBuilder;
use crate::error::MapLabel;
use crate::registry::Declaration;
use crate::rules::MapDef;
use crate::token::{NotDelegated, Token, Undelegated};
use crate::{Cause, Errno, Error, sys};

/// Set (to anything) in tests of the fallback, in builds with the `test-hooks` feature: the
/// BTF object is then sent with a wrong magic number, so that the running kernel refuses it for
/// real, as one without BTF would.
const REFUSE_FOR_TESTS: &str = "BPFMAP_TEST_REFUSE_BTF";

/// What `BPF_MAP_CREATE` gets of a map's BTF: the object and the ids of its key and value
/// types (0 for a map without a key, or without a value).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BtfIds<'a> {
    pub fd: BorrowedFd<'a>,
    pub key: u32,
    pub value: u32,
}

/// The BTF of a set of maps, loaded; or the kernel's refusal of it. Loaded through the BPF
/// token the maps are created with, if any, which it keeps for their creation.
pub(crate) struct MapsBtf<'t> {
    loaded: Result<OwnedFd, Refusal>,
    token: Option<&'t Token>,
    /// Per map, in the order given: the ids of its types, `None` for a map created without.
    ids: Vec<Option<(u32, u32)>>,
}

/// Why the kernel did not take the maps' BTF: its errno and its log.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub errno: Errno,
    pub log: String,
}

impl<'t> MapsBtf<'t> {
    /// Writes the key and value types of every map in `defs` whose type takes BTF into one
    /// object, and loads it (through `token`, if given); maps without types, or of types that
    /// take none, get no ids.
    pub(crate) fn load<'d>(
        defs: impl IntoIterator<Item = &'d MapDef>,
        token: Option<&'t Token>,
    ) -> MapsBtf<'t> {
        let mut builder = BtfBuilder::new();
        let ids: Vec<Option<(u32, u32)>> = defs
            .into_iter()
            .map(|def| {
                // Types that `BPF_BTF_LOAD` itself refuses (two locks side by side) must not sink
                // the object of every other map: their definition is refused before its map is
                // created, by this same rule.
                if !def.takes_btf() || crate::rules::check_btf_object(def).is_err() {
                    return None;
                }
                let mut id = |ty| match ty {
                    // A description the builder refuses is one `#[derive(Pod)]` refused at
                    // compile time; one made by hand goes without BTF.
                    Some(desc) => builder.add(desc).ok(),
                    None => Some(0),
                };
                Some((id(def.key_type)?, id(def.value_type)?))
            })
            .collect();
        if ids.iter().all(Option::is_none) {
            return MapsBtf { loaded: Err(Refusal { errno: Errno::ENOENT, log: String::new() }), token, ids };
        }
        let mut blob = builder.finish();
        if cfg!(feature = "test-hooks") && std::env::var_os(REFUSE_FOR_TESTS).is_some() {
            // The magic number, wrong: the kernel refuses the object, as an old kernel would.
            blob[0] ^= 0xff;
        }
        let mut log = Vec::new();
        let loaded = sys::btf_load_quiet(&blob, &mut log, token.map(Token::as_fd))
            .map_err(|errno| Refusal { errno, log: String::from_utf8_lossy(&log).trim_end().to_string() });
        MapsBtf { loaded, token, ids }
    }

    /// The BPF token the maps are created with, if any.
    pub(crate) fn token(&self) -> Option<&'t Token> {
        self.token
    }

    /// The BTF of map `index` (in the order given to `load`), if it has any and the kernel
    /// took the object.
    pub(crate) fn ids(&self, index: usize) -> Option<BtfIds<'_>> {
        let (key, value) = (*self.ids.get(index)?)?;
        let fd = self.loaded.as_ref().ok()?.as_fd();
        Some(BtfIds { fd, key, value })
    }

    /// The kernel's refusal, if it refused the object (not if there was none to load).
    pub(crate) fn refusal(&self) -> Option<&Refusal> {
        match &self.loaded {
            Err(refusal) if self.ids.iter().any(Option::is_some) => Some(refusal),
            _ => None,
        }
    }

    /// The error for map `def` when the kernel refused the BTF and the map cannot go without
    /// it (local storage, a value with a lock); `None` when it can.
    pub(crate) fn missing_for(&self, def: &MapDef, decl: Option<&Declaration>) -> Option<Error> {
        let refusal = self.refusal()?;
        if !def.needs_btf() {
            return None;
        }
        // Refused for lack of privilege: so would the map be, and that error explains it; or,
        // through a token whose bpffs delegates map creation but not BTF, by that.
        if refusal.errno == Errno::EPERM {
            if let Some(token) = self.token
                && let Some(delegation) = token.delegation()
                && !delegation.btf_load()
                && Cause::undelegated(&delegation, def.map_type).is_none()
            {
                return Some(Error::Create {
                    map: MapLabel::of(def, decl),
                    errno: Errno::EPERM,
                    cause: Cause::NotDelegated(Box::new(NotDelegated::new(
                        token,
                        delegation,
                        Undelegated::BtfLoad,
                    ))),
                });
            }
            return Some(Error::create(def, decl, Errno::EPERM, self.token));
        }
        Some(Error::Btf {
            map: Some(MapLabel::of(def, decl)),
            errno: refusal.errno,
            log: refusal.log.clone(),
        })
    }
}

/// Says once per process that maps were created without their BTF, and why: not an error
/// (they work), but `bpftool` shows their keys and values as bytes.
pub(crate) fn warn_created_without(refusal: &Refusal, token: Option<&Token>) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        let last = refusal.log.lines().last().unwrap_or("no log");
        let hint = match token.and_then(Token::delegation) {
            Some(delegation) if refusal.errno == Errno::EPERM && !delegation.btf_load() => format!(
                "; {} does not delegate btf_load (delegate_cmds: {})",
                token.map_or_else(String::new, Token::describe),
                delegation.command_list()
            ),
            _ => String::new(),
        };
        eprintln!(
            "bpfmap: the kernel refused the BTF of the maps ({}: {last}){hint}; they were created without it, \
             so bpftool shows their keys and values as bytes",
            refusal.errno
        );
    });
}
