//! [`Btf::parse`]: reads any BTF blob (from the kernel, or a clang-built object's `.BTF`
//! section) into types that can be queried, checking every bound on the way.
//!
//! Input is untrusted: every read is a checked slice read, every allocation is bounded by
//! the input's length, and every walk along type references stops at
//! [`MAX_DEPTH`](super::MAX_DEPTH), so a malformed blob (cycles, ids out of range, lengths
//! past the end) gives a [`BtfError`], never a panic or an endless loop.

use super::error::{BtfError, BtfErrorKind};
use super::kind::{HEADER_LEN, INT_BOOL, INT_CHAR, INT_SIGNED, Kind, MAGIC, MAX_DEPTH, MAX_TYPE, VERSION};

/// A parsed BTF blob: its types, by id, and its string section.
///
/// ```
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData, U64};
///
/// let mut builder = BtfBuilder::new();
/// let id = builder.add(&U64)?;
/// let btf = Btf::parse(&builder.finish())?;
/// assert_eq!(btf.find_by_name(Kind::Int, "u64"), Some(id));
/// assert!(matches!(btf.type_by_id(id)?.data, TypeData::Int { size: 8, .. }));
///
/// let err = Btf::parse(b"\x9f\xeb\x01\x00\x18\x00\x00\x00").unwrap_err();
/// assert_eq!(err.to_string(), "BTF at byte 0: the blob is 8 bytes, shorter than the 24-byte header");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Btf {
    /// Index = type id; `types[0]` is `void`.
    types: Vec<Type>,
    /// The string section; starts and ends with a NUL, so every offset in it names a
    /// NUL-terminated string.
    strings: Vec<u8>,
}

/// One type of a blob.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// let ty = btf.type_by_id(flow)?;
/// assert_eq!((ty.kind(), btf.str_at(ty.name_off)?), (Kind::Struct, "Flow"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Type {
    /// Offset of its name in the string section (0: anonymous); [`Btf::name`] reads it.
    pub name_off: u32,
    /// What it is.
    pub data: TypeData,
}

/// A type's kind and the data that follows its header.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// match &btf.type_by_id(flow)?.data {
///     TypeData::Struct { size, members } => assert_eq!((*size, members.len()), (16, 4)),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypeData {
    /// Type id 0.
    Void,
    /// `INT`.
    Int {
        /// Size in bytes.
        size: u32,
        /// Signed, `char`, `_Bool`, or none of these.
        encoding: IntEncoding,
        /// Bits used (`nr_bits`).
        bits: u8,
        /// Bit offset of the value in its bytes (`bits_offset`, 0 but in old bitfields).
        bit_offset: u8,
    },
    /// `PTR`.
    Ptr {
        /// The pointee.
        ty: u32,
    },
    /// `ARRAY`.
    Array {
        /// The element type.
        elem: u32,
        /// The index type.
        index: u32,
        /// The number of elements: what libbpf's `__uint(name, N)` writes as N.
        nr_elems: u32,
    },
    /// `STRUCT`.
    Struct {
        /// Size in bytes.
        size: u32,
        /// Members in order.
        members: Vec<BtfMember>,
    },
    /// `UNION`.
    Union {
        /// Size in bytes.
        size: u32,
        /// Members (all at bit offset 0 in valid BTF).
        members: Vec<BtfMember>,
    },
    /// `ENUM`.
    Enum {
        /// Size in bytes.
        size: u32,
        /// Whether values are signed (the kind flag).
        signed: bool,
        /// The values; see [`EnumValue::value`].
        values: Vec<EnumValue>,
    },
    /// `FWD`: a struct or union declared and never defined.
    Fwd {
        /// A union rather than a struct.
        union: bool,
    },
    /// `TYPEDEF`.
    Typedef {
        /// The type it names.
        ty: u32,
    },
    /// `VOLATILE`.
    Volatile {
        /// The qualified type.
        ty: u32,
    },
    /// `CONST`.
    Const {
        /// The qualified type.
        ty: u32,
    },
    /// `RESTRICT`.
    Restrict {
        /// The qualified type.
        ty: u32,
    },
    /// `FUNC`.
    Func {
        /// Its `FUNC_PROTO`.
        proto: u32,
        /// `BTF_FUNC_STATIC` (0), `GLOBAL` (1) or `EXTERN` (2).
        linkage: u16,
    },
    /// `FUNC_PROTO`.
    FuncProto {
        /// The return type (0: void).
        ret: u32,
        /// The parameters (a last one of type 0 is `...`).
        params: Vec<Param>,
    },
    /// `VAR`: a global variable, such as a map in `.maps`.
    Var {
        /// Its type.
        ty: u32,
        /// `BTF_VAR_STATIC` (0), `GLOBAL_ALLOCATED` (1) or `GLOBAL_EXTERN` (2).
        linkage: u32,
    },
    /// `DATASEC`: an ELF section's variables (offsets and size are 0 in an object file
    /// until a loader fills them).
    Datasec {
        /// Size of the section.
        size: u32,
        /// Its variables.
        vars: Vec<VarSecInfo>,
    },
    /// `FLOAT`.
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// `DECL_TAG`: an attribute string (the name) on a declaration.
    DeclTag {
        /// The tagged type.
        ty: u32,
        /// The member or parameter tagged, or -1 for the type itself.
        component_idx: i32,
    },
    /// `TYPE_TAG`: an attribute string (the name) on a type, such as `__kptr`.
    TypeTag {
        /// The tagged type.
        ty: u32,
    },
    /// `ENUM64`.
    Enum64 {
        /// Size in bytes.
        size: u32,
        /// Whether values are signed (the kind flag).
        signed: bool,
        /// The values; see [`EnumValue::value`].
        values: Vec<EnumValue>,
    },
}

/// The `BTF_INT_ENCODING` of an `INT`.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// let proto = btf.members(flow)?[3].ty;
/// match btf.type_by_id(proto)?.data {
///     TypeData::Int { size, encoding, .. } => assert!(size == 2 && encoding.is_signed()),
///     ref other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IntEncoding {
    /// No flag: unsigned.
    Unsigned,
    /// `BTF_INT_SIGNED`.
    Signed,
    /// `BTF_INT_CHAR`: C's `char` (clang writes signed chars as [`Signed`](IntEncoding::Signed)).
    Char,
    /// `BTF_INT_BOOL`: `_Bool`.
    Bool,
    /// Several flags, or unknown ones (the kernel refuses these).
    Other(u8),
}

impl IntEncoding {
    fn from_raw(raw: u8) -> IntEncoding {
        match raw {
            0 => IntEncoding::Unsigned,
            INT_SIGNED => IntEncoding::Signed,
            INT_CHAR => IntEncoding::Char,
            INT_BOOL => IntEncoding::Bool,
            other => IntEncoding::Other(other),
        }
    }

    /// Whether values are signed.
    pub fn is_signed(self) -> bool {
        match self {
            IntEncoding::Signed => true,
            IntEncoding::Other(raw) => raw & INT_SIGNED != 0,
            _ => false,
        }
    }
}

/// `struct btf_member`, with the kind flag's bitfield encoding decoded.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// let names: Vec<&str> = btf.members(flow)?.iter().map(|m| btf.str_at(m.name_off)).collect::<Result<_, _>>()?;
/// assert_eq!(names, ["packets", "bytes", "port", "proto"]);
/// assert_eq!(btf.members(flow)?[2].bit_offset, 12 * 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BtfMember {
    /// Offset of its name (0: anonymous).
    pub name_off: u32,
    /// Its type.
    pub ty: u32,
    /// Offset from the start of the struct, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, 0 for a plain member.
    pub bitfield_size: u8,
}

/// `struct btf_param`.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// // Function prototypes come from clang's BTF (a `.bpf.o`), not from Rust types.
/// for ty in btf.types() {
///     if let TypeData::FuncProto { params, .. } = &ty.data {
///         for p in params {
///             println!("param {} of type #{}", btf.str_at(p.name_off)?, p.ty);
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Param {
    /// Offset of its name.
    pub name_off: u32,
    /// Its type (0 for a trailing `...`).
    pub ty: u32,
}

/// `struct btf_enum` or `struct btf_enum64`.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// // Enums come from clang's BTF (a `.bpf.o`); the values of each, by name.
/// for ty in btf.types() {
///     if let TypeData::Enum { values, .. } = &ty.data {
///         for v in values {
///             println!("{} = {}", btf.str_at(v.name_off)?, v.value);
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EnumValue {
    /// Offset of its name.
    pub name_off: u32,
    /// The value's bits: for a signed enum read it as `value as i64` (32-bit values are sign
    /// extended), for an unsigned one as `value`.
    pub value: u64,
}

/// `struct btf_var_secinfo`: one variable of a `DATASEC`.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, Kind, TypeData};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Flow { packets: u64, bytes: u32, port: u16, proto: i16 }
///
/// let mut builder = BtfBuilder::new();
/// let flow = builder.add(<Flow as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// // A `.bpf.o`'s `.maps` section is a DATASEC: one variable per map, at its offset.
/// if let Some(maps) = btf.find_by_name(Kind::Datasec, ".maps") {
///     for var in btf.datasec_vars(maps)? {
///         println!("a map at offset {}", var.offset);
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct VarSecInfo {
    /// The `VAR`.
    pub ty: u32,
    /// Its offset in the section.
    pub offset: u32,
    /// Its size.
    pub size: u32,
}

impl Type {
    /// The kind.
    pub fn kind(&self) -> Kind {
        match self.data {
            TypeData::Void => Kind::Void,
            TypeData::Int { .. } => Kind::Int,
            TypeData::Ptr { .. } => Kind::Ptr,
            TypeData::Array { .. } => Kind::Array,
            TypeData::Struct { .. } => Kind::Struct,
            TypeData::Union { .. } => Kind::Union,
            TypeData::Enum { .. } => Kind::Enum,
            TypeData::Fwd { .. } => Kind::Fwd,
            TypeData::Typedef { .. } => Kind::Typedef,
            TypeData::Volatile { .. } => Kind::Volatile,
            TypeData::Const { .. } => Kind::Const,
            TypeData::Restrict { .. } => Kind::Restrict,
            TypeData::Func { .. } => Kind::Func,
            TypeData::FuncProto { .. } => Kind::FuncProto,
            TypeData::Var { .. } => Kind::Var,
            TypeData::Datasec { .. } => Kind::Datasec,
            TypeData::Float { .. } => Kind::Float,
            TypeData::DeclTag { .. } => Kind::DeclTag,
            TypeData::TypeTag { .. } => Kind::TypeTag,
            TypeData::Enum64 { .. } => Kind::Enum64,
        }
    }

    /// The type a modifier (typedef, `const`, `volatile`, `restrict`, type tag) applies to.
    pub fn modified(&self) -> Option<u32> {
        match self.data {
            TypeData::Typedef { ty }
            | TypeData::Volatile { ty }
            | TypeData::Const { ty }
            | TypeData::Restrict { ty }
            | TypeData::TypeTag { ty } => Some(ty),
            _ => None,
        }
    }

    /// Every type id this type refers to, with what refers to it.
    fn references(&self) -> Vec<(u32, &'static str)> {
        match &self.data {
            TypeData::Void
            | TypeData::Int { .. }
            | TypeData::Enum { .. }
            | TypeData::Fwd { .. }
            | TypeData::Float { .. }
            | TypeData::Enum64 { .. } => Vec::new(),
            TypeData::Ptr { ty } => vec![(*ty, "the pointee")],
            TypeData::Array { elem, index, .. } => {
                vec![(*elem, "the element type"), (*index, "the index type")]
            }
            TypeData::Struct { members, .. } | TypeData::Union { members, .. } => {
                members.iter().map(|m| (m.ty, "a member")).collect()
            }
            TypeData::Typedef { ty }
            | TypeData::Volatile { ty }
            | TypeData::Const { ty }
            | TypeData::Restrict { ty }
            | TypeData::TypeTag { ty } => vec![(*ty, "the modified type")],
            TypeData::Func { proto, .. } => vec![(*proto, "the prototype")],
            TypeData::FuncProto { ret, params } => {
                let mut refs = vec![(*ret, "the return type")];
                refs.extend(params.iter().map(|p| (p.ty, "a parameter")));
                refs
            }
            TypeData::Var { ty, .. } => vec![(*ty, "the variable's type")],
            TypeData::Datasec { vars, .. } => vars.iter().map(|v| (v.ty, "a variable")).collect(),
            TypeData::DeclTag { ty, .. } => vec![(*ty, "the tagged type")],
        }
    }
}

/// The header fields, checked.
struct Sections {
    types: core::ops::Range<usize>,
    strings: core::ops::Range<usize>,
}

fn header_error(detail: impl Into<String>) -> BtfError {
    BtfError::new(BtfErrorKind::Header, detail).at_offset(0)
}

/// The u32 at `pos`, if the blob holds it.
fn word(data: &[u8], pos: usize) -> Option<u32> {
    let bytes = data.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

fn read_header(data: &[u8]) -> Result<Sections, BtfError> {
    let len = data.len();
    if len < HEADER_LEN as usize {
        return Err(header_error(format!(
            "the blob is {len} bytes, shorter than the {HEADER_LEN}-byte header"
        )));
    }
    let magic = u16::from_ne_bytes([data[0], data[1]]);
    if magic == MAGIC.swap_bytes() {
        return Err(header_error(
            "the blob is BTF of the other byte order, which this reader does not convert",
        ));
    }
    if magic != MAGIC {
        return Err(header_error(format!("magic {magic:#06x} is not BTF's {MAGIC:#06x}")));
    }
    if data[2] != VERSION {
        return Err(header_error(format!("version {} is not {VERSION}, the only BTF version", data[2])));
    }
    // All four present: len >= 24 was checked.
    let [hdr_len, type_off, type_len, str_off, str_len] =
        [4, 8, 12, 16, 20].map(|pos| word(data, pos).unwrap_or(0));
    if hdr_len < HEADER_LEN || hdr_len as usize > len {
        return Err(header_error(format!(
            "hdr_len {hdr_len} is outside {HEADER_LEN}..={len} (the header's size to the blob's)"
        )));
    }
    let body = hdr_len as usize..len;
    let section = |name: &str, off: u32, size: u32| {
        let start = body.start + off as usize;
        match start.checked_add(size as usize) {
            Some(end) if end <= body.end => Ok(start..end),
            _ => Err(header_error(format!(
                "the {name} section ({size} bytes at offset {off} after the header) ends past the \
                 blob's {} bytes after the header",
                body.len()
            ))),
        }
    };
    let types = section("type", type_off, type_len)?;
    let strings = section("string", str_off, str_len)?;
    if !types.is_empty() && !strings.is_empty() && types.start < strings.end && strings.start < types.end {
        return Err(header_error(format!(
            "the type section (bytes {types:?}) and the string section (bytes {strings:?}) overlap"
        )));
    }
    // Ending with a NUL makes every offset in the section name a terminated string.
    match (data[strings.clone()].first(), data[strings.clone()].last()) {
        (None, _) => {
            return Err(header_error("the string section is empty; it must hold at least the empty name"));
        }
        (Some(0), Some(0)) => {}
        (Some(0), _) => {
            return Err(BtfError::new(BtfErrorKind::Strings, "the string section does not end with a NUL")
                .at_offset(strings.end - 1));
        }
        (Some(_), _) => {
            return Err(BtfError::new(
                BtfErrorKind::Strings,
                "the string section does not start with a NUL (the empty name)",
            )
            .at_offset(strings.start));
        }
    }
    Ok(Sections { types, strings })
}

/// Walks the type section, one record at a time.
struct TypeReader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    str_len: usize,
    /// The id of the type being read.
    id: u32,
    /// Where it starts.
    start: usize,
}

impl TypeReader<'_> {
    fn error(&self, kind: BtfErrorKind, detail: impl Into<String>) -> BtfError {
        BtfError::new(kind, detail).at_type(self.id).at_offset(self.start)
    }

    fn word(&mut self) -> u32 {
        // Every caller first checked with `need` that the words are there.
        let w = word(self.data, self.pos).unwrap_or(0);
        self.pos += 4;
        w
    }

    /// Checks that `bytes` more bytes of the record are in the section.
    fn need(&self, bytes: usize, what: &str) -> Result<(), BtfError> {
        let left = self.end - self.pos;
        if bytes > left {
            return Err(self.error(
                BtfErrorKind::Type,
                format!("{what} needs {bytes} bytes, but the type section has {left} left"),
            ));
        }
        Ok(())
    }

    fn name(&mut self, what: &str) -> Result<u32, BtfError> {
        let offset = self.word();
        if offset as usize >= self.str_len {
            return Err(self.error(
                BtfErrorKind::Strings,
                format!("{what} has name offset {offset}, past the {}-byte string section", self.str_len),
            ));
        }
        Ok(offset)
    }

    fn next(&mut self) -> Result<Type, BtfError> {
        self.start = self.pos;
        self.need(12, "a type header")?;
        let name_off = self.name("the type")?;
        let info = self.word();
        let size_or_type = self.word();
        let raw_kind = ((info >> 24) & 0x1f) as u8;
        let vlen = (info & 0xffff) as usize;
        let kind_flag = info >> 31 != 0;
        let Some(kind) = Kind::from_raw(raw_kind) else {
            return Err(self
                .error(BtfErrorKind::Type, format!("kind {raw_kind} is not a BTF kind this reader knows")));
        };
        let (per_item, fixed) = match kind {
            Kind::Int | Kind::Var | Kind::DeclTag => (0, 4),
            Kind::Array => (0, 12),
            Kind::Struct | Kind::Union | Kind::Datasec | Kind::Enum64 => (12, 0),
            Kind::Enum | Kind::FuncProto => (8, 0),
            _ => (0, 0),
        };
        let what = format!("{kind} with vlen {vlen}");
        self.need(fixed + per_item * vlen, &what)?;
        let data = match kind {
            Kind::Int => {
                let int = self.word();
                TypeData::Int {
                    size: size_or_type,
                    encoding: IntEncoding::from_raw(((int >> 24) & 0x0f) as u8),
                    bits: int as u8,
                    bit_offset: (int >> 16) as u8,
                }
            }
            Kind::Ptr => TypeData::Ptr { ty: size_or_type },
            Kind::Array => {
                let (elem, index, nr_elems) = (self.word(), self.word(), self.word());
                TypeData::Array { elem, index, nr_elems }
            }
            Kind::Struct | Kind::Union => {
                let mut members = Vec::with_capacity(vlen);
                for _ in 0..vlen {
                    let name_off = self.name("a member")?;
                    let ty = self.word();
                    let offset = self.word();
                    let (bit_offset, bitfield_size) =
                        if kind_flag { (offset & 0x00ff_ffff, (offset >> 24) as u8) } else { (offset, 0) };
                    members.push(BtfMember { name_off, ty, bit_offset, bitfield_size });
                }
                if kind == Kind::Struct {
                    TypeData::Struct { size: size_or_type, members }
                } else {
                    TypeData::Union { size: size_or_type, members }
                }
            }
            Kind::Enum => {
                let mut values = Vec::with_capacity(vlen);
                for _ in 0..vlen {
                    let name_off = self.name("an enum value")?;
                    let raw = self.word();
                    let value = if kind_flag { raw as i32 as i64 as u64 } else { raw as u64 };
                    values.push(EnumValue { name_off, value });
                }
                TypeData::Enum { size: size_or_type, signed: kind_flag, values }
            }
            Kind::Enum64 => {
                let mut values = Vec::with_capacity(vlen);
                for _ in 0..vlen {
                    let name_off = self.name("an enum value")?;
                    let (lo, hi) = (self.word(), self.word());
                    values.push(EnumValue { name_off, value: (hi as u64) << 32 | lo as u64 });
                }
                TypeData::Enum64 { size: size_or_type, signed: kind_flag, values }
            }
            Kind::Fwd => TypeData::Fwd { union: kind_flag },
            Kind::Typedef => TypeData::Typedef { ty: size_or_type },
            Kind::Volatile => TypeData::Volatile { ty: size_or_type },
            Kind::Const => TypeData::Const { ty: size_or_type },
            Kind::Restrict => TypeData::Restrict { ty: size_or_type },
            Kind::Func => TypeData::Func { proto: size_or_type, linkage: vlen as u16 },
            Kind::FuncProto => {
                let mut params = Vec::with_capacity(vlen);
                for _ in 0..vlen {
                    let name_off = self.name("a parameter")?;
                    params.push(Param { name_off, ty: self.word() });
                }
                TypeData::FuncProto { ret: size_or_type, params }
            }
            Kind::Var => TypeData::Var { ty: size_or_type, linkage: self.word() },
            Kind::Datasec => {
                let mut vars = Vec::with_capacity(vlen);
                for _ in 0..vlen {
                    let (ty, offset, size) = (self.word(), self.word(), self.word());
                    vars.push(VarSecInfo { ty, offset, size });
                }
                TypeData::Datasec { size: size_or_type, vars }
            }
            Kind::Float => TypeData::Float { size: size_or_type },
            Kind::DeclTag => TypeData::DeclTag { ty: size_or_type, component_idx: self.word() as i32 },
            Kind::TypeTag => TypeData::TypeTag { ty: size_or_type },
            Kind::Void => unreachable!("Kind::from_raw never returns Void"),
        };
        Ok(Type { name_off, data })
    }
}

impl Btf {
    /// Reads a blob: the header (magic `0xeB9F`, version 1, `hdr_len` of at least 24,
    /// sections inside the blob and apart, a string section that starts and ends with a
    /// NUL), then every type record of every kind up to `ENUM64`, checking that each fits in
    /// the type section, that each name offset is in the string section and that each type
    /// id referred to exists. Types are not otherwise validated (a query that meets a cycle
    /// or a type without a size returns an error then).
    ///
    /// The blob is in this machine's byte order: the kernel's (`BPF_OBJ_GET_INFO_BY_FD` on a
    /// BTF fd), or the `.BTF` section of an object built for this machine's BPF target
    /// (`-target bpf` picks the host's). A blob of the other byte order is refused.
    pub fn parse(data: &[u8]) -> Result<Btf, BtfError> {
        let sections = read_header(data)?;
        let strings = data[sections.strings].to_vec();
        let mut reader = TypeReader {
            data,
            pos: sections.types.start,
            end: sections.types.end,
            str_len: strings.len(),
            id: 1,
            start: sections.types.start,
        };
        let mut types = vec![Type { name_off: 0, data: TypeData::Void }];
        while reader.pos < reader.end {
            if reader.id > MAX_TYPE {
                return Err(
                    reader.error(BtfErrorKind::Type, format!("more than {MAX_TYPE} types, BTF's limit"))
                );
            }
            types.push(reader.next()?);
            reader.id += 1;
        }
        let btf = Btf { types, strings };
        btf.check_references()?;
        Ok(btf)
    }

    fn check_references(&self) -> Result<(), BtfError> {
        let last = self.types.len() - 1;
        for (id, t) in self.types.iter().enumerate() {
            for (target, what) in t.references() {
                if target as usize > last {
                    return Err(BtfError::new(
                        BtfErrorKind::NoSuchType,
                        format!("{what} refers to type {target}, but the last type is {last}"),
                    )
                    .at_type(id as u32));
                }
            }
        }
        Ok(())
    }

    /// Every type, indexed by id: `types()[0]` is `void`, `types()[1]` the first type written.
    pub fn types(&self) -> &[Type] {
        &self.types
    }

    /// The type with id `id` (0 is `void`).
    pub fn type_by_id(&self, id: u32) -> Result<&Type, BtfError> {
        self.types.get(id as usize).ok_or_else(|| {
            BtfError::new(
                BtfErrorKind::NoSuchType,
                format!("no type {id}: the blob's types are 0 to {}", self.types.len() - 1),
            )
        })
    }

    /// The name of type `id`: `""` for anonymous types and `void`.
    pub fn name(&self, id: u32) -> Result<&str, BtfError> {
        let t = self.type_by_id(id)?;
        self.str_at(t.name_off).map_err(|e| e.at_type(id))
    }

    /// The string at `offset` in the string section (a member's or value's `name_off`).
    pub fn str_at(&self, offset: u32) -> Result<&str, BtfError> {
        let tail = self.strings.get(offset as usize..).ok_or_else(|| {
            BtfError::new(
                BtfErrorKind::Strings,
                format!("name offset {offset} is past the {}-byte string section", self.strings.len()),
            )
        })?;
        // The section ends with a NUL (checked by `parse`), so there is one.
        let len = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        core::str::from_utf8(&tail[..len]).map_err(|e| {
            BtfError::new(BtfErrorKind::Strings, format!("the name at offset {offset} is not UTF-8: {e}"))
        })
    }

    /// Whether the string at `offset` is `name`, without reading further than `name`'s length.
    fn str_is(&self, offset: u32, name: &str) -> bool {
        let start = offset as usize;
        let end = start + name.len();
        self.strings.get(start..end) == Some(name.as_bytes()) && self.strings.get(end) == Some(&0)
    }

    /// The first type of `kind` named `name`.
    pub fn find_by_name(&self, kind: Kind, name: &str) -> Option<u32> {
        self.types.iter().position(|t| t.kind() == kind && self.str_is(t.name_off, name)).map(|id| id as u32)
    }

    /// The type `id` stands for, past typedefs, `const`, `volatile`, `restrict` and type tags;
    /// `id` itself when it is none of these. An error for a chain longer than
    /// [`MAX_DEPTH`](super::MAX_DEPTH) (a cycle).
    pub fn resolve(&self, id: u32) -> Result<u32, BtfError> {
        let mut current = id;
        for _ in 0..=MAX_DEPTH {
            match self.type_by_id(current)?.modified() {
                Some(next) => current = next,
                None => return Ok(current),
            }
        }
        Err(BtfError::new(
            BtfErrorKind::TooDeep,
            format!("more than {MAX_DEPTH} typedefs and qualifiers in a row (a cycle?)"),
        )
        .at_type(id))
    }

    /// The size of type `id` in bytes, as the kernel computes it (`btf_type_id_size`): an
    /// integer's, enum's, float's, struct's or union's own size, 8 for a pointer (BPF is
    /// 64-bit), elements × element size for an array, through modifiers and variables. An
    /// error for `void`, functions, forward declarations and tags, for a size that does not
    /// fit in u32, or for a chain of more than [`MAX_DEPTH`](super::MAX_DEPTH) types.
    pub fn size_of(&self, id: u32) -> Result<u32, BtfError> {
        let mut current = id;
        let mut elems: u32 = 1;
        for _ in 0..=MAX_DEPTH {
            let t = self.type_by_id(current)?;
            let size = match &t.data {
                TypeData::Int { size, .. }
                | TypeData::Struct { size, .. }
                | TypeData::Union { size, .. }
                | TypeData::Enum { size, .. }
                | TypeData::Enum64 { size, .. }
                | TypeData::Float { size }
                | TypeData::Datasec { size, .. } => *size,
                TypeData::Ptr { .. } => 8,
                TypeData::Array { elem, nr_elems, .. } => {
                    elems = elems.checked_mul(*nr_elems).ok_or_else(|| overflow(id))?;
                    current = *elem;
                    continue;
                }
                TypeData::Var { ty, .. } => {
                    current = *ty;
                    continue;
                }
                _ => match t.modified() {
                    Some(next) => {
                        current = next;
                        continue;
                    }
                    None => {
                        return Err(BtfError::new(BtfErrorKind::NoSize, format!("{} has no size", t.kind()))
                            .at_type(current));
                    }
                },
            };
            return size.checked_mul(elems).ok_or_else(|| overflow(id));
        }
        Err(BtfError::new(
            BtfErrorKind::TooDeep,
            format!("more than {MAX_DEPTH} arrays, typedefs and qualifiers in a row (a cycle?)"),
        )
        .at_type(id))
    }

    /// The number of elements of array `id` (through modifiers). libbpf's
    /// `__uint(max_entries, 1024)` is a member of type `PTR` → `ARRAY` with `nr_elems` 1024:
    /// read it as `btf.nr_elems(btf.pointee(member.ty)?)`.
    pub fn nr_elems(&self, id: u32) -> Result<u32, BtfError> {
        match self.type_by_id(self.resolve(id)?)?.data {
            TypeData::Array { nr_elems, .. } => Ok(nr_elems),
            _ => Err(self.wrong_kind(id, "an array")),
        }
    }

    /// The type pointer `id` (through modifiers) points to.
    pub fn pointee(&self, id: u32) -> Result<u32, BtfError> {
        match self.type_by_id(self.resolve(id)?)?.data {
            TypeData::Ptr { ty } => Ok(ty),
            _ => Err(self.wrong_kind(id, "a pointer")),
        }
    }

    /// The members of struct or union `id` (through modifiers).
    pub fn members(&self, id: u32) -> Result<&[BtfMember], BtfError> {
        match &self.type_by_id(self.resolve(id)?)?.data {
            TypeData::Struct { members, .. } | TypeData::Union { members, .. } => Ok(members),
            _ => Err(self.wrong_kind(id, "a struct or union")),
        }
    }

    /// The variables of `DATASEC` `id` (find `.maps` with
    /// `find_by_name(Kind::Datasec, ".maps")`).
    pub fn datasec_vars(&self, id: u32) -> Result<&[VarSecInfo], BtfError> {
        match &self.type_by_id(id)?.data {
            TypeData::Datasec { vars, .. } => Ok(vars),
            _ => Err(self.wrong_kind(id, "a DATASEC")),
        }
    }

    /// The type of `VAR` `id` (a map definition's anonymous struct, for a map in `.maps`).
    pub fn var_type(&self, id: u32) -> Result<u32, BtfError> {
        match self.type_by_id(id)?.data {
            TypeData::Var { ty, .. } => Ok(ty),
            _ => Err(self.wrong_kind(id, "a VAR")),
        }
    }

    fn wrong_kind(&self, id: u32, wanted: &str) -> BtfError {
        let found = self.type_by_id(id).map(|t| t.kind().name()).unwrap_or("?");
        BtfError::new(BtfErrorKind::WrongKind, format!("{found}, not {wanted}")).at_type(id)
    }
}

fn overflow(id: u32) -> BtfError {
    BtfError::new(BtfErrorKind::Overflow, "the size does not fit in u32").at_type(id)
}

#[cfg(test)]
mod tests {
    use super::super::desc::{F64, I16, Member, SPIN_LOCK, TypeDesc, U8, U64};
    use super::super::encode::BtfBuilder;
    use super::super::test_blob::RawBtf;
    use super::*;

    /// `.BTF` of `testdata/maps.bpf.c`, built by clang 14.
    const MAPS: &[u8] = include_bytes!("testdata/maps.btf");

    #[test]
    fn reads_clang_output() {
        let btf = Btf::parse(MAPS).unwrap();
        assert_eq!(btf.types().len(), 54, "void and the 53 types bpftool lists");
        let maps = btf.find_by_name(Kind::Datasec, ".maps").unwrap();
        let vars = btf.datasec_vars(maps).unwrap();
        let names: Vec<&str> = vars.iter().map(|v| btf.name(v.ty).unwrap()).collect();
        assert_eq!(names, ["flows", "inner_map", "outer"]);

        // `flows`: __uint(type, BPF_MAP_TYPE_HASH), __uint(max_entries, 1024), __uint(map_flags, 1).
        let def = btf.var_type(vars[0].ty).unwrap();
        let field = |name: &str| {
            let m =
                btf.members(def).unwrap().iter().find(|m| btf.str_at(m.name_off).unwrap() == name).unwrap();
            m.ty
        };
        assert_eq!(btf.nr_elems(btf.pointee(field("type")).unwrap()), Ok(1));
        assert_eq!(btf.nr_elems(btf.pointee(field("max_entries")).unwrap()), Ok(1024));
        assert_eq!(btf.nr_elems(btf.pointee(field("map_flags")).unwrap()), Ok(1));
        let key = btf.pointee(field("key")).unwrap();
        assert_eq!(btf.name(key), Ok("flow_key"));
        assert_eq!(btf.size_of(key), Ok(12));
        let value = btf.pointee(field("value")).unwrap();
        assert_eq!(btf.size_of(value), Ok(40));

        // Bitfields (the kind flag), const volatile, float, enum.
        let members = btf.members(value).unwrap();
        assert_eq!((members[1].bit_offset, members[1].bitfield_size), (32, 3));
        assert_eq!((members[2].bit_offset, members[2].bitfield_size), (35, 5));
        let bytes = members[4].ty;
        assert_eq!(btf.type_by_id(bytes).unwrap().kind(), Kind::Const);
        assert_eq!(btf.name(btf.resolve(bytes).unwrap()), Ok("unsigned long long"));
        assert_eq!(btf.size_of(bytes), Ok(8));
        assert_eq!(btf.type_by_id(members[6].ty).unwrap().data, TypeData::Float { size: 4 });
        let TypeData::Enum { values, signed: false, .. } = &btf.type_by_id(members[7].ty).unwrap().data
        else {
            panic!("not an enum")
        };
        assert_eq!(values.iter().map(|v| v.value).collect::<Vec<_>>(), [1, 0xffff_ffff]);

        // `outer`: __array(values, struct inner) is an ARRAY of 0 PTRs to `struct inner`.
        let outer = btf.var_type(vars[2].ty).unwrap();
        let values = btf.members(outer).unwrap()[3].ty;
        assert_eq!(btf.nr_elems(values), Ok(0));
        let TypeData::Array { elem, .. } = btf.type_by_id(values).unwrap().data else { panic!() };
        assert_eq!(btf.name(btf.pointee(elem).unwrap()), Ok("inner"));

        // The function and its prototype.
        let func = btf.find_by_name(Kind::Func, "count").unwrap();
        let TypeData::Func { proto, linkage: 1 } = btf.type_by_id(func).unwrap().data else { panic!() };
        assert!(
            matches!(&btf.type_by_id(proto).unwrap().data, TypeData::FuncProto { params, .. } if params.len() == 1)
        );
        assert_eq!(btf.size_of(func).unwrap_err().kind(), BtfErrorKind::NoSize);
    }

    #[test]
    fn round_trips_encoded_descriptions() {
        static VALUE: TypeDesc = TypeDesc::Struct {
            name: "Value",
            size: 32,
            members: &[
                Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
                Member { name: "delta", offset: 4, ty: &I16 },
                Member { name: "flags", offset: 6, ty: &TypeDesc::Array { elem: &U8, len: 2 } },
                Member { name: "mean", offset: 8, ty: &F64 },
                Member { name: "id", offset: 16, ty: &TypeDesc::Typedef { name: "Id", ty: &U64 } },
                Member { name: "raw", offset: 24, ty: &TypeDesc::Opaque { size: 8 } },
            ],
        };
        let mut b = BtfBuilder::new();
        let id = b.add(&VALUE).unwrap();
        let btf = Btf::parse(&b.finish()).unwrap();
        assert_eq!(btf.name(id), Ok("Value"));
        assert_eq!(btf.size_of(id), Ok(32));
        let members = btf.members(id).unwrap();
        let names: Vec<&str> = members.iter().map(|m| btf.str_at(m.name_off).unwrap()).collect();
        assert_eq!(names, ["lock", "delta", "flags", "mean", "id", "raw"]);
        assert_eq!(members.iter().map(|m| m.bit_offset).collect::<Vec<_>>(), [0, 32, 48, 64, 128, 192]);
        let lock = members[0].ty;
        assert_eq!(btf.find_by_name(Kind::Struct, "bpf_spin_lock"), Some(lock));
        assert_eq!(btf.size_of(lock), Ok(4));
        let TypeData::Int { size: 2, encoding: IntEncoding::Signed, bits: 16, bit_offset: 0 } =
            btf.type_by_id(members[1].ty).unwrap().data
        else {
            panic!("i16")
        };
        assert_eq!(btf.nr_elems(members[2].ty), Ok(2));
        assert_eq!(btf.type_by_id(members[4].ty).unwrap().kind(), Kind::Typedef);
        assert_eq!(btf.name(btf.resolve(members[4].ty).unwrap()), Ok("u64"));
        assert_eq!(btf.nr_elems(members[5].ty), Ok(8));
    }

    fn err(data: &[u8]) -> String {
        Btf::parse(data).unwrap_err().to_string()
    }

    #[test]
    fn refuses_bad_headers_with_reasons() {
        let good = RawBtf::new().int("u32", 4, 0).finish();
        assert!(Btf::parse(&good).is_ok());
        assert_eq!(err(&good[..10]), "BTF at byte 0: the blob is 10 bytes, shorter than the 24-byte header");
        let mut bad = good.clone();
        bad[0] = 0;
        assert_eq!(err(&bad), "BTF at byte 0: magic 0xeb00 is not BTF's 0xeb9f");
        bad = good.clone();
        bad.swap(0, 1);
        assert!(err(&bad).contains("other byte order"));
        bad = good.clone();
        bad[2] = 2;
        assert!(err(&bad).contains("version 2"));
        bad = good.clone();
        bad[4] = 20;
        assert!(err(&bad).contains("hdr_len 20"));
        bad = good.clone();
        bad[4..8].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(err(&bad).contains("hdr_len 1000"));
        // type_len past the end
        bad = good.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(err(&bad).contains("the type section (4294967295 bytes at offset 0"), "{}", err(&bad));
        // str_off inside the type section
        bad = good.clone();
        bad[16..20].copy_from_slice(&4u32.to_ne_bytes());
        assert!(err(&bad).contains("overlap"), "{}", err(&bad));
        // an empty string section
        bad = good.clone();
        bad[20..24].copy_from_slice(&0u32.to_ne_bytes());
        assert!(err(&bad).contains("string section is empty"));
        // not starting with NUL: point it one byte later
        bad = good.clone();
        bad[16..20].copy_from_slice(&17u32.to_ne_bytes());
        bad[20..24].copy_from_slice(&4u32.to_ne_bytes());
        assert!(err(&bad).contains("does not start with a NUL"), "{}", err(&bad));
        // not ending with NUL
        bad = good.clone();
        *bad.last_mut().unwrap() = b'x';
        assert!(err(&bad).contains("does not end with a NUL"));
    }

    #[test]
    fn refuses_bad_types_with_their_id_and_offset() {
        // A struct whose vlen runs past the section.
        let blob = RawBtf::new().int("u32", 4, 0).raw_type(0, 4 << 24 | 3, 12, &[0, 1, 0]).finish();
        assert_eq!(
            err(&blob),
            "BTF type [2] at byte 40: STRUCT with vlen 3 needs 36 bytes, but the type section has 12 left"
        );
        // An unknown kind.
        let blob = RawBtf::new().raw_type(0, 25 << 24, 0, &[]).finish();
        assert_eq!(err(&blob), "BTF type [1] at byte 24: kind 25 is not a BTF kind this reader knows");
        // A truncated header: 2 bytes after the INT.
        let good = RawBtf::new().int("u32", 4, 0).finish();
        let mut blob = [&good[..40], &[0, 0], &good[40..]].concat();
        blob[12..16].copy_from_slice(&18u32.to_ne_bytes());
        blob[16..20].copy_from_slice(&18u32.to_ne_bytes());
        assert_eq!(
            err(&blob),
            "BTF type [2] at byte 40: a type header needs 12 bytes, but the type section has 2 left"
        );
        // A name past the strings.
        let blob = RawBtf::new().raw_type(999, 1 << 24, 4, &[32]).finish();
        assert!(err(&blob).contains("type [1] at byte 24: the type has name offset 999"), "{}", err(&blob));
        // A reference past the last type.
        let blob = RawBtf::new().raw_type(0, 2 << 24, 7, &[]).finish();
        assert_eq!(err(&blob), "BTF type [1]: the pointee refers to type 7, but the last type is 1");
    }

    #[test]
    fn queries_end_on_cycles() {
        // [1] TYPEDEF -> [2] CONST -> [1]; [3] PTR -> [3]; [4] ARRAY of 1 [4]; [5] ARRAY of 3 [5].
        let blob = RawBtf::new()
            .raw_type(0, 8 << 24, 2, &[])
            .raw_type(0, 10 << 24, 1, &[])
            .raw_type(0, 2 << 24, 3, &[])
            .raw_type(0, 3 << 24, 0, &[4, 4, 1])
            .raw_type(0, 3 << 24, 0, &[5, 5, 3])
            .finish();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.resolve(1).unwrap_err().kind(), BtfErrorKind::TooDeep);
        assert_eq!(btf.size_of(1).unwrap_err().kind(), BtfErrorKind::TooDeep);
        assert_eq!(btf.size_of(3), Ok(8), "a pointer's size needs no pointee");
        assert_eq!(btf.resolve(3), Ok(3));
        assert_eq!(btf.size_of(4).unwrap_err().kind(), BtfErrorKind::TooDeep);
        assert_eq!(btf.size_of(5).unwrap_err().kind(), BtfErrorKind::Overflow, "3^21 elements");
        assert_eq!(btf.nr_elems(4), Ok(1));
        assert_eq!(btf.nr_elems(1).unwrap_err().kind(), BtfErrorKind::TooDeep);
    }

    #[test]
    fn sizes_follow_the_kernel() {
        let blob = RawBtf::new()
            .int("u32", 4, 0) // [1]
            .raw_type(0, 3 << 24, 0, &[1, 1, 1 << 20]) // [2] u32[1 << 20]
            .raw_type(0, 3 << 24, 0, &[2, 1, 1 << 20]) // [3] [2][1 << 20]: 2^42 bytes
            .raw_type(0, 3 << 24, 0, &[1, 1, 0]) // [4] u32[0]
            .raw_type(0, 14 << 24, 2, &[1]) // [5] VAR of [2]
            .finish();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.size_of(2), Ok(4 << 20));
        assert_eq!(btf.size_of(3).unwrap_err().kind(), BtfErrorKind::Overflow);
        assert_eq!(btf.size_of(4), Ok(0));
        assert_eq!(btf.size_of(5), Ok(4 << 20));
        assert_eq!(btf.size_of(0).unwrap_err().kind(), BtfErrorKind::NoSize);
        assert_eq!(btf.size_of(9).unwrap_err().kind(), BtfErrorKind::NoSuchType);
        assert_eq!(btf.name(0), Ok(""));
        assert_eq!(btf.members(1).unwrap_err().to_string(), "BTF type [1]: INT, not a struct or union");
    }

    #[test]
    fn names_that_are_not_utf8_are_errors_when_read() {
        let blob = RawBtf::new().int("caf\u{e9}", 4, 0).finish();
        let mut blob = blob;
        let at = blob.len() - 3; // the second byte of 'é'
        blob[at] = 0xff;
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.name(1).unwrap_err().kind(), BtfErrorKind::Strings);
        assert_eq!(btf.find_by_name(Kind::Int, "caf"), None);
    }

    #[test]
    fn find_by_name_matches_whole_names() {
        let blob = RawBtf::new().int("u32", 4, 0).int("u3", 4, 0).finish();
        let btf = Btf::parse(&blob).unwrap();
        assert_eq!(btf.find_by_name(Kind::Int, "u3"), Some(2));
        assert_eq!(btf.find_by_name(Kind::Int, "u32"), Some(1));
        assert_eq!(btf.find_by_name(Kind::Struct, "u32"), None);
        assert_eq!(btf.find_by_name(Kind::Int, ""), None, "void is not an INT");
    }

    #[test]
    fn every_kind_parses() {
        let blob = RawBtf::new()
            .int("int", 4, INT_SIGNED as u32) // [1]
            .raw_type(0, 2 << 24, 1, &[]) // [2] PTR
            .raw_type(0, 3 << 24, 0, &[1, 1, 4]) // [3] ARRAY
            .raw_type(1, 1 << 31 | 4 << 24 | 1, 4, &[1, 1, 3 << 24 | 5]) // [4] STRUCT, bitfield
            .raw_type(0, 5 << 24 | 1, 4, &[1, 1, 0]) // [5] UNION
            .raw_type(1, 1 << 31 | 6 << 24 | 1, 4, &[1, (-2i32) as u32]) // [6] ENUM, signed
            .raw_type(1, 1 << 31 | 7 << 24, 0, &[]) // [7] FWD union
            .raw_type(1, 8 << 24, 1, &[]) // [8] TYPEDEF
            .raw_type(0, 9 << 24, 1, &[]) // [9] VOLATILE
            .raw_type(0, 10 << 24, 1, &[]) // [10] CONST
            .raw_type(0, 11 << 24, 2, &[]) // [11] RESTRICT
            .raw_type(1, 12 << 24 | 1, 13, &[]) // [12] FUNC, global
            .raw_type(0, 13 << 24 | 2, 1, &[1, 1, 0, 0]) // [13] FUNC_PROTO (int, ...)
            .raw_type(1, 14 << 24, 1, &[1]) // [14] VAR
            .raw_type(1, 15 << 24 | 1, 4, &[14, 0, 4]) // [15] DATASEC
            .raw_type(1, 16 << 24, 8, &[]) // [16] FLOAT
            .raw_type(1, 17 << 24, 4, &[u32::MAX]) // [17] DECL_TAG on the struct
            .raw_type(1, 18 << 24, 4, &[]) // [18] TYPE_TAG
            .raw_type(1, 19 << 24 | 1, 8, &[1, 5, 1]) // [19] ENUM64
            .finish();
        let btf = Btf::parse(&blob).unwrap();
        let kinds: Vec<u8> = btf.types().iter().map(|t| t.kind().raw()).collect();
        assert_eq!(kinds, (0..=19).collect::<Vec<u8>>());
        assert_eq!(
            btf.types()[4].data,
            TypeData::Struct {
                size: 4,
                members: vec![BtfMember { name_off: 1, ty: 1, bit_offset: 5, bitfield_size: 3 }]
            }
        );
        assert_eq!(
            btf.types()[6].data,
            TypeData::Enum {
                size: 4,
                signed: true,
                values: vec![EnumValue { name_off: 1, value: -2i64 as u64 }]
            }
        );
        assert_eq!(btf.types()[7].data, TypeData::Fwd { union: true });
        assert_eq!(btf.types()[17].data, TypeData::DeclTag { ty: 4, component_idx: -1 });
        assert_eq!(
            btf.types()[19].data,
            TypeData::Enum64 {
                size: 8,
                signed: false,
                values: vec![EnumValue { name_off: 1, value: 1 << 32 | 5 }]
            }
        );
        assert_eq!(btf.size_of(11), Ok(8), "restrict of a pointer");
        assert_eq!(btf.size_of(14), Ok(4));
        assert_eq!(btf.size_of(15), Ok(4));
        assert_eq!(btf.size_of(18), Ok(4));
        assert_eq!(btf.datasec_vars(15).unwrap(), [VarSecInfo { ty: 14, offset: 0, size: 4 }]);
        assert_eq!(btf.var_type(14), Ok(1));
        assert_eq!(btf.resolve(18), Ok(4));
        assert_eq!(btf.pointee(11), Ok(1));
    }

    #[test]
    fn an_empty_type_section_is_read() {
        let blob = RawBtf::new().finish();
        assert_eq!(Btf::parse(&blob).unwrap().types().len(), 1);
    }
}
