//! The numbers of the BTF format (`include/uapi/linux/btf.h`): kinds, header constants and
//! the limits the kernel enforces.

use core::fmt;

/// `BTF_MAGIC`, the first two bytes of every blob (in the writer's byte order).
pub(crate) const MAGIC: u16 = 0xeb9f;
/// `BTF_VERSION`.
pub(crate) const VERSION: u8 = 1;
/// `sizeof(struct btf_header)`.
pub(crate) const HEADER_LEN: u32 = 24;
/// `BTF_MAX_TYPE`: the largest type id.
pub(crate) const MAX_TYPE: u32 = 0x000f_ffff;
/// `BTF_MAX_NAME_OFFSET`: the largest offset into the string section.
pub(crate) const MAX_NAME_OFFSET: u32 = 0x00ff_ffff;
/// `BTF_MAX_VLEN`: the most members, enum values or parameters one type has.
pub(crate) const MAX_VLEN: u32 = 0xffff;
/// `BTF_INT_SIGNED`.
pub(crate) const INT_SIGNED: u8 = 1 << 0;
/// `BTF_INT_CHAR`.
pub(crate) const INT_CHAR: u8 = 1 << 1;
/// `BTF_INT_BOOL`.
pub(crate) const INT_BOOL: u8 = 1 << 2;

/// How deep the kernel follows types: `MAX_RESOLVE_DEPTH` in `kernel/bpf/btf.c` bounds its
/// resolver (for chains of types that refer to later ids: "Exceeded max resolving depth:32",
/// E2BIG), its size computation (`__btf_resolve_size`) and, at map creation, its search for
/// `bpf_spin_lock` in nested structs. The encoder, the parser's queries and the description's
/// `const fn`s stop at the same depth, which also ends any cycle. (The builder writes every
/// type after the ones it uses, so the kernel's resolver never goes that deep in its blobs.)
pub const MAX_DEPTH: u32 = 32;

/// The longest struct, member or typedef name the encoder writes: `KSYM_NAME_LEN` before
/// Linux 6.1 (128; since then 512), the limit of the kernel's identifier check.
pub const MAX_NAME_LEN: usize = 128;

/// `BTF_KIND_*`: what a type is.
///
/// ```
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, U32};
///
/// let mut builder = BtfBuilder::new();
/// let id = builder.add(&U32)?;
/// let btf = Btf::parse(&builder.finish())?;
/// assert_eq!(btf.type_by_id(id)?.kind(), Kind::Int);
/// assert_eq!(btf.find_by_name(Kind::Int, btf.name(id)?), Some(id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[non_exhaustive]
pub enum Kind {
    /// Type id 0, `void`; never written in a blob (`BTF_KIND_UNKN`).
    Void = 0,
    /// `BTF_KIND_INT`: an integer, `char` or `_Bool`.
    Int = 1,
    /// `BTF_KIND_PTR`.
    Ptr = 2,
    /// `BTF_KIND_ARRAY`.
    Array = 3,
    /// `BTF_KIND_STRUCT`.
    Struct = 4,
    /// `BTF_KIND_UNION`.
    Union = 5,
    /// `BTF_KIND_ENUM`: values up to 32 bits.
    Enum = 6,
    /// `BTF_KIND_FWD`: a struct or union declared but not defined.
    Fwd = 7,
    /// `BTF_KIND_TYPEDEF`.
    Typedef = 8,
    /// `BTF_KIND_VOLATILE`.
    Volatile = 9,
    /// `BTF_KIND_CONST`.
    Const = 10,
    /// `BTF_KIND_RESTRICT`.
    Restrict = 11,
    /// `BTF_KIND_FUNC`.
    Func = 12,
    /// `BTF_KIND_FUNC_PROTO`.
    FuncProto = 13,
    /// `BTF_KIND_VAR`: a global variable (a map definition in `.maps`).
    Var = 14,
    /// `BTF_KIND_DATASEC`: an ELF section of variables (`.maps`, `.bss`).
    Datasec = 15,
    /// `BTF_KIND_FLOAT` (Linux 5.13).
    Float = 16,
    /// `BTF_KIND_DECL_TAG`.
    DeclTag = 17,
    /// `BTF_KIND_TYPE_TAG`.
    TypeTag = 18,
    /// `BTF_KIND_ENUM64`: values up to 64 bits (Linux 6.0).
    Enum64 = 19,
}

impl Kind {
    /// The kind numbered `raw` in a type's `info`, or `None` for a number this crate does not
    /// know (0 is not a kind a blob may contain either; [`Kind::Void`] is only id 0).
    pub const fn from_raw(raw: u8) -> Option<Kind> {
        Some(match raw {
            1 => Kind::Int,
            2 => Kind::Ptr,
            3 => Kind::Array,
            4 => Kind::Struct,
            5 => Kind::Union,
            6 => Kind::Enum,
            7 => Kind::Fwd,
            8 => Kind::Typedef,
            9 => Kind::Volatile,
            10 => Kind::Const,
            11 => Kind::Restrict,
            12 => Kind::Func,
            13 => Kind::FuncProto,
            14 => Kind::Var,
            15 => Kind::Datasec,
            16 => Kind::Float,
            17 => Kind::DeclTag,
            18 => Kind::TypeTag,
            19 => Kind::Enum64,
            _ => return None,
        })
    }

    /// The `BTF_KIND_*` number.
    pub const fn raw(self) -> u8 {
        self as u8
    }

    /// The name `bpftool btf dump` and the kernel's log print (`STRUCT`, `FUNC_PROTO`).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Void => "VOID",
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
        }
    }

    /// Whether the kind only qualifies or renames another type, so that layouts and sizes
    /// look through it: typedef, `const`, `volatile`, `restrict` and type tags (the kernel's
    /// `btf_type_is_modifier`).
    pub const fn is_modifier(self) -> bool {
        matches!(self, Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_numbers_round_trip() {
        for raw in 0..=255u8 {
            if let Some(kind) = Kind::from_raw(raw) {
                assert_eq!(kind.raw(), raw);
            }
        }
        assert_eq!(Kind::from_raw(0), None);
        assert_eq!(Kind::from_raw(20), None);
        assert_eq!(Kind::from_raw(19), Some(Kind::Enum64));
        assert_eq!(Kind::FuncProto.to_string(), "FUNC_PROTO");
    }
}
