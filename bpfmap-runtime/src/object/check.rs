//! The run-time check: every map of an object against the declaration of the same kernel name.

use std::fmt;
use std::path::Path;

use super::compare::{MapDiff, diff_object_map};
use super::{Object, ObjectMap};
use crate::btf::{Btf, TypeData};
use crate::error::Location;
use crate::registry::{Declaration, declarations};
use crate::rules::{MapFlags, MapType, default_map_name};
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

/// A `#[bpf_map]` declaration that matches `map`: its type, numbers and flags, and key and
/// value types named from the object's BTF where Rust has them (`u32` for `__u32`), else
/// bytes (`[u8; 12]`) or the C struct's name in Rust's case (to be declared with
/// `#[derive(Pod)]`).
pub fn suggest_declaration(map: &ObjectMap, btf: Option<&Btf>) -> String {
    let mut attrs = vec![format!("type = \"{}\"", MapType::from_raw(map.map_type))];
    if map.max_entries != 0 {
        attrs.push(format!("max_entries = {}", map.max_entries));
    }
    let flags = MapFlags::from_bits_retain(map.flags);
    if !flags.is_empty() {
        attrs.push(format!("flags = \"{}\"", flags.to_string().replace('|', " | ")));
    }
    if map.pinning == 1 {
        attrs.push("pin = \"by_name\"".to_string());
    }
    if map.map_extra != 0 {
        attrs.push(format!("map_extra = {}", map.map_extra));
    }
    let struct_name = camel_case(&map.name);
    if default_map_name(&struct_name) != map.kernel_name() {
        attrs.push(format!("name = \"{}\"", map.kernel_name()));
    }
    if map.inner.is_some() {
        attrs.push("inner = Template".to_string());
    }
    let ty = |id: Option<u32>, size: u32| match (id, btf) {
        (Some(id), Some(btf)) => rust_type(btf, id, size),
        _ => bytes(size),
    };
    let fields = match (map.key_size, map.value_size) {
        (0, 0) => ";".to_string(),
        (0, value) => format!(" {{ value: {} }}", ty(map.value_type, value)),
        (key, value) => {
            format!(" {{ key: {}, value: {} }}", ty(map.key_type, key), ty(map.value_type, value))
        }
    };
    format!("#[bpf_map({})] struct {struct_name}{fields}", attrs.join(", "))
}

fn bytes(size: u32) -> String {
    format!("[u8; {size}]")
}

/// A Rust type for BTF type `id` of `size` bytes: integers by size and sign, a struct by its
/// name in Rust's case, arrays of those; anything else as bytes.
fn rust_type(btf: &Btf, id: u32, size: u32) -> String {
    let Ok(resolved) = btf.resolve(id) else { return bytes(size) };
    let Ok(t) = btf.type_by_id(resolved) else { return bytes(size) };
    match &t.data {
        TypeData::Int { size: n @ (1 | 2 | 4 | 8 | 16), encoding, bits, bit_offset: 0 }
            if u32::from(*bits) == n * 8 =>
        {
            format!("{}{}", if encoding.is_signed() { "i" } else { "u" }, n * 8)
        }
        TypeData::Struct { .. } => match btf.str_at(t.name_off) {
            Ok(name) if !name.is_empty() => camel_case(name),
            _ => bytes(size),
        },
        TypeData::Array { elem, nr_elems, .. } => {
            let elem_size = btf.size_of(*elem).unwrap_or(0);
            if elem_size == 0 || elem_size.checked_mul(*nr_elems) != Some(size) {
                return bytes(size);
            }
            format!("[{}; {nr_elems}]", rust_type(btf, *elem, elem_size))
        }
        _ => bytes(size),
    }
}

/// `flow_stats` → `FlowStats`, as Rust names structs.
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(['_', '.']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Map");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_from_c_to_rust_and_back() {
        assert_eq!(camel_case("flow_stats"), "FlowStats");
        assert_eq!(camel_case("counts"), "Counts");
        assert_eq!(camel_case("_9lives"), "Map9lives");
        assert_eq!(default_map_name(&camel_case("my_map")), "my_map");
        assert_ne!(default_map_name(&camel_case("myMap")), "myMap", "then `name = ...` keeps it");
    }
}
