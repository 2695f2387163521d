//! [`ObjectError`]: why an object's maps cannot be read, with the map it concerns.

use std::fmt;

use crate::btf::BtfError;

/// Why an object's maps cannot be read: what was wrong ([`kind`](ObjectError::kind)) and, when
/// it concerns one map, which ([`map`](ObjectError::map)).
///
/// `Display` names both:
///
/// ```text
/// map `counts`: `max_entries` is not a __uint (a pointer to an array): found a pointer to STRUCT
/// map `x` has map type 99, which no kernel has
/// not a BPF object: ELF machine 62 (x86-64)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectError {
    /// What is wrong.
    pub kind: ObjectErrorKind,
    /// The map whose definition is wrong, by the name the object gives it (the inner template
    /// of map-of-maps `outer` is `outer.inner`, as libbpf names it); `None` for problems of
    /// the file as a whole.
    pub map: Option<String>,
}

/// What is wrong with an object.
///
/// ```
/// use bpfmap::object::{Object, ObjectErrorKind};
///
/// let err = Object::parse(b"#!/bin/sh\n").unwrap_err();
/// assert_eq!(err.kind, ObjectErrorKind::NotElf);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectErrorKind {
    /// The bytes are not an ELF file (they do not start with `\x7fELF`).
    NotElf,
    /// An ELF file that is not 64-bit (`EI_CLASS` is not `ELFCLASS64`): BPF objects are.
    NotElf64 {
        /// `EI_CLASS`: 1 for 32-bit.
        class: u8,
    },
    /// An ELF file for another machine than BPF (`EM_BPF`, 247).
    NotBpf {
        /// `e_machine`.
        machine: u16,
    },
    /// An ELF file that is not a relocatable object (`ET_REL`), as `clang -c` writes: an
    /// executable, a shared library, a core dump.
    NotRelocatable {
        /// `e_type`.
        elf_type: u16,
    },
    /// The ELF structure is broken: a truncated header or section table, a section whose bytes
    /// are past the end of the file, an unreadable section name or symbol table.
    Malformed {
        /// What is broken, and where.
        detail: String,
    },
    /// An object of the other byte order than this machine's, with BTF, which is read only in
    /// this machine's byte order.
    ForeignByteOrder {
        /// Whether the object is big-endian (`clang -target bpfeb`).
        big_endian: bool,
    },
    /// The `.BTF` section does not parse.
    Btf(BtfError),
    /// A `.maps` section, but no `.BTF` section to describe its maps.
    NoBtf,
    /// A `.maps` section, but no `DATASEC` named `.maps` in the BTF.
    NoMapsDatasec,
    /// A variable of the `.maps` `DATASEC` that libbpf does not take as a map: no name, not a
    /// global `VAR`, not of a struct type, larger than its place in the section.
    BadMapVar {
        /// What is wrong with it.
        detail: String,
    },
    /// A member of a map definition that libbpf does not know (libbpf refuses it, unless the
    /// object is opened with `relaxed_maps`).
    UnknownField {
        /// The member's name (empty for an anonymous member).
        field: String,
    },
    /// A member not encoded as libbpf's macro for it encodes it (`__uint`, `__ulong`, `__type`,
    /// `__array`), or with a value libbpf refuses.
    BadField {
        /// The member's name.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// `key_size` and the size of the `key` type (or `value_size` and the `value` type, or
    /// `value_size` and the 4 bytes of an `__array(values, ...)`) disagree.
    SizeConflict {
        /// `"key"` or `"value"`.
        what: &'static str,
        /// The size given first.
        first: u32,
        /// The size given later.
        second: u32,
    },
    /// No map type (`__uint(type, ...)` missing, or a legacy `type` of 0).
    NoMapType,
    /// A map type number that no kernel has.
    UnknownMapType {
        /// The number.
        map_type: u32,
    },
    /// A legacy `maps` section or record that libbpf refuses.
    Legacy {
        /// What is wrong with it.
        detail: String,
    },
}

impl ObjectError {
    pub(super) fn new(kind: ObjectErrorKind) -> ObjectError {
        ObjectError { kind, map: None }
    }

    pub(super) fn for_map(kind: ObjectErrorKind, map: &str) -> ObjectError {
        ObjectError { kind, map: Some(map.to_owned()) }
    }

    pub(super) fn malformed(detail: impl Into<String>) -> ObjectError {
        ObjectError::new(ObjectErrorKind::Malformed { detail: detail.into() })
    }
}

/// The usual ELF machines, so that a wrong object is recognised at a glance.
fn machine_name(machine: u16) -> Option<&'static str> {
    Some(match machine {
        3 => "i386",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "PowerPC64",
        22 => "s390",
        40 => "ARM",
        62 => "x86-64",
        183 => "AArch64",
        243 => "RISC-V",
        258 => "LoongArch",
        _ => return None,
    })
}

fn elf_type_name(elf_type: u16) -> &'static str {
    match elf_type {
        0 => "no file type",
        2 => "an executable",
        3 => "a shared object or position-independent executable",
        4 => "a core dump",
        _ => "an unknown file type",
    }
}

impl fmt::Display for ObjectErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectErrorKind::NotElf => f.write_str("not an ELF file (it does not start with \\x7fELF)"),
            ObjectErrorKind::NotElf64 { class: 1 } => {
                f.write_str("not a BPF object: a 32-bit ELF file, where BPF objects are 64-bit")
            }
            ObjectErrorKind::NotElf64 { class } => {
                write!(f, "not a BPF object: ELF class {class}, where BPF objects are 64-bit (class 2)")
            }
            ObjectErrorKind::NotBpf { machine } => match machine_name(*machine) {
                Some(name) => write!(f, "not a BPF object: ELF machine {machine} ({name})"),
                None => write!(f, "not a BPF object: ELF machine {machine}, not BPF (247)"),
            },
            ObjectErrorKind::NotRelocatable { elf_type } => write!(
                f,
                "not a BPF object file: ELF type {elf_type} ({}), where `clang -c` writes a \
                 relocatable object (type 1)",
                elf_type_name(*elf_type)
            ),
            ObjectErrorKind::Malformed { detail } => write!(f, "malformed ELF: {detail}"),
            ObjectErrorKind::ForeignByteOrder { big_endian } => {
                let (object, machine, target) = if *big_endian {
                    ("big-endian (`clang -target bpfeb`)", "little-endian", "bpfel")
                } else {
                    ("little-endian (`clang -target bpfel`)", "big-endian", "bpfeb")
                };
                write!(
                    f,
                    "the object is {object} and this machine {machine}: its BTF is read only in this \
                     machine's byte order; build it with `-target bpf` or `-target {target}`"
                )
            }
            ObjectErrorKind::Btf(e) => write!(f, "the .BTF section does not parse: {e}"),
            ObjectErrorKind::NoBtf => f.write_str(
                "the object has a .maps section but no .BTF section to describe its maps (compile with -g)",
            ),
            ObjectErrorKind::NoMapsDatasec => {
                f.write_str("the object has a .maps section but its BTF has no DATASEC `.maps`")
            }
            ObjectErrorKind::BadMapVar { detail } => f.write_str(detail),
            ObjectErrorKind::UnknownField { field } if field.is_empty() => f.write_str(
                "a member of the definition has no name (libbpf refuses members it does not know)",
            ),
            ObjectErrorKind::UnknownField { field } => write!(
                f,
                "unknown member `{field}` in the definition (libbpf refuses it unless the object is \
                 opened with relaxed_maps)"
            ),
            ObjectErrorKind::BadField { field, detail } => write!(f, "`{field}` {detail}"),
            ObjectErrorKind::SizeConflict { what, first, second } => {
                write!(f, "conflicting {what} sizes: {first} bytes, then {second}")
            }
            ObjectErrorKind::NoMapType => {
                f.write_str("no map type: the definition gives none, or 0 (BPF_MAP_TYPE_UNSPEC)")
            }
            ObjectErrorKind::UnknownMapType { map_type } => {
                write!(f, "map type {map_type}, which no kernel has")
            }
            ObjectErrorKind::Legacy { detail } => f.write_str(detail),
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.map, &self.kind) {
            (Some(map), ObjectErrorKind::UnknownMapType { .. }) => write!(f, "map `{map}` has {}", self.kind),
            (Some(map), kind) => write!(f, "map `{map}`: {kind}"),
            (None, kind) => kind.fmt(f),
        }
    }
}

impl std::error::Error for ObjectError {}
