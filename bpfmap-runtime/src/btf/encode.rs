//! [`BtfBuilder`]: writes [`TypeDesc`] graphs as one BTF blob the kernel's `BPF_BTF_LOAD`
//! accepts, each distinct type once.

use std::collections::HashMap;

use super::desc::{TypeDesc, U8, U32, check_node};
use super::error::EncodeError;
use super::kind::{HEADER_LEN, INT_SIGNED, Kind, MAGIC, MAX_DEPTH, MAX_NAME_OFFSET, MAX_TYPE, VERSION};

/// Writes descriptions as BTF: [`add`](BtfBuilder::add) each type a map uses (keys, values),
/// keep the ids it returns, and [`finish`](BtfBuilder::finish) into the blob to load.
///
/// - Ids start at 1 (0 is `void`) and follow the order types are first added, children
///   before the types that use them.
/// - Types are deduplicated by structure: the same struct used by ten maps, or described
///   twice by equal descriptions, is written once; `u32` once, whatever uses it.
/// - Integers are `INT`s named as in Rust (`u32`), signed or not; `u8` is a plain unsigned
///   integer, not C's `char`. Floats are `FLOAT`s (Linux 5.13 and later). Arrays are
///   `ARRAY`s indexed by `u32` (clang writes `__ARRAY_SIZE_TYPE__`; any 4-byte unsigned
///   integer does). [`TypeDesc::Opaque`] is an array of `u8`. Member offsets are in bits.
/// - Every description is checked as [`TypeDesc::check`] does; a failed [`add`] leaves the
///   builder as it was.
///
/// ```
/// use bpfmap::btf::{Btf, BtfBuilder, Member, TypeDesc, U16, U32, U64};
///
/// static FLOW_KEY: TypeDesc = TypeDesc::Struct {
///     name: "FlowKey",
///     size: 12,
///     members: &[
///         Member { name: "saddr", offset: 0, ty: &U32 },
///         Member { name: "daddr", offset: 4, ty: &U32 },
///         Member { name: "sport", offset: 8, ty: &U16 },
///         Member { name: "dport", offset: 10, ty: &U16 },
///     ],
/// };
///
/// let mut builder = BtfBuilder::new();
/// let key = builder.add(&FLOW_KEY)?;
/// let value = builder.add(&U64)?;
/// assert_eq!(builder.add(&FLOW_KEY)?, key, "written once");
/// let blob = builder.finish();
///
/// let btf = Btf::parse(&blob)?;
/// assert_eq!(btf.name(key)?, "FlowKey");
/// assert_eq!(btf.size_of(value)?, 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`add`]: BtfBuilder::add
#[derive(Debug, Clone)]
pub struct BtfBuilder {
    /// The type section so far.
    types: Vec<u8>,
    /// How many types it holds: the id of the last one.
    count: u32,
    /// The string section so far, starting with the empty name.
    strings: Vec<u8>,
    string_offsets: HashMap<&'static str, u32>,
    /// Each written record (with its children's ids) and its id: structural deduplication.
    by_record: HashMap<Vec<u8>, u32>,
    /// Descriptions already written, by address: a shortcut past re-encoding shared types.
    by_address: HashMap<usize, u32>,
}

/// Where the builder stood before an `add`, to undo a failed one.
struct Mark {
    count: u32,
    types: usize,
    strings: usize,
}

impl Default for BtfBuilder {
    fn default() -> BtfBuilder {
        BtfBuilder::new()
    }
}

impl BtfBuilder {
    /// An empty builder.
    pub fn new() -> BtfBuilder {
        BtfBuilder {
            types: Vec::new(),
            count: 0,
            strings: vec![0],
            string_offsets: HashMap::new(),
            by_record: HashMap::new(),
            by_address: HashMap::new(),
        }
    }

    /// Writes `desc` and every type it uses (each only if not yet written) and returns its
    /// type id, or why the kernel would refuse it; then nothing is written.
    pub fn add(&mut self, desc: &'static TypeDesc) -> Result<u32, EncodeError> {
        let mark = Mark { count: self.count, types: self.types.len(), strings: self.strings.len() };
        let added = self.encode(desc, 0);
        if added.is_err() {
            self.rollback(&mark);
        }
        added
    }

    /// How many types have been written (the largest id).
    pub fn type_count(&self) -> u32 {
        self.count
    }

    /// The blob: header, type section, string section.
    pub fn finish(self) -> Vec<u8> {
        let type_len = self.types.len() as u32;
        let str_len = self.strings.len() as u32;
        let mut blob = Vec::with_capacity(HEADER_LEN as usize + self.types.len() + self.strings.len());
        blob.extend_from_slice(&MAGIC.to_ne_bytes());
        blob.push(VERSION);
        blob.push(0); // flags
        for field in [HEADER_LEN, 0, type_len, type_len, str_len] {
            blob.extend_from_slice(&field.to_ne_bytes());
        }
        blob.extend_from_slice(&self.types);
        blob.extend_from_slice(&self.strings);
        blob
    }

    fn rollback(&mut self, mark: &Mark) {
        self.count = mark.count;
        self.types.truncate(mark.types);
        self.strings.truncate(mark.strings);
        let (count, strings) = (mark.count, mark.strings as u32);
        self.by_record.retain(|_, id| *id <= count);
        self.by_address.retain(|_, id| *id <= count);
        self.string_offsets.retain(|_, offset| *offset < strings);
    }

    /// Children first, so that a record refers to ids that exist and the kernel's resolver
    /// meets every type after the ones it needs (its resolver stack then stays shallow).
    fn encode(&mut self, desc: &'static TypeDesc, depth: u32) -> Result<u32, EncodeError> {
        if depth >= MAX_DEPTH {
            return Err(EncodeError::TooDeep);
        }
        let address = desc as *const TypeDesc as usize;
        if let Some(&id) = self.by_address.get(&address) {
            return Ok(id);
        }
        let record = match *desc {
            TypeDesc::Int { name, size, signed } => {
                check_node(desc)?;
                let encoding = if signed { INT_SIGNED } else { 0 };
                let mut r = self.head(name, Kind::Int, 0, size)?;
                push(&mut r, ((encoding as u32) << 24) | (size * 8));
                r
            }
            TypeDesc::Float { name, size } => {
                check_node(desc)?;
                self.head(name, Kind::Float, 0, size)?
            }
            TypeDesc::Array { elem, len } => {
                let elem = self.encode(elem, depth + 1)?;
                check_node(desc)?;
                self.array(elem, len, depth)?
            }
            TypeDesc::Opaque { size } => {
                let elem = self.encode(&U8, depth + 1)?;
                self.array(elem, size, depth)?
            }
            TypeDesc::Typedef { name, ty } => {
                let ty = self.encode(ty, depth + 1)?;
                check_node(desc)?;
                self.head(name, Kind::Typedef, 0, ty)?
            }
            TypeDesc::Struct { name, size, members } => {
                let mut ids = Vec::with_capacity(members.len());
                for m in members {
                    ids.push(self.encode(m.ty, depth + 1)?);
                }
                check_node(desc)?;
                // `check_node` bounded the member count to 16 bits and each offset to fit in bits.
                let mut r = self.head(name, Kind::Struct, members.len() as u32, size)?;
                for (m, id) in members.iter().zip(ids) {
                    let name = self.string(m.name)?;
                    push(&mut r, name);
                    push(&mut r, id);
                    push(&mut r, m.offset * 8);
                }
                r
            }
        };
        let id = self.intern(record)?;
        self.by_address.insert(address, id);
        Ok(id)
    }

    /// `struct btf_array`, indexed by `u32`.
    fn array(&mut self, elem: u32, len: u32, depth: u32) -> Result<Vec<u8>, EncodeError> {
        let index = self.encode(&U32, depth + 1)?;
        let mut r = self.head("", Kind::Array, 0, 0)?;
        push(&mut r, elem);
        push(&mut r, index);
        push(&mut r, len);
        Ok(r)
    }

    /// `struct btf_type`: name, `info` (kind and vlen), and size or type.
    fn head(
        &mut self,
        name: &'static str,
        kind: Kind,
        vlen: u32,
        size_or_type: u32,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut r = Vec::with_capacity(16);
        push(&mut r, self.string(name)?);
        push(&mut r, ((kind.raw() as u32) << 24) | vlen);
        push(&mut r, size_or_type);
        Ok(r)
    }

    /// The offset of `name` in the string section, added once.
    fn string(&mut self, name: &'static str) -> Result<u32, EncodeError> {
        if name.is_empty() {
            return Ok(0);
        }
        if let Some(&offset) = self.string_offsets.get(name) {
            return Ok(offset);
        }
        let offset = self.strings.len();
        // The kernel takes a string section of at most MAX_NAME_OFFSET + 1 bytes.
        if offset + name.len() > MAX_NAME_OFFSET as usize {
            return Err(EncodeError::TooManyNames);
        }
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        let offset = offset as u32;
        self.string_offsets.insert(name, offset);
        Ok(offset)
    }

    /// The id of `record`, written now unless an identical one was.
    fn intern(&mut self, record: Vec<u8>) -> Result<u32, EncodeError> {
        if let Some(&id) = self.by_record.get(&record) {
            return Ok(id);
        }
        // Room for the header and the largest string section: the blob's size stays a u32.
        let room = u32::MAX as usize - HEADER_LEN as usize - MAX_NAME_OFFSET as usize - 1;
        if self.count >= MAX_TYPE || self.types.len() + record.len() > room {
            return Err(EncodeError::TooManyTypes);
        }
        self.count += 1;
        self.types.extend_from_slice(&record);
        self.by_record.insert(record, self.count);
        Ok(self.count)
    }
}

fn push(record: &mut Vec<u8>, word: u32) {
    record.extend_from_slice(&word.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::super::desc::{F32, F64, I8, I32, I64, I128, Member, SPIN_LOCK, U16, U64};
    use super::*;

    fn words(bytes: &[u8]) -> Vec<u32> {
        bytes.chunks(4).map(|c| u32::from_ne_bytes(c.try_into().unwrap())).collect()
    }

    #[test]
    fn one_u32_is_exactly_the_uapi_layout() {
        let mut b = BtfBuilder::new();
        assert_eq!(b.add(&U32), Ok(1));
        let blob = b.finish();
        // struct btf_header: magic 0xeB9F, version 1, flags 0, hdr_len 24, then type_off 0,
        // type_len 16, str_off 16, str_len 5; one btf_type of kind INT (1 << 24) named at
        // offset 1, size 4, followed by its u32: encoding 0 (unsigned) << 24 | 32 bits; then
        // the strings "\0u32\0".
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[0x9f, 0xeb, 1, 0][..],
            &24u32.to_ne_bytes(), &0u32.to_ne_bytes(), &16u32.to_ne_bytes(),
            &16u32.to_ne_bytes(), &5u32.to_ne_bytes(),
            &1u32.to_ne_bytes(), &0x0100_0000u32.to_ne_bytes(), &4u32.to_ne_bytes(), &32u32.to_ne_bytes(),
            b"\0u32\0",
        ]
        .concat();
        assert_eq!(blob, expected);
    }

    static POINT: TypeDesc = TypeDesc::Struct {
        name: "Point",
        size: 8,
        members: &[Member { name: "x", offset: 0, ty: &I32 }, Member { name: "y", offset: 4, ty: &I32 }],
    };

    #[test]
    fn a_struct_array_and_typedef_in_words() {
        static PAIR: TypeDesc = TypeDesc::Array { elem: &POINT, len: 2 };
        static PORT: TypeDesc = TypeDesc::Typedef { name: "Port", ty: &U16 };
        let mut b = BtfBuilder::new();
        assert_eq!(b.add(&PAIR), Ok(4));
        assert_eq!(b.add(&PORT), Ok(6));
        let blob = b.finish();
        let strings = b"\0i32\0Point\0x\0y\0u32\0u16\0Port\0";
        let (types, str_section) = blob[24..].split_at(blob.len() - 24 - strings.len());
        assert_eq!(str_section, strings);
        #[rustfmt::skip]
        assert_eq!(words(types), [
            // [1] INT 'i32' size 4, SIGNED, 32 bits
            1, 1 << 24, 4, 1 << 24 | 32,
            // [2] STRUCT 'Point' size 8 vlen 2: x i32 at bit 0, y i32 at bit 32
            5, 4 << 24 | 2, 8, 11, 1, 0, 13, 1, 32,
            // [3] INT 'u32' size 4, unsigned
            15, 1 << 24, 4, 32,
            // [4] ARRAY (anon) of [2] indexed by [3], 2 elements
            0, 3 << 24, 0, 2, 3, 2,
            // [5] INT 'u16'
            19, 1 << 24, 2, 16,
            // [6] TYPEDEF 'Port' of [5]
            23, 8 << 24, 5,
        ]);
    }

    #[test]
    fn floats_u8_opaque_and_i128() {
        static OPAQUE: TypeDesc = TypeDesc::Opaque { size: 3 };
        let mut b = BtfBuilder::new();
        assert_eq!(b.add(&F32), Ok(1));
        assert_eq!(b.add(&U8), Ok(2));
        assert_eq!(b.add(&OPAQUE), Ok(4), "u8 reused, u32 added as the index");
        assert_eq!(b.add(&I128), Ok(5));
        let blob = b.finish();
        let w = words(&blob[24..24 + 21 * 4]);
        assert_eq!(&w[0..3], [1, 16 << 24, 4], "FLOAT 'f32' size 4");
        assert_eq!(&w[3..7], [5, 1 << 24, 1, 8], "u8: unsigned, not CHAR");
        assert_eq!(&w[11..17], [0, 3 << 24, 0, 2, 3, 3], "opaque: u8[3]");
        assert_eq!(&w[17..21], [12, 1 << 24, 16, 1 << 24 | 128], "i128: signed, 128 bits");
    }

    #[test]
    fn identical_types_are_written_once() {
        // Equal descriptions at different addresses, and shared ones.
        static A: TypeDesc = TypeDesc::Struct {
            name: "Point",
            size: 8,
            members: &[Member { name: "x", offset: 0, ty: &I32 }, Member { name: "y", offset: 4, ty: &I32 }],
        };
        static TWO_POINTS: TypeDesc = TypeDesc::Struct {
            name: "Segment",
            size: 16,
            members: &[Member { name: "a", offset: 0, ty: &POINT }, Member { name: "b", offset: 8, ty: &A }],
        };
        let mut b = BtfBuilder::new();
        let point = b.add(&POINT).unwrap();
        assert_eq!(b.add(&A), Ok(point));
        let segment = b.add(&TWO_POINTS).unwrap();
        assert_eq!(b.add(&TWO_POINTS), Ok(segment));
        assert_eq!(b.add(&TypeDesc::Int { name: "i32", size: 4, signed: true }), Ok(1));
        assert_eq!(b.type_count(), 3, "i32, Point, Segment");
        let blob = b.finish();
        let strings = &blob[blob.len() - b"\0i32\0Point\0x\0y\0Segment\0a\0b\0".len()..];
        assert_eq!(strings, b"\0i32\0Point\0x\0y\0Segment\0a\0b\0", "each name once");

        // Same name, different layout: two types.
        static OTHER_POINT: TypeDesc = TypeDesc::Struct {
            name: "Point",
            size: 16,
            members: &[Member { name: "x", offset: 0, ty: &I64 }, Member { name: "y", offset: 8, ty: &I64 }],
        };
        let mut b = BtfBuilder::new();
        assert_ne!(b.add(&POINT), b.add(&OTHER_POINT));
    }

    #[test]
    fn a_refused_description_leaves_nothing() {
        static BAD: TypeDesc = TypeDesc::Struct {
            name: "Bad",
            size: 4,
            members: &[Member { name: "fine", offset: 0, ty: &F64 }],
        };
        let mut b = BtfBuilder::new();
        b.add(&I8).unwrap();
        let before = b.clone().finish();
        assert!(matches!(b.add(&BAD), Err(EncodeError::MemberOutside { member: "fine", .. })));
        assert_eq!(b.type_count(), 1, "f64 was written, then undone");
        assert_eq!(b.clone().finish(), before);
        assert_eq!(b.add(&F64), Ok(2), "and can be added again");
    }

    #[test]
    fn names_must_be_c_identifiers() {
        static RAW: TypeDesc = TypeDesc::Struct {
            name: "Msg",
            size: 1,
            members: &[Member { name: "type", offset: 0, ty: &U8 }],
        };
        static SPACED: TypeDesc =
            TypeDesc::Struct { name: "Msg", size: 1, members: &[Member { name: "a b", offset: 0, ty: &U8 }] };
        let mut b = BtfBuilder::new();
        assert!(b.add(&RAW).is_ok(), "a raw identifier arrives without `r#`");
        assert_eq!(b.add(&SPACED), Err(EncodeError::InvalidName { name: "a b", what: "member" }));
    }

    #[test]
    fn never_panics_on_extreme_descriptions() {
        static HUGE: TypeDesc =
            TypeDesc::Array { elem: &TypeDesc::Array { elem: &U64, len: u32::MAX }, len: 2 };
        static EMPTY: TypeDesc = TypeDesc::Struct { name: "Empty", size: 0, members: &[] };
        static ZERO: TypeDesc = TypeDesc::Array { elem: &EMPTY, len: u32::MAX };
        static LOOP: TypeDesc = TypeDesc::Typedef { name: "Loop", ty: &LOOP };
        static BIG_STRUCT: TypeDesc = TypeDesc::Struct {
            name: "Big",
            size: u32::MAX,
            members: &[Member { name: "last", offset: u32::MAX - 1, ty: &U8 }],
        };
        let mut b = BtfBuilder::new();
        assert_eq!(b.add(&HUGE), Err(EncodeError::ArrayTooLarge { len: u32::MAX, elem_size: 8 }));
        assert_eq!(b.add(&LOOP), Err(EncodeError::TooDeep));
        assert!(matches!(b.add(&BIG_STRUCT), Err(EncodeError::OffsetTooLarge { .. })));
        assert!(b.add(&ZERO).is_ok(), "u32::MAX elements of 0 bytes: 0 bytes");
        assert!(b.add(&TypeDesc::Opaque { size: 0 }).is_ok());
        assert!(b.add(&SPIN_LOCK).is_ok());
    }
}
