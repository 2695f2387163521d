//! `load` and `Loader`: create every declared map at startup.

use std::collections::HashMap;

use crate::map::create_declared;
use crate::registry::{self, Declaration};
use crate::{Error, Maps};

/// Creates every map declared with `#[bpf_map]`, in declaration order (by file, then line),
/// and returns them: the `map_data[]` of C's BPF loaders.
///
/// Each definition is checked against the rule book and this host's limits before its
/// `BPF_MAP_CREATE`. If map *k* fails, maps 0 to *k*-1 are closed and the error names map *k*.
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
/// definition breaks a rule only this host shows, [`Error::Create`] if the kernel refuses one.
pub fn load() -> Result<Maps, Error> {
    Loader::new().load()
}

/// Options for creating the declared maps; [`load`] uses the defaults.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Loader {}

impl Loader {
    /// The default loader.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Creates every declared map; see [`load`].
    pub fn load(&self) -> Result<Maps, Error> {
        let declarations = registry::declarations();
        check_unique_names(&declarations)?;
        let mut maps = Vec::with_capacity(declarations.len());
        for decl in declarations {
            // On error, `maps` drops here and closes every map created so far.
            maps.push(create_declared(&decl.def, Some(decl))?);
        }
        Ok(Maps::new(maps))
    }
}

/// Two maps with one kernel name would be indistinguishable in `bpftool` and `by_name`.
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
