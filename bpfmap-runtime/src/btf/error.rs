//! Why a description cannot be encoded ([`EncodeError`]), and why a blob cannot be read or
//! answer a query ([`BtfError`]).

use core::fmt;

use super::kind::{MAX_DEPTH, MAX_NAME_OFFSET, MAX_TYPE};

/// Why [`BtfBuilder::add`](super::BtfBuilder::add) (or [`TypeDesc::check`](super::TypeDesc::check),
/// its compile-time counterpart) refuses a description: the kernel's `BPF_BTF_LOAD` would
/// refuse the blob, or BTF cannot express it.
///
/// Built in `const fn`s, so it holds only `'static` names and numbers. [`summary`] is a fixed
/// text for a compile-time panic; `Display` gives the details.
///
/// [`summary`]: EncodeError::summary
///
/// ```
/// use bpfmap::btf::{BtfBuilder, Member, TypeDesc, U32};
///
/// const BAD: TypeDesc = TypeDesc::Struct {
///     name: "not an identifier",
///     size: 4,
///     members: &[Member { name: "x", offset: 0, ty: &U32 }],
/// };
/// let err = BtfBuilder::new().add(&BAD).unwrap_err();
/// println!("{}: {err}", err.summary());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// A struct, member or typedef name that is not a C identifier of at most
    /// [`MAX_NAME_LEN`](super::MAX_NAME_LEN) bytes, or an integer or float name holding a NUL.
    InvalidName {
        /// The name.
        name: &'static str,
        /// What it names: `"struct"`, `"member"`, `"typedef"`, `"integer"`, `"float"`.
        what: &'static str,
    },
    /// A struct named as a kernel type that has a meaning in map values (`bpf_timer`, ...).
    ReservedName {
        /// The name.
        name: &'static str,
    },
    /// An integer of a size the kernel has no integer for (not 1, 2, 4, 8 or 16 bytes).
    IntSize {
        /// The integer's name.
        name: &'static str,
        /// Its size in bytes.
        size: u32,
    },
    /// A float of a size the kernel refuses (not 2, 4, 8, 12 or 16 bytes).
    FloatSize {
        /// The float's name.
        name: &'static str,
        /// Its size in bytes.
        size: u32,
    },
    /// An array whose size in bytes does not fit the u32 BTF sizes are.
    ArrayTooLarge {
        /// Its length.
        len: u32,
        /// The size of one element.
        elem_size: u32,
    },
    /// A member that ends past its struct's size.
    MemberOutside {
        /// The struct.
        strukt: &'static str,
        /// The member.
        member: &'static str,
        /// Its byte offset.
        offset: u32,
        /// Its size.
        size: u32,
        /// The struct's size.
        struct_size: u32,
    },
    /// A member that starts before the previous member ends (members must be in declaration
    /// order and must not overlap).
    MemberOverlap {
        /// The struct.
        strukt: &'static str,
        /// The member.
        member: &'static str,
        /// Its byte offset.
        offset: u32,
        /// Where the previous member ends.
        previous_end: u32,
    },
    /// A member that starts past 512 MiB: BTF stores member offsets in bits, in a u32.
    OffsetTooLarge {
        /// The struct.
        strukt: &'static str,
        /// The member.
        member: &'static str,
        /// Its byte offset.
        offset: u32,
    },
    /// A float member not aligned to its size (at most 8), which the kernel refuses.
    MisalignedFloat {
        /// The struct.
        strukt: &'static str,
        /// The member.
        member: &'static str,
        /// Its byte offset.
        offset: u32,
    },
    /// A struct with more members than BTF counts (65535).
    TooManyMembers {
        /// The struct.
        strukt: &'static str,
        /// How many members it has.
        count: usize,
    },
    /// A description nested more than [`MAX_DEPTH`](super::MAX_DEPTH) types deep, or one that
    /// refers to itself.
    TooDeep,
    /// More types than a blob may hold (`BTF_MAX_TYPE`, about a million).
    TooManyTypes,
    /// Names longer in total than the string section may be (`BTF_MAX_NAME_OFFSET`, 16 MiB).
    TooManyNames,
}

impl EncodeError {
    /// A fixed text for the kind of mistake, for a compile-time panic
    /// (`panic!("{}", e.summary())` works in `const` context, where `Display` does not).
    pub const fn summary(&self) -> &'static str {
        match self {
            EncodeError::ReservedName { .. } => {
                "the name is a kernel type with a meaning in map values (bpf_spin_lock, bpf_timer, ...): use bpfmap::SpinLock for a lock, or rename the struct"
            }
            EncodeError::InvalidName { .. } => "a name is not a C identifier, which BTF requires",
            EncodeError::IntSize { .. } => "an integer is not 1, 2, 4, 8 or 16 bytes",
            EncodeError::FloatSize { .. } => "a float is not 2, 4, 8, 12 or 16 bytes",
            EncodeError::ArrayTooLarge { .. } => "an array is larger than 4 GiB, the most BTF describes",
            EncodeError::MemberOutside { .. } => "a member ends past the end of its struct",
            EncodeError::MemberOverlap { .. } => "a member starts before the previous member ends",
            EncodeError::OffsetTooLarge { .. } => "a member starts past 512 MiB, beyond BTF's bit offsets",
            EncodeError::MisalignedFloat { .. } => "a float member is not aligned to its size",
            EncodeError::TooManyMembers { .. } => "a struct has more than 65535 members",
            EncodeError::TooDeep => "a type nests more than 32 types deep (or refers to itself)",
            EncodeError::TooManyTypes => "more types than a BTF blob may hold",
            EncodeError::TooManyNames => "the names exceed the 16 MiB a BTF string section may hold",
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeError::ReservedName { name } => write!(
                f,
                "struct name {name:?} is a kernel type with a meaning in map values: the kernel would take the \
                 struct for its own; use bpfmap::SpinLock for a lock, or rename the struct"
            ),
            EncodeError::InvalidName { name, what } => write!(
                f,
                "{what} name {name:?} is not a C identifier (ASCII letters, digits and `_`, not \
                 starting with a digit, at most {} bytes), which the kernel requires in BTF",
                super::MAX_NAME_LEN
            ),
            EncodeError::IntSize { name, size } => {
                write!(f, "integer `{name}` is {size} bytes; BTF integers are 1, 2, 4, 8 or 16 bytes")
            }
            EncodeError::FloatSize { name, size } => {
                write!(
                    f,
                    "float `{name}` is {size} bytes; the kernel accepts floats of 2, 4, 8, 12 or 16 bytes"
                )
            }
            EncodeError::ArrayTooLarge { len, elem_size } => write!(
                f,
                "an array of {len} elements of {elem_size} bytes is larger than 4 GiB, the most BTF describes"
            ),
            EncodeError::MemberOutside { strukt, member, offset, size, struct_size } => write!(
                f,
                "member `{member}` of `{strukt}` ({size} bytes at offset {offset}) ends past the \
                 struct's {struct_size} bytes"
            ),
            EncodeError::MemberOverlap { strukt, member, offset, previous_end } => write!(
                f,
                "member `{member}` of `{strukt}` starts at offset {offset}, before the previous member \
                 ends at {previous_end}; members must be in order and must not overlap"
            ),
            EncodeError::OffsetTooLarge { strukt, member, offset } => write!(
                f,
                "member `{member}` of `{strukt}` starts at byte {offset}; BTF stores member offsets in \
                 bits in a u32, so no member can start past 512 MiB"
            ),
            EncodeError::MisalignedFloat { strukt, member, offset } => write!(
                f,
                "float member `{member}` of `{strukt}` is at offset {offset}, not a multiple of its \
                 alignment (its size, at most 8), which the kernel refuses"
            ),
            EncodeError::TooManyMembers { strukt, count } => {
                write!(f, "`{strukt}` has {count} members; BTF counts at most 65535")
            }
            EncodeError::TooDeep => write!(
                f,
                "the type nests more than {MAX_DEPTH} types deep, the kernel's limit (or it refers to itself)"
            ),
            EncodeError::TooManyTypes => write!(f, "more than {MAX_TYPE} types, the most a BTF blob holds"),
            EncodeError::TooManyNames => {
                write!(f, "the names exceed {MAX_NAME_OFFSET} bytes, the most a BTF string section holds")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// What went wrong reading a BTF blob or answering a query about it.
///
/// ```
/// use bpfmap::btf::{Btf, BtfErrorKind};
///
/// let err = Btf::parse(&[0x9f, 0xeb, 1, 0]).unwrap_err();   // a magic, then nothing
/// assert_eq!(err.kind(), BtfErrorKind::Header);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BtfErrorKind {
    /// The header: magic, version, lengths, section bounds.
    Header,
    /// The string section, or a name offset into it.
    Strings,
    /// A type record: truncated, of an unknown kind, or too many.
    Type,
    /// A type id that is not in the blob.
    NoSuchType,
    /// A chain of types longer than [`MAX_DEPTH`](super::MAX_DEPTH): a cycle, or nesting
    /// deeper than the kernel follows.
    TooDeep,
    /// A type of another kind than the query needs (`nr_elems` of a struct).
    WrongKind,
    /// A type without a size (`void`, a function, a forward declaration).
    NoSize,
    /// A size that does not fit in u32.
    Overflow,
}

/// Why [`Btf::parse`](super::Btf::parse) refused a blob, or a query on a parsed blob failed:
/// what was wrong, and where (byte offset in the blob, type id).
///
/// ```
/// use bpfmap::btf::{Btf, BtfBuilder, BtfErrorKind, U64};
///
/// let mut builder = BtfBuilder::new();
/// let id = builder.add(&U64)?;
/// let btf = Btf::parse(&builder.finish())?;
/// let err = btf.type_by_id(id + 100).unwrap_err();
/// assert_eq!(err.kind(), BtfErrorKind::NoSuchType);
/// println!("{err}");                      // names the type id
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfError {
    kind: BtfErrorKind,
    type_id: Option<u32>,
    offset: Option<usize>,
    detail: String,
}

impl BtfError {
    pub(crate) fn new(kind: BtfErrorKind, detail: impl Into<String>) -> BtfError {
        BtfError { kind, type_id: None, offset: None, detail: detail.into() }
    }

    pub(crate) fn at_type(mut self, id: u32) -> BtfError {
        self.type_id = Some(id);
        self
    }

    pub(crate) fn at_offset(mut self, offset: usize) -> BtfError {
        self.offset = Some(offset);
        self
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> BtfErrorKind {
        self.kind
    }

    /// The id of the type it concerns, if one.
    pub fn type_id(&self) -> Option<u32> {
        self.type_id
    }

    /// The byte offset in the blob where it was found, if parsing.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}

/// `BTF type [3] at byte 84: ...`, the parts that are known.
impl fmt::Display for BtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BTF")?;
        if let Some(id) = self.type_id {
            write!(f, " type [{id}]")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for BtfError {}
