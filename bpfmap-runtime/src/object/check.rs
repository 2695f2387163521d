//! The run-time check: every map of an object against the declaration of the same kernel name.

use std::fmt;
use std::path::Path;

use super::compare::{MapDiff, diff_object_map};
use super::{Object, suggest_declaration};
use crate::error::Location;
use crate::registry::{Declaration, declarations};
use crate::{Errno, Error};

/// What is wrong with one map of an object, against the declarations.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectProblem {
    /// The declaration of the map's name differs from the object's map.
    Differs {
        /// The kernel name.
        map: String,
        /// The declaration.
        declared: Location,
        /// Every field that differs.
        diffs: Vec<MapDiff>,
    },
    /// No map is declared with the object map's name.
    Undeclared {
        /// The kernel name.
        map: String,
        /// A declaration that would match it.
        suggestion: String,
    },
}

impl fmt::Display for ObjectProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectProblem::Differs { map, declared, diffs } => {
                write!(f, "map `{map}` differs from its declaration {declared}: ")?;
                for (i, diff) in diffs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{diff}")?;
                }
                Ok(())
            }
            ObjectProblem::Undeclared { map, suggestion } => {
                write!(f, "map `{map}` has no #[bpf_map] declaration; declare it as `{suggestion}`")
            }
        }
    }
}

/// Checks every map of the BPF object `bytes` against the declared map of the same kernel
/// name, as `check_object!` does at compile time: for objects built after the Rust code, or
/// read from disk.
///
/// Maps declared in Rust and absent from the object are fine (not every map is a program's).
///
/// ```no_run
/// let object = std::fs::read("target/bpf/count.bpf.o")?;
/// bpfmap::check_object(&object)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::ObjectUnreadable`] if the bytes are not a BPF object whose maps can be read;
/// [`Error::ObjectMismatch`] naming each map that differs (field by field) or has no
/// declaration (with one that would match).
pub fn check_object(bytes: &[u8]) -> Result<(), Error> {
    check_named("the object", bytes)
}

/// [`check_object`] of the file at `path`, which the errors name.
///
/// # Errors
/// As [`check_object`]; [`Error::Open`] if the file cannot be read.
pub fn check_object_file(path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::Open {
        what: format!("the BPF object {}", path.display()),
        errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
    })?;
    check_named(&path.display().to_string(), &bytes)
}

fn check_named(name: &str, bytes: &[u8]) -> Result<(), Error> {
    let object =
        Object::parse(bytes).map_err(|error| Error::ObjectUnreadable { object: name.to_string(), error })?;
    let problems = problems(&object, declarations());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::ObjectMismatch { object: name.to_string(), problems })
    }
}

/// What is wrong with each map of `object` against `declared`, in the object's order.
pub(crate) fn problems(object: &Object, declared: &[&'static Declaration]) -> Vec<ObjectProblem> {
    object
        .maps()
        .iter()
        .filter_map(|map| {
            let Some(decl) = declared.iter().find(|d| d.def.name.as_bytes() == map.kernel_name().as_bytes())
            else {
                return Some(ObjectProblem::Undeclared {
                    map: map.name.clone(),
                    suggestion: suggest_declaration(map, object.btf()),
                });
            };
            let diffs = diff_object_map(&decl.def, map, object.btf());
            (!diffs.is_empty()).then(|| ObjectProblem::Differs {
                map: map.name.clone(),
                declared: decl.location(),
                diffs,
            })
        })
        .collect()
}
