//! [`diff_layout`]: whether a type in a BTF blob has the layout a [`TypeDesc`] declares, and
//! if not, the first field where they part, in the words a user reads.

use core::fmt;

use super::desc::{Member, SPIN_LOCK_NAME, TypeDesc};
use super::kind::MAX_DEPTH;
use super::parse::{Btf, BtfMember, TypeData};

/// The first place where a declared layout and a BTF type differ.
///
/// `path` names the place from the declared type down (`FlowKey.sport`, `Key.addr[0]`),
/// `declared` and `found` say what each side has there: the type (in Rust terms for the
/// declaration, `u16`, `[u8; 4]`; as the BTF spells it for the other side, `__u16`,
/// `unsigned int`, `struct flow_key`) and the byte offset from the start of the
/// outermost type, or a size or member name when that is what differs.
///
/// ```
/// use bpfmap::Pod;
/// use bpfmap::btf::{Btf, BtfBuilder, diff_layout};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Old { port: u32, proto: u32 }
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct New { port: u16, flags: u16, proto: u32 }
///
/// let mut builder = BtfBuilder::new();
/// let old = builder.add(<Old as Pod>::BTF)?;
/// let btf = Btf::parse(&builder.finish())?;
/// let diff = diff_layout(<New as Pod>::BTF, &btf, old).expect("they differ");
/// println!("{diff}");     // New.port: declared u16 at 0, found u32 at 0
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutDiff {
    /// Where: the declared type's name and the member path (`FlowKey.sport`).
    pub path: String,
    /// What the declaration has there (`u16 at 8`).
    pub declared: String,
    /// What the BTF has there (`__u32 at 8`).
    pub found: String,
}

/// `FlowKey.sport: declared u16 at 8, found __u32 at 8`.
impl fmt::Display for LayoutDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: declared {}, found {}", self.path, self.declared, self.found)
    }
}

impl std::error::Error for LayoutDiff {}

/// Compares the layout `declared` describes with type `id` of `btf`; `None` when they agree,
/// else the first difference in declaration order.
///
/// They agree when they have the same size and, recursively, integers of the same size and
/// signedness (a C `enum` counts as an integer of its size, whatever its signedness: old
/// compilers did not record it), floats of the same size, arrays of the same length, and
/// structs with members of the same names at the same offsets. Typedefs and qualifiers
/// (`const`, `volatile`) are transparent on both sides: `__u32` and `unsigned int` match
/// `u32`, and a `#[repr(transparent)]` newtype matches what it wraps. [`TypeDesc::Opaque`]
/// matches any type of its size.
///
/// Member names matter: a renamed field is a difference worth naming, since code on the
/// other side uses the names (`bpftool map dump` shows them). Type names do not: C's
/// `struct flow_key` is Rust's `FlowKey`. A bitfield never matches (Rust has none).
///
/// ```
/// use bpfmap::btf::{Btf, BtfBuilder, Member, TypeDesc, U16, U32, diff_layout};
///
/// static DECLARED: TypeDesc = TypeDesc::Struct {
///     name: "FlowKey",
///     size: 12,
///     members: &[
///         Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U32, len: 2 } },
///         Member { name: "sport", offset: 8, ty: &U16 },
///         Member { name: "dport", offset: 10, ty: &U16 },
///     ],
/// };
/// static IN_OBJECT: TypeDesc = TypeDesc::Struct {
///     name: "flow_key",
///     size: 12,
///     members: &[
///         Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U32, len: 2 } },
///         Member { name: "sport", offset: 8, ty: &U32 },
///     ],
/// };
/// let mut builder = BtfBuilder::new();
/// let id = builder.add(&IN_OBJECT)?;
/// let btf = Btf::parse(&builder.finish())?;
///
/// let diff = diff_layout(&DECLARED, &btf, id).expect("they differ");
/// assert_eq!(diff.to_string(), "FlowKey.sport: declared u16 at 8, found u32 at 8");
/// assert_eq!(diff_layout(&IN_OBJECT, &btf, id), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff_layout(declared: &TypeDesc, btf: &Btf, id: u32) -> Option<LayoutDiff> {
    let path = match *declared {
        TypeDesc::Struct { name, .. } | TypeDesc::Typedef { name, .. } if !name.is_empty() => {
            name.to_string()
        }
        _ => rust_name(declared, 0),
    };
    Walk { btf }.compare(declared, id, &Place { path, offset: 0, in_member: false }, 0)
}

/// Where the walk is: the path so far, the absolute byte offset, and whether that is a
/// member (then sides say `at <offset>`).
struct Place {
    path: String,
    offset: u32,
    in_member: bool,
}

impl Place {
    fn at(&self, what: String) -> String {
        if self.in_member { format!("{what} at {}", self.offset) } else { what }
    }

    fn member(&self, name: &str, offset: u32) -> Place {
        Place { path: format!("{}.{name}", self.path), offset, in_member: true }
    }
}

struct Walk<'a> {
    btf: &'a Btf,
}

impl Walk<'_> {
    fn diff(&self, place: &Place, declared: String, found: String) -> Option<LayoutDiff> {
        Some(LayoutDiff { path: place.path.clone(), declared, found })
    }

    /// Both sides at `place`: a kind or size difference names the two types there.
    fn mismatch(&self, declared: &TypeDesc, id: u32, place: &Place) -> Option<LayoutDiff> {
        self.diff(place, place.at(rust_name(declared, 0)), place.at(c_name(self.btf, id, 0)))
    }

    fn compare(&self, declared: &TypeDesc, id: u32, place: &Place, depth: u32) -> Option<LayoutDiff> {
        if depth >= MAX_DEPTH {
            return self.diff(
                place,
                format!("types nested {MAX_DEPTH} deep"),
                "no comparison that deep".into(),
            );
        }
        // Newtypes on the declared side, typedefs and qualifiers on the other, are transparent.
        if let TypeDesc::Typedef { ty, .. } = *declared {
            return self.compare(ty, id, place, depth + 1);
        }
        let resolved = match self.btf.resolve(id).and_then(|r| self.btf.type_by_id(r).map(|t| (r, t))) {
            Ok(found) => found,
            Err(e) => {
                return self.diff(
                    place,
                    place.at(rust_name(declared, 0)),
                    format!("an unreadable type ({e})"),
                );
            }
        };
        let (found_id, found) = resolved;
        match (*declared, &found.data) {
            (TypeDesc::Opaque { size }, _) => match self.btf.size_of(found_id) {
                Ok(found_size) if found_size == size => None,
                Ok(found_size) => self.diff(
                    place,
                    place.at(format!("{size} opaque bytes")),
                    place.at(format!("{} ({found_size} bytes)", c_name(self.btf, id, 0))),
                ),
                Err(_) => self.mismatch(declared, id, place),
            },
            (
                TypeDesc::Int { size, signed, .. },
                TypeData::Int { size: found_size, encoding, bits, bit_offset },
            ) => {
                let same = size == *found_size
                    && signed == encoding.is_signed()
                    && *bit_offset == 0
                    && u32::from(*bits) == size * 8;
                if same { None } else { self.mismatch(declared, id, place) }
            }
            (
                TypeDesc::Int { size, .. },
                TypeData::Enum { size: found_size, .. } | TypeData::Enum64 { size: found_size, .. },
            ) => {
                if size == *found_size {
                    None
                } else {
                    self.mismatch(declared, id, place)
                }
            }
            (TypeDesc::Float { size, .. }, TypeData::Float { size: found_size }) => {
                if size == *found_size {
                    None
                } else {
                    self.mismatch(declared, id, place)
                }
            }
            (TypeDesc::Array { elem, len }, TypeData::Array { elem: found_elem, nr_elems, .. }) => {
                if len != *nr_elems {
                    return self.mismatch(declared, id, place);
                }
                let first =
                    Place { path: format!("{}[0]", place.path), offset: place.offset, in_member: true };
                self.compare(elem, *found_elem, &first, depth + 1)
            }
            (
                TypeDesc::Struct { name, size, members },
                TypeData::Struct { size: found_size, members: found_members },
            ) => {
                // The kernel's special structs are known by name: a `bpf_spin_lock` on one side
                // and a plain `{ u32 }` on the other are a lock and no lock.
                let found_name = self.btf.str_at(found.name_off).unwrap_or("");
                if (name == SPIN_LOCK_NAME) != (found_name == SPIN_LOCK_NAME) {
                    return self.mismatch(declared, id, place);
                }
                if let Some(diff) = self.members(members, found_members, place, depth) {
                    return Some(diff);
                }
                if size == *found_size {
                    None
                } else {
                    self.diff(
                        place,
                        format!("{} bytes", size),
                        format!("{} bytes ({})", found_size, c_name(self.btf, found_id, 0)),
                    )
                }
            }
            _ => self.mismatch(declared, id, place),
        }
    }

    /// Members pairwise in order: names, then offsets, then types.
    fn members(
        &self,
        declared: &[Member],
        found: &[BtfMember],
        place: &Place,
        depth: u32,
    ) -> Option<LayoutDiff> {
        for i in 0..declared.len().max(found.len()) {
            let (d, f) = match (declared.get(i), found.get(i)) {
                (Some(d), Some(f)) => (d, f),
                (Some(d), None) => {
                    let here = place.member(d.name, place.offset.saturating_add(d.offset));
                    return self.diff(&here, here.at(rust_name(d.ty, 0)), "no such field".into());
                }
                (None, Some(f)) => {
                    let here = place.member(&self.member_name(f), 0);
                    return self.diff(&here, "no such field".into(), self.found_member(f, place.offset));
                }
                (None, None) => return None,
            };
            let here = place.member(d.name, place.offset.saturating_add(d.offset));
            let found_name = self.member_name(f);
            if d.name != found_name {
                return self.diff(
                    &here,
                    format!("`{}` {}", d.name, here.at(rust_name(d.ty, 0))),
                    format!("`{found_name}` {}", self.found_member(f, place.offset)),
                );
            }
            if f.bitfield_size != 0 || !f.bit_offset.is_multiple_of(8) || f.bit_offset / 8 != d.offset {
                return self.diff(&here, here.at(rust_name(d.ty, 0)), self.found_member(f, place.offset));
            }
            if let Some(diff) = self.compare(d.ty, f.ty, &here, depth + 1) {
                return Some(diff);
            }
        }
        None
    }

    fn member_name(&self, m: &BtfMember) -> String {
        match self.btf.str_at(m.name_off) {
            Ok("") => "(anonymous)".to_string(),
            Ok(name) => name.to_string(),
            Err(_) => "(unreadable name)".to_string(),
        }
    }

    /// A found member of a struct at `base` (from the start of the outermost type), with its
    /// type and position: `__u32 at 8`, or `__u32:3 at bit 35` for a bitfield.
    fn found_member(&self, m: &BtfMember, base: u32) -> String {
        let ty = c_name(self.btf, m.ty, 0);
        let bit = u64::from(base) * 8 + u64::from(m.bit_offset);
        if m.bitfield_size != 0 {
            format!("{ty}:{} at bit {bit}", m.bitfield_size)
        } else if !bit.is_multiple_of(8) {
            format!("{ty} at bit {bit}")
        } else {
            format!("{ty} at {}", bit / 8)
        }
    }
}

/// A description in Rust terms: `u16`, `[u8; 4]`, `FlowKey`.
fn rust_name(desc: &TypeDesc, depth: u32) -> String {
    if depth >= MAX_DEPTH {
        return "…".to_string();
    }
    match *desc {
        TypeDesc::Int { name, .. } | TypeDesc::Float { name, .. } => name.to_string(),
        TypeDesc::Array { elem, len } => format!("[{}; {len}]", rust_name(elem, depth + 1)),
        TypeDesc::Struct { name: "", size, .. } => format!("an anonymous struct of {size} bytes"),
        TypeDesc::Struct { name, .. } | TypeDesc::Typedef { name, .. } => name.to_string(),
        TypeDesc::Opaque { size } => format!("{size} opaque bytes"),
    }
}

/// A BTF type as C spells it: `__u32`, `unsigned char[4]`, `struct flow_key`, `void *`.
fn c_name(btf: &Btf, id: u32, depth: u32) -> String {
    if depth >= MAX_DEPTH {
        return "…".to_string();
    }
    let Ok(t) = btf.type_by_id(id) else { return format!("type {id} (not in the BTF)") };
    let name = match btf.str_at(t.name_off) {
        Ok("") => "(anon)",
        Ok(name) => name,
        Err(_) => "(unreadable name)",
    };
    match &t.data {
        TypeData::Void => "void".to_string(),
        TypeData::Int { .. } | TypeData::Float { .. } | TypeData::Typedef { .. } => name.to_string(),
        TypeData::Struct { .. } => format!("struct {name}"),
        TypeData::Union { .. } => format!("union {name}"),
        TypeData::Enum { .. } | TypeData::Enum64 { .. } => format!("enum {name}"),
        TypeData::Fwd { union } => {
            format!("{} {name} (declared, not defined)", if *union { "union" } else { "struct" })
        }
        TypeData::Ptr { ty } => format!("{} *", c_name(btf, *ty, depth + 1)),
        TypeData::Array { .. } => {
            // C writes the outermost length first: `u8 a[2][3]` is an array of 2 arrays of 3.
            let (mut dims, mut elem) = (String::new(), id);
            for _ in depth..MAX_DEPTH {
                match btf.type_by_id(elem).map(|t| &t.data) {
                    Ok(TypeData::Array { elem: inner, nr_elems, .. }) => {
                        dims.push_str(&format!("[{nr_elems}]"));
                        elem = *inner;
                    }
                    _ => break,
                }
            }
            format!("{}{dims}", c_name(btf, elem, depth + 1))
        }
        TypeData::Const { ty } => format!("const {}", c_name(btf, *ty, depth + 1)),
        TypeData::Volatile { ty } => format!("volatile {}", c_name(btf, *ty, depth + 1)),
        TypeData::Restrict { ty } => format!("{} restrict", c_name(btf, *ty, depth + 1)),
        TypeData::TypeTag { ty } => format!("{} __attribute__(({name}))", c_name(btf, *ty, depth + 1)),
        TypeData::Func { .. } => format!("function {name}"),
        TypeData::FuncProto { .. } => "a function type".to_string(),
        TypeData::Var { .. } => format!("variable {name}"),
        TypeData::Datasec { .. } => format!("section {name}"),
        TypeData::DeclTag { .. } => format!("tag {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::desc::{F32, F64, I32, SPIN_LOCK, U8, U16, U32, U64};
    use super::super::encode::BtfBuilder;
    use super::super::test_blob::RawBtf;
    use super::*;

    /// Encodes `found`, parses it, and compares it with `declared`.
    fn diff(declared: &TypeDesc, found: &'static TypeDesc) -> Option<String> {
        let mut b = BtfBuilder::new();
        let id = b.add(found).unwrap();
        let btf = Btf::parse(&b.finish()).unwrap();
        diff_layout(declared, &btf, id).map(|d| d.to_string())
    }

    const fn key(members: &'static [Member]) -> TypeDesc {
        TypeDesc::Struct { name: "FlowKey", size: 12, members }
    }

    const FLOW_KEY_MEMBERS: &[Member] = &[
        Member { name: "saddr", offset: 0, ty: &U32 },
        Member { name: "daddr", offset: 4, ty: &U32 },
        Member { name: "sport", offset: 8, ty: &U16 },
        Member { name: "dport", offset: 10, ty: &U16 },
    ];
    static FLOW_KEY: TypeDesc = key(FLOW_KEY_MEMBERS);

    #[test]
    fn what_is_encoded_matches_itself() {
        static NESTED: TypeDesc = TypeDesc::Struct {
            name: "Value",
            size: 48,
            members: &[
                Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
                Member { name: "ratio", offset: 4, ty: &F32 },
                Member { name: "key", offset: 8, ty: &FLOW_KEY },
                Member { name: "keys", offset: 20, ty: &TypeDesc::Array { elem: &U8, len: 4 } },
                Member { name: "mean", offset: 24, ty: &F64 },
                Member { name: "port", offset: 32, ty: &TypeDesc::Typedef { name: "Port", ty: &U16 } },
                Member { name: "raw", offset: 34, ty: &TypeDesc::Opaque { size: 6 } },
                Member { name: "n", offset: 40, ty: &I32 },
                Member {
                    name: "grid",
                    offset: 44,
                    ty: &TypeDesc::Array { elem: &TypeDesc::Array { elem: &U8, len: 2 }, len: 2 },
                },
            ],
        };
        for desc in [&FLOW_KEY, &NESTED, &U8, &SPIN_LOCK, &TypeDesc::Opaque { size: 3 }] {
            assert_eq!(diff(desc, desc), None, "{desc:?}");
        }
    }

    #[test]
    fn a_field_of_another_type() {
        static FOUND: TypeDesc = key(&[
            Member { name: "saddr", offset: 0, ty: &U32 },
            Member { name: "daddr", offset: 4, ty: &U32 },
            Member { name: "sport", offset: 8, ty: &U32 },
        ]);
        assert_eq!(diff(&FLOW_KEY, &FOUND).unwrap(), "FlowKey.sport: declared u16 at 8, found u32 at 8");
    }

    #[test]
    fn a_lock_and_a_plain_struct_of_its_shape_differ() {
        static PLAIN: TypeDesc = TypeDesc::Struct {
            name: "counter",
            size: 4,
            members: &[Member { name: "val", offset: 0, ty: &U32 }],
        };
        static LOCKED: TypeDesc = TypeDesc::Struct {
            name: "Value",
            size: 8,
            members: &[
                Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
                Member { name: "n", offset: 4, ty: &U32 },
            ],
        };
        static UNLOCKED: TypeDesc = TypeDesc::Struct {
            name: "Value",
            size: 8,
            members: &[
                Member { name: "lock", offset: 0, ty: &PLAIN },
                Member { name: "n", offset: 4, ty: &U32 },
            ],
        };
        assert_eq!(
            diff(&LOCKED, &UNLOCKED).unwrap(),
            "Value.lock: declared bpf_spin_lock at 0, found struct counter at 0"
        );
        assert!(diff(&UNLOCKED, &LOCKED).is_some());
    }

    #[test]
    fn signedness() {
        static FOUND: TypeDesc = key(&[
            Member { name: "saddr", offset: 0, ty: &I32 },
            Member { name: "daddr", offset: 4, ty: &U32 },
            Member { name: "sport", offset: 8, ty: &U16 },
            Member { name: "dport", offset: 10, ty: &U16 },
        ]);
        assert_eq!(diff(&FLOW_KEY, &FOUND).unwrap(), "FlowKey.saddr: declared u32 at 0, found i32 at 0");
    }

    #[test]
    fn a_renamed_field() {
        static FOUND: TypeDesc = key(&[
            Member { name: "src", offset: 0, ty: &U32 },
            Member { name: "daddr", offset: 4, ty: &U32 },
            Member { name: "sport", offset: 8, ty: &U16 },
            Member { name: "dport", offset: 10, ty: &U16 },
        ]);
        assert_eq!(
            diff(&FLOW_KEY, &FOUND).unwrap(),
            "FlowKey.saddr: declared `saddr` u32 at 0, found `src` u32 at 0"
        );
    }

    #[test]
    fn a_missing_and_an_extra_field() {
        static SHORT: TypeDesc = key(&[
            Member { name: "saddr", offset: 0, ty: &U32 },
            Member { name: "daddr", offset: 4, ty: &U32 },
            Member { name: "sport", offset: 8, ty: &U16 },
        ]);
        assert_eq!(
            diff(&FLOW_KEY, &SHORT).unwrap(),
            "FlowKey.dport: declared u16 at 10, found no such field"
        );
        assert_eq!(
            diff(&SHORT, &FLOW_KEY).unwrap(),
            "FlowKey.dport: declared no such field, found u16 at 10"
        );
    }

    #[test]
    fn a_moved_field() {
        static MOVED: TypeDesc = TypeDesc::Struct {
            name: "FlowKey",
            size: 16,
            members: &[
                Member { name: "saddr", offset: 0, ty: &U32 },
                Member { name: "daddr", offset: 4, ty: &U32 },
                Member { name: "sport", offset: 10, ty: &U16 },
                Member { name: "dport", offset: 12, ty: &U16 },
            ],
        };
        assert_eq!(diff(&FLOW_KEY, &MOVED).unwrap(), "FlowKey.sport: declared u16 at 8, found u16 at 10");
    }

    #[test]
    fn trailing_size() {
        static PADDED: TypeDesc = TypeDesc::Struct { name: "flow_key", size: 16, members: FLOW_KEY_MEMBERS };
        assert_eq!(
            diff(&FLOW_KEY, &PADDED).unwrap(),
            "FlowKey: declared 12 bytes, found 16 bytes (struct flow_key)"
        );
    }

    #[test]
    fn arrays() {
        static FOUR: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 4,
            members: &[Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U8, len: 4 } }],
        };
        static SIXTEEN: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 16,
            members: &[Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U8, len: 16 } }],
        };
        static WORDS: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 4,
            members: &[Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U16, len: 2 } }],
        };
        assert_eq!(diff(&FOUR, &SIXTEEN).unwrap(), "K.addr: declared [u8; 4] at 0, found u8[16] at 0");
        assert_eq!(diff(&FOUR, &WORDS).unwrap(), "K.addr: declared [u8; 4] at 0, found u16[2] at 0");
        static HALVES: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 4,
            members: &[Member { name: "addr", offset: 0, ty: &TypeDesc::Array { elem: &U16, len: 2 } }],
        };
        static SIGNED: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 4,
            members: &[Member {
                name: "addr",
                offset: 0,
                ty: &TypeDesc::Array { elem: &TypeDesc::Int { name: "i16", size: 2, signed: true }, len: 2 },
            }],
        };
        assert_eq!(diff(&HALVES, &SIGNED).unwrap(), "K.addr[0]: declared u16 at 0, found i16 at 0");
    }

    #[test]
    fn nested_structs_report_the_inner_path_and_absolute_offset() {
        static OUTER: TypeDesc = TypeDesc::Struct {
            name: "Outer",
            size: 16,
            members: &[
                Member { name: "n", offset: 0, ty: &U32 },
                Member { name: "key", offset: 4, ty: &FLOW_KEY },
            ],
        };
        // The inner struct ends with an `int` at 10, past its 12 bytes: the builder refuses
        // that, so it is written by hand.
        let raw = RawBtf::new()
            .int("u32", 4, 0) // [1]
            .int("u16", 2, 0) // [2]
            .int("int", 4, 1) // [3]
            .strukt("flow_key", 12, &[("saddr", 1, 0), ("daddr", 1, 4), ("sport", 2, 8), ("dport", 3, 10)])
            .strukt("outer", 16, &[("n", 1, 0), ("key", 4, 4)]); // [5]
        let btf = Btf::parse(&raw.finish()).unwrap();
        assert_eq!(
            diff_layout(&OUTER, &btf, 5).unwrap().to_string(),
            "Outer.key.dport: declared u16 at 14, found int at 14"
        );
    }

    #[test]
    fn typedefs_and_qualifiers_are_transparent() {
        // struct k { const volatile __u32 a; unsigned short b; }
        let mut raw = RawBtf::new().int("unsigned int", 4, 0); // [1]
        let u32_name = raw.string("__u32");
        let raw = raw
            .raw_type(u32_name, 8 << 24, 1, &[]) // [2] typedef __u32
            .raw_type(0, 9 << 24, 2, &[]) // [3] volatile __u32
            .raw_type(0, 10 << 24, 3, &[]) // [4] const volatile __u32
            .int("unsigned short", 2, 0) // [5]
            .strukt("k", 8, &[("a", 4, 0), ("b", 5, 4)]); // [6]
        let btf = Btf::parse(&raw.finish()).unwrap();
        static K: TypeDesc = TypeDesc::Struct {
            name: "K",
            size: 8,
            members: &[
                Member { name: "a", offset: 0, ty: &TypeDesc::Typedef { name: "Addr", ty: &U32 } },
                Member { name: "b", offset: 4, ty: &U16 },
            ],
        };
        assert_eq!(diff_layout(&K, &btf, 6), None);
        static WIDER: TypeDesc =
            TypeDesc::Struct { name: "K", size: 8, members: &[Member { name: "a", offset: 0, ty: &U64 }] };
        assert_eq!(
            diff_layout(&WIDER, &btf, 6).unwrap().to_string(),
            "K.a: declared u64 at 0, found const volatile __u32 at 0"
        );
    }

    #[test]
    fn opaque_matches_any_type_of_its_size() {
        assert_eq!(diff(&TypeDesc::Opaque { size: 12 }, &FLOW_KEY), None);
        assert_eq!(diff(&TypeDesc::Opaque { size: 4 }, &F32), None);
        assert_eq!(
            diff(&TypeDesc::Opaque { size: 8 }, &FLOW_KEY).unwrap(),
            "8 opaque bytes: declared 8 opaque bytes, found struct FlowKey (12 bytes)"
        );
    }

    #[test]
    fn kinds_that_differ() {
        assert_eq!(diff(&FLOW_KEY, &U64).unwrap(), "FlowKey: declared FlowKey, found u64");
        assert_eq!(diff(&U32, &F32).unwrap(), "u32: declared u32, found f32");
        assert_eq!(diff(&F64, &F32).unwrap(), "f64: declared f64, found f32");
    }

    #[test]
    fn c_types_read_as_c() {
        // [1] char (signed), [2] PTR to [1], [3] ARRAY 2 of [4] ARRAY 3 of char, [5] struct
        // with a bitfield, [6] union, [7] enum.
        let mut raw = RawBtf::new().int("char", 1, 1).raw_type(0, 2 << 24, 1, &[]);
        raw = raw.raw_type(0, 3 << 24, 0, &[4, 1, 2]).raw_type(0, 3 << 24, 0, &[1, 1, 3]);
        let flags = raw.string("flags");
        raw = raw.raw_type(0, 1 << 31 | 4 << 24 | 1, 1, &[flags, 1, 3 << 24 | 2]); // [5] struct { char flags:3 at bit 2 }
        let u = raw.string("u");
        raw = raw.raw_type(u, 5 << 24, 1, &[]); // [6] union u, no members
        let e = raw.string("e");
        raw = raw.raw_type(e, 6 << 24, 4, &[]); // [7] enum e
        let btf = Btf::parse(&raw.finish()).unwrap();
        assert_eq!(c_name(&btf, 2, 0), "char *");
        assert_eq!(c_name(&btf, 3, 0), "char[2][3]");
        assert_eq!(c_name(&btf, 6, 0), "union u");
        assert_eq!(c_name(&btf, 99, 0), "type 99 (not in the BTF)");
        static FLAGS: TypeDesc = TypeDesc::Struct {
            name: "Flags",
            size: 1,
            members: &[Member {
                name: "flags",
                offset: 0,
                ty: &TypeDesc::Int { name: "i8", size: 1, signed: true },
            }],
        };
        assert_eq!(
            diff_layout(&FLAGS, &btf, 5).unwrap().to_string(),
            "Flags.flags: declared i8 at 0, found char:3 at bit 2"
        );
        assert_eq!(diff_layout(&U32, &btf, 7), None, "an enum of 4 bytes is a 4-byte integer");
        assert_eq!(diff_layout(&U8, &btf, 7).unwrap().to_string(), "u8: declared u8, found enum e");
        assert_eq!(diff_layout(&U8, &btf, 1).unwrap().to_string(), "u8: declared u8, found char");
        assert_eq!(diff_layout(&TypeDesc::Int { name: "i8", size: 1, signed: true }, &btf, 1), None);
        assert_eq!(
            diff_layout(&FLOW_KEY, &btf, 6).unwrap().to_string(),
            "FlowKey: declared FlowKey, found union u"
        );
        assert_eq!(
            diff_layout(&FLOW_KEY, &btf, 42).unwrap().to_string(),
            "FlowKey: declared FlowKey, found an unreadable type (BTF: no type 42: the blob's types are 0 to 7)"
        );
    }
}
