//! A declaration against an object's map, field by field: `value_size: declared 4, object 8`.
//!
//! The numbers are compared, and written, by the same `const fn`s at compile time
//! (`check_object!`, on descriptions the macro writes from the object) and at run time
//! (`check_object`, on a parsed [`ObjectMap`]). Key and value layouts are compared at compile
//! time on [`TypeDesc`]s (the macro describes the object's types as the derive describes
//! Rust's) and at run time with [`diff_layout`](crate::btf::diff_layout) on the object's BTF,
//! in the same words.

use crate::btf::{Btf, Member, TypeDesc};
use crate::rules::{MapDef, MapFlags, Pinning};

use super::ObjectMap;
use super::message::Message;

/// An object's map as `check_object!` writes it down at compile time: the numbers of
/// [`ObjectMap`], and its key and value types described as [`TypeDesc`]s (typedefs kept, for
/// their names; enums, unions and pointers as [`TypeDesc::Opaque`] behind a typedef that names
/// them). Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct ObjectMapDesc {
    /// The kernel name.
    pub name: &'static str,
    /// The numbers, in [`FIELDS`] order.
    pub numbers: Numbers,
    /// `__type(key, T)`.
    pub key: Option<&'static TypeDesc>,
    /// `__type(value, T)`.
    pub value: Option<&'static TypeDesc>,
    /// The template of a map-of-maps.
    pub inner: Option<&'static ObjectMapDesc>,
    /// How to declare the map, for the error when it has no declaration.
    pub suggestion: &'static str,
}

/// A `#[bpf_map]` declaration as `check_object!` finds it by kernel name, or its absence. Not
/// public API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Declared {
    def: Option<&'static MapDef>,
    rust_name: &'static str,
}

impl Declared {
    /// No declaration of the name in the module.
    pub const NONE: Declared = Declared { def: None, rust_name: "" };

    /// The declaration `rust_name`, with its definition.
    pub const fn new(def: &'static MapDef, rust_name: &'static str) -> Declared {
        Declared { def: Some(def), rust_name }
    }
}

/// The fields compared, in the order they are reported.
pub const FIELDS: [&str; 8] =
    ["type", "key_size", "value_size", "max_entries", "flags", "pinning", "numa_node", "map_extra"];

/// The numbers of a map definition, as [`FIELDS`] names them. Not public API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbers {
    /// `type`, raw.
    pub map_type: u32,
    /// `key_size`.
    pub key_size: u32,
    /// `value_size`.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// `pinning`: 0 none, 1 by name (libbpf's `LIBBPF_PIN_BY_NAME`).
    pub pinning: u32,
    /// `numa_node`.
    pub numa_node: u32,
    /// `map_extra`.
    pub map_extra: u64,
}

impl Numbers {
    /// A definition's numbers.
    pub const fn of_def(def: &MapDef) -> Numbers {
        Numbers {
            map_type: def.map_type.raw(),
            key_size: def.key_size,
            value_size: def.value_size,
            max_entries: def.max_entries,
            flags: def.flags.bits(),
            pinning: match def.pinning {
                Pinning::ByName => 1,
                Pinning::None => 0,
            },
            numa_node: def.numa_node,
            map_extra: def.map_extra,
        }
    }

    /// An object map's numbers.
    pub const fn of_object(map: &ObjectMap) -> Numbers {
        Numbers {
            map_type: map.map_type,
            key_size: map.key_size,
            value_size: map.value_size,
            max_entries: map.max_entries,
            flags: map.flags,
            pinning: map.pinning,
            numa_node: map.numa_node,
            map_extra: map.map_extra,
        }
    }

    const fn get(&self, field: usize) -> u64 {
        match field {
            0 => self.map_type as u64,
            1 => self.key_size as u64,
            2 => self.value_size as u64,
            3 => self.max_entries as u64,
            4 => self.flags as u64,
            5 => self.pinning as u64,
            6 => self.numa_node as u64,
            _ => self.map_extra,
        }
    }
}

/// Whether `field` differs. The NUMA node counts only where a side asks for one: without
/// `numa_node` in the flags, the kernel ignores it.
const fn differs(field: usize, declared: &Numbers, object: &Numbers) -> bool {
    if field == 6 {
        let numa = MapFlags::NUMA_NODE.bits();
        if (declared.flags | object.flags) & numa == 0 {
            return false;
        }
    }
    declared.get(field) != object.get(field)
}

/// Writes `field` of `numbers` as the messages show it: `hash`, `no_prealloc|rdonly`,
/// `by_name`, `1024`.
const fn write_field(m: &mut Message, field: usize, numbers: &Numbers) {
    match field {
        0 => m.map_type(numbers.map_type),
        4 => m.flags(numbers.flags),
        5 => m.str(match numbers.pinning {
            0 => "none",
            1 => "by_name",
            _ => "an unknown pinning",
        }),
        _ => m.num(numbers.get(field)),
    }
}

/// Appends `; ` before every difference but the first.
const fn separate(m: &mut Message, count: &mut u32) {
    if *count > 0 {
        m.str("; ");
    }
    *count += 1;
}

/// Writes every numeric difference (`value_size: declared 4, object 8`), `prefix` before each
/// field name (`inner ` for a template's); counts them in `count`.
const fn write_number_diffs(m: &mut Message, prefix: &str, d: &Numbers, o: &Numbers, count: &mut u32) {
    let mut field = 0;
    while field < FIELDS.len() {
        if differs(field, d, o) {
            separate(m, count);
            m.str(prefix);
            m.str(FIELDS[field]);
            m.str(": declared ");
            write_field(m, field, d);
            m.str(", object ");
            write_field(m, field, o);
        }
        field += 1;
    }
}

/// The compile-time check of one object map against its declaration: `None` when they agree,
/// else what to say. Not public API.
#[doc(hidden)]
pub const fn check_map(object: &ObjectMapDesc, declared: Declared, path: &str) -> Option<Message> {
    let mut m = Message::new();
    let Some(def) = declared.def else {
        m.str(path);
        m.str(": the object's map `");
        m.str(object.name);
        m.str("` has no #[bpf_map] declaration in this module (check_object! compares the declarations written beside it); declare it as `");
        m.str(object.suggestion);
        m.str("`");
        return Some(m);
    };
    let mut count = 0;
    m.str(path);
    m.str(": map `");
    m.str(object.name);
    m.str("` differs from its declaration `");
    m.str(declared.rust_name);
    m.str("`: ");
    write_map_diffs(&mut m, "", def, object, &mut count);
    if count == 0 { None } else { Some(m) }
}

/// Every difference of `def` and `object`, their templates' too.
const fn write_map_diffs(
    m: &mut Message,
    prefix: &str,
    def: &MapDef,
    object: &ObjectMapDesc,
    count: &mut u32,
) {
    let declared = Numbers::of_def(def);
    write_number_diffs(m, prefix, &declared, &object.numbers, count);
    let types = [("key", def.key_type, object.key), ("value", def.value_type, object.value)];
    let mut i = 0;
    while i < types.len() {
        if let (field, Some(d), Some(o)) = types[i] {
            write_layout_diff(m, prefix, field, d, o, count);
        }
        i += 1;
    }
    match (def.inner, object.inner) {
        (Some(d), Some(o)) if prefix.is_empty() => write_map_diffs(m, "inner ", d, o, count),
        (Some(d), None) if prefix.is_empty() => {
            separate(m, count);
            m.str("inner: declared ");
            m.map_type(d.map_type.raw());
            m.str(", object none");
        }
        (None, Some(o)) if prefix.is_empty() => {
            separate(m, count);
            m.str("inner: declared none, object ");
            m.map_type(o.numbers.map_type);
        }
        _ => {}
    }
}

// ------------------------------------------------------------------------------------------
// Layouts, on descriptions: the rules of `diff_layout`, for `const` evaluation.

/// Where a layout comparison is: member names from the outermost type down, `[0]` for array
/// elements, and the byte offset.
#[derive(Clone, Copy)]
struct Spot {
    segments: [&'static str; MAX_SEGMENTS],
    len: usize,
    offset: u32,
    in_member: bool,
}

const MAX_SEGMENTS: usize = 34;

impl Spot {
    const fn push(mut self, segment: &'static str, offset: u32) -> Spot {
        if self.len < MAX_SEGMENTS {
            self.segments[self.len] = segment;
            self.len += 1;
        }
        self.offset = offset;
        self.in_member = true;
        self
    }
}

/// The first difference found, and where.
#[derive(Clone, Copy)]
enum LayoutDiff {
    /// Different types at `spot` (the declared one with its newtypes skipped, the object's as
    /// it names it).
    Types { spot: Spot, declared: &'static TypeDesc, object: &'static TypeDesc },
    /// A member at another offset: the object's is at `base` + its offset.
    Moved { spot: Spot, declared: &'static Member, object: &'static Member, base: u32 },
    /// A member of another name.
    Name { spot: Spot, declared: &'static Member, object: &'static Member, base: u32 },
    /// A declared member the object lacks.
    Missing { spot: Spot, declared: &'static Member },
    /// An object member the declaration lacks.
    Extra { spot: Spot, object: &'static Member, base: u32 },
    /// Same members, other sizes.
    Size { spot: Spot, declared: u32, object: u32, object_type: &'static TypeDesc },
    /// Past the depth the kernel follows.
    TooDeep { spot: Spot },
}

/// Writes `key: declared FlowKey.sport u16 at 8, object __u32 at 8` if the layouts differ.
const fn write_layout_diff(
    m: &mut Message,
    prefix: &str,
    field: &str,
    declared: &'static TypeDesc,
    object: &'static TypeDesc,
    count: &mut u32,
) {
    let top = Spot { segments: [""; MAX_SEGMENTS], len: 0, offset: 0, in_member: false };
    let Some(diff) = compare(declared, object, top, 0) else { return };
    separate(m, count);
    m.str(prefix);
    m.str(field);
    m.str(": declared ");
    match diff {
        LayoutDiff::Types { spot, declared: d, object: o } => {
            write_declared_type(m, declared, &spot, d);
            m.str(", object ");
            c_name(m, o, 0);
            at(m, &spot);
        }
        LayoutDiff::Moved { spot, declared: d, object: o, base } => {
            write_declared_type(m, declared, &spot, d.ty);
            m.str(", object ");
            c_name(m, o.ty, 0);
            m.str(" at ");
            m.num(base as u64 + o.offset as u64);
        }
        LayoutDiff::Name { spot, declared: d, object: o, base } => {
            write_path(m, declared, &spot);
            m.str(" `");
            m.str(d.name);
            m.str("` ");
            rust_name(m, d.ty, 0);
            at(m, &spot);
            m.str(", object `");
            m.str(o.name);
            m.str("` ");
            c_name(m, o.ty, 0);
            m.str(" at ");
            m.num(base as u64 + o.offset as u64);
        }
        LayoutDiff::Missing { spot, declared: d } => {
            write_declared_type(m, declared, &spot, d.ty);
            m.str(", object no such field");
        }
        LayoutDiff::Extra { spot, object: o, base } => {
            write_path(m, declared, &spot);
            m.str(" no such field, object ");
            c_name(m, o.ty, 0);
            m.str(" at ");
            m.num(base as u64 + o.offset as u64);
        }
        LayoutDiff::Size { spot, declared: d, object: o, object_type } => {
            write_path(m, declared, &spot);
            m.str(" ");
            m.num(d as u64);
            m.str(" bytes, object ");
            m.num(o as u64);
            m.str(" bytes (");
            c_name(m, object_type, 0);
            m.str(")");
        }
        LayoutDiff::TooDeep { spot } => {
            write_path(m, declared, &spot);
            m.str(" types nested 32 deep, object no comparison that deep");
        }
    }
}

/// `FlowKey.sport u16 at 8` in a member; for the whole type its name once (`u64`, `FlowKey`),
/// or the newtype and what it wraps (`Port u16`).
const fn write_declared_type(m: &mut Message, top: &TypeDesc, spot: &Spot, here: &TypeDesc) {
    let whole_named = spot.len == 0 && (!names_itself(top) || matches!(*top, TypeDesc::Struct { .. }));
    if whole_named {
        rust_name(m, here, 0);
        return;
    }
    write_path(m, top, spot);
    m.str(" ");
    rust_name(m, here, 0);
    at(m, spot);
}

/// Whether a description's path starts with its own name (a named struct or newtype), so
/// that the whole type is named once: `u64`, not `u64 u64`.
const fn names_itself(desc: &TypeDesc) -> bool {
    matches!(*desc, TypeDesc::Struct { name, .. } | TypeDesc::Typedef { name, .. } if !name.is_empty())
}

/// `FlowKey.addr[0]`.
const fn write_path(m: &mut Message, declared: &TypeDesc, spot: &Spot) {
    if names_itself(declared) {
        match *declared {
            TypeDesc::Struct { name, .. } | TypeDesc::Typedef { name, .. } => m.str(name),
            _ => {}
        }
    } else {
        rust_name(m, declared, 0);
    }
    let mut i = 0;
    while i < spot.len {
        let segment = spot.segments[i];
        if !segment.is_empty() && segment.as_bytes()[0] != b'[' {
            m.str(".");
        }
        m.str(segment);
        i += 1;
    }
}

const fn at(m: &mut Message, spot: &Spot) {
    if spot.in_member {
        m.str(" at ");
        m.num(spot.offset as u64);
    }
}

/// A description in Rust terms: `u16`, `[u8; 4]`, `FlowKey`.
const fn rust_name(m: &mut Message, desc: &TypeDesc, depth: u32) {
    if depth >= crate::btf::MAX_DEPTH {
        m.str("…");
        return;
    }
    match *desc {
        TypeDesc::Int { name, .. } | TypeDesc::Float { name, .. } => m.str(name),
        TypeDesc::Array { elem, len } => {
            m.str("[");
            rust_name(m, elem, depth + 1);
            m.str("; ");
            m.num(len as u64);
            m.str("]");
        }
        TypeDesc::Struct { name, size, .. } if name.is_empty() => {
            m.str("an anonymous struct of ");
            m.num(size as u64);
            m.str(" bytes");
        }
        TypeDesc::Struct { name, .. } | TypeDesc::Typedef { name, .. } => m.str(name),
        TypeDesc::Opaque { size } => {
            m.num(size as u64);
            m.str(" opaque bytes");
        }
    }
}

/// An object's type as C spells it: `__u32`, `unsigned char[4]`, `struct flow_key`.
const fn c_name(m: &mut Message, desc: &TypeDesc, depth: u32) {
    if depth >= crate::btf::MAX_DEPTH {
        m.str("…");
        return;
    }
    match *desc {
        TypeDesc::Int { name, .. } | TypeDesc::Float { name, .. } | TypeDesc::Typedef { name, .. } => {
            m.str(name)
        }
        TypeDesc::Struct { name, .. } => {
            m.str("struct ");
            m.str(if name.is_empty() { "(anon)" } else { name });
        }
        TypeDesc::Array { .. } => {
            // C writes the outermost length first: `u8 a[2][3]` is an array of 2 arrays of 3.
            let mut elem = desc;
            let mut dims = 0;
            while let TypeDesc::Array { elem: inner, .. } = *elem {
                if dims == crate::btf::MAX_DEPTH {
                    break;
                }
                elem = inner;
                dims += 1;
            }
            c_name(m, elem, depth + 1);
            let mut dim = desc;
            while let TypeDesc::Array { elem: inner, len } = *dim {
                if dims == 0 {
                    break;
                }
                m.str("[");
                m.num(len as u64);
                m.str("]");
                dim = inner;
                dims -= 1;
            }
        }
        TypeDesc::Opaque { size } => {
            m.num(size as u64);
            m.str(" bytes");
        }
    }
}

/// `desc` with typedefs skipped: newtypes on the declared side, typedefs on the object's.
const fn skip_typedefs(desc: &'static TypeDesc) -> Option<&'static TypeDesc> {
    let mut desc = desc;
    let mut depth = 0;
    while let TypeDesc::Typedef { ty, .. } = *desc {
        if depth == crate::btf::MAX_DEPTH {
            return None;
        }
        desc = ty;
        depth += 1;
    }
    Some(desc)
}

/// The first difference of `declared` and `object` at `spot`, in declaration order.
const fn compare(
    declared: &'static TypeDesc,
    object: &'static TypeDesc,
    spot: Spot,
    depth: u32,
) -> Option<LayoutDiff> {
    if depth >= crate::btf::MAX_DEPTH {
        return Some(LayoutDiff::TooDeep { spot });
    }
    let (Some(d), Some(o)) = (skip_typedefs(declared), skip_typedefs(object)) else {
        return Some(LayoutDiff::TooDeep { spot });
    };
    let mismatch = Some(LayoutDiff::Types { spot, declared: d, object });
    match (*d, *o) {
        (TypeDesc::Opaque { size }, _) => match o.size() {
            Some(found) if found == size => None,
            _ => mismatch,
        },
        // An enum (opaque on the object's side) is an integer of its size.
        (TypeDesc::Int { size, .. }, TypeDesc::Opaque { size: found }) => {
            if size == found {
                None
            } else {
                mismatch
            }
        }
        (TypeDesc::Int { size, signed, .. }, TypeDesc::Int { size: found, signed: found_signed, .. }) => {
            if size == found && signed == found_signed {
                None
            } else {
                mismatch
            }
        }
        (TypeDesc::Float { size, .. }, TypeDesc::Float { size: found, .. }) => {
            if size == found {
                None
            } else {
                mismatch
            }
        }
        (TypeDesc::Array { elem, len }, TypeDesc::Array { elem: found_elem, len: found_len }) => {
            if len != found_len {
                return mismatch;
            }
            compare(elem, found_elem, spot.push("[0]", spot.offset), depth + 1)
        }
        (
            TypeDesc::Struct { name, size, members },
            TypeDesc::Struct { name: found_name, size: found_size, members: found_members },
        ) => {
            // The kernel's special structs are known by name.
            let lock = crate::btf::SPIN_LOCK_NAME;
            if str_eq(name, lock) != str_eq(found_name, lock) {
                return mismatch;
            }
            if let Some(diff) = compare_members(members, found_members, spot, depth) {
                return Some(diff);
            }
            if size == found_size {
                None
            } else {
                Some(LayoutDiff::Size { spot, declared: size, object: found_size, object_type: object })
            }
        }
        _ => mismatch,
    }
}

/// Members pairwise in order: names, then offsets, then types.
const fn compare_members(
    declared: &'static [Member],
    object: &'static [Member],
    spot: Spot,
    depth: u32,
) -> Option<LayoutDiff> {
    let base = spot.offset;
    let mut i = 0;
    while i < declared.len() || i < object.len() {
        if i >= object.len() {
            let d = &declared[i];
            return Some(LayoutDiff::Missing {
                spot: spot.push(d.name, base.saturating_add(d.offset)),
                declared: d,
            });
        }
        if i >= declared.len() {
            let o = &object[i];
            return Some(LayoutDiff::Extra { spot: spot.push(o.name, base), object: o, base });
        }
        let (d, o) = (&declared[i], &object[i]);
        let here = spot.push(d.name, base.saturating_add(d.offset));
        if !str_eq(d.name, o.name) {
            return Some(LayoutDiff::Name { spot: here, declared: d, object: o, base });
        }
        if d.offset != o.offset {
            return Some(LayoutDiff::Moved { spot: here, declared: d, object: o, base });
        }
        if let Some(diff) = compare(d.ty, o.ty, here, depth + 1) {
            return Some(diff);
        }
        i += 1;
    }
    None
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// ------------------------------------------------------------------------------------------
// At run time.

/// One field where a declaration and an object's map differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDiff {
    /// The field: `type`, `key_size`, `value_size`, `max_entries`, `flags`, `pinning`,
    /// `numa_node`, `map_extra`, `inner`, `key` or `value`, with `inner ` before the fields of
    /// a map-of-maps' template.
    pub field: String,
    /// What the declaration says.
    pub declared: String,
    /// What the object says.
    pub object: String,
}

/// `value_size: declared 4, object 8`.
impl core::fmt::Display for MapDiff {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: declared {}, object {}", self.field, self.declared, self.object)
    }
}

/// Every field where `def` and the object's `map` differ (layouts through the object's
/// `btf`), in the order of the compile-time check.
pub(crate) fn diff_object_map(def: &MapDef, map: &ObjectMap, btf: Option<&Btf>) -> Vec<MapDiff> {
    let mut diffs = Vec::new();
    diff_into(&mut diffs, "", def, map, btf);
    diffs
}

fn diff_into(diffs: &mut Vec<MapDiff>, prefix: &str, def: &MapDef, map: &ObjectMap, btf: Option<&Btf>) {
    let (declared, object) = (Numbers::of_def(def), Numbers::of_object(map));
    let text = |field, numbers: &Numbers| {
        let mut m = Message::new();
        write_field(&mut m, field, numbers);
        m.as_str().to_string()
    };
    for (field, name) in FIELDS.iter().enumerate() {
        if differs(field, &declared, &object) {
            diffs.push(MapDiff {
                field: format!("{prefix}{name}"),
                declared: text(field, &declared),
                object: text(field, &object),
            });
        }
    }
    if let Some(btf) = btf {
        for (field, desc, id) in
            [("key", def.key_type, map.key_type), ("value", def.value_type, map.value_type)]
        {
            if let (Some(desc), Some(id)) = (desc, id)
                && let Some(d) = crate::btf::diff_layout(desc, btf, id)
            {
                let declared = if d.declared.starts_with(&d.path) {
                    d.declared
                } else {
                    format!("{} {}", d.path, d.declared)
                };
                diffs.push(MapDiff { field: format!("{prefix}{field}"), declared, object: d.found });
            }
        }
    }
    if !prefix.is_empty() {
        return;
    }
    let type_name = |raw| {
        let mut m = Message::new();
        m.map_type(raw);
        m.as_str().to_string()
    };
    match (def.inner, &map.inner) {
        (Some(d), Some(o)) => diff_into(diffs, "inner ", d, o, btf),
        (Some(d), None) => diffs.push(MapDiff {
            field: "inner".into(),
            declared: type_name(d.map_type.raw()),
            object: "none".into(),
        }),
        (None, Some(o)) => diffs.push(MapDiff {
            field: "inner".into(),
            declared: "none".into(),
            object: type_name(o.map_type),
        }),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::{BtfBuilder, U8, U16, U32, U64};

    /// The compile-time text of the layout difference of `declared` and `object`.
    fn at_compile_time(declared: &'static TypeDesc, object: &'static TypeDesc) -> Option<String> {
        let mut m = Message::new();
        let mut count = 0;
        write_layout_diff(&mut m, "", "key", declared, object, &mut count);
        (count > 0).then(|| m.as_str().to_string())
    }

    /// The run-time text, from the object's type encoded as BTF and read back.
    fn at_run_time(declared: &'static TypeDesc, object: &'static TypeDesc) -> Option<String> {
        let mut builder = BtfBuilder::new();
        let id = builder.add(object).unwrap();
        let btf = Btf::parse(&builder.finish()).unwrap();
        let d = crate::btf::diff_layout(declared, &btf, id)?;
        let declared =
            if d.declared.starts_with(&d.path) { d.declared } else { format!("{} {}", d.path, d.declared) };
        Some(MapDiff { field: "key".into(), declared, object: d.found }.to_string())
    }

    const fn key(members: &'static [Member], size: u32) -> TypeDesc {
        TypeDesc::Struct { name: "FlowKey", size, members }
    }

    static DECLARED: TypeDesc = key(
        &[
            Member { name: "saddr", offset: 0, ty: &U32 },
            Member { name: "daddr", offset: 4, ty: &U32 },
            Member { name: "sport", offset: 8, ty: &U16 },
            Member { name: "dport", offset: 10, ty: &U16 },
        ],
        12,
    );

    #[test]
    fn both_checks_say_the_same_words() {
        static WIDER: TypeDesc = key(
            &[
                Member { name: "saddr", offset: 0, ty: &U32 },
                Member { name: "daddr", offset: 4, ty: &U32 },
                Member { name: "sport", offset: 8, ty: &U32 },
            ],
            12,
        );
        static RENAMED: TypeDesc = key(
            &[
                Member { name: "src", offset: 0, ty: &U32 },
                Member { name: "daddr", offset: 4, ty: &U32 },
                Member { name: "sport", offset: 8, ty: &U16 },
                Member { name: "dport", offset: 10, ty: &U16 },
            ],
            12,
        );
        static LONGER: TypeDesc = key(
            &[
                Member { name: "saddr", offset: 0, ty: &U32 },
                Member { name: "daddr", offset: 4, ty: &U32 },
                Member { name: "sport", offset: 8, ty: &U16 },
                Member { name: "dport", offset: 10, ty: &U16 },
                Member { name: "proto", offset: 12, ty: &U8 },
            ],
            16,
        );
        static PADDED: TypeDesc = key(
            &[
                Member { name: "saddr", offset: 0, ty: &U32 },
                Member { name: "daddr", offset: 4, ty: &U32 },
                Member { name: "sport", offset: 8, ty: &U16 },
                Member { name: "dport", offset: 10, ty: &U16 },
            ],
            16,
        );
        static BYTES: TypeDesc = TypeDesc::Array { elem: &U8, len: 12 };
        static PORT: TypeDesc = TypeDesc::Typedef { name: "Port", ty: &U16 };
        let cases: [(&'static TypeDesc, &'static TypeDesc, &str); 7] = [
            (&DECLARED, &WIDER, "key: declared FlowKey.sport u16 at 8, object u32 at 8"),
            (&DECLARED, &RENAMED, "key: declared FlowKey.saddr `saddr` u32 at 0, object `src` u32 at 0"),
            (&DECLARED, &LONGER, "key: declared FlowKey.proto no such field, object u8 at 12"),
            (&DECLARED, &PADDED, "key: declared FlowKey 12 bytes, object 16 bytes (struct FlowKey)"),
            (&U64, &U32, "key: declared u64, object u32"),
            (&DECLARED, &BYTES, "key: declared FlowKey, object u8[12]"),
            (&PORT, &U32, "key: declared Port u16, object u32"),
        ];
        for (declared, object, expected) in cases {
            assert_eq!(at_compile_time(declared, object).as_deref(), Some(expected));
            assert_eq!(at_run_time(declared, object).as_deref(), Some(expected));
        }
        assert_eq!(at_compile_time(&DECLARED, &DECLARED), None);
        assert_eq!(at_run_time(&DECLARED, &DECLARED), None);
        // The missing field, the other way round.
        assert_eq!(at_compile_time(&LONGER, &DECLARED), at_run_time(&LONGER, &DECLARED));
    }

    #[test]
    fn numbers_are_compared_and_written_as_one() {
        let mut def = MapDef::new(crate::MapType::HASH, 4, 8, 100);
        def.flags = MapFlags::NO_PREALLOC;
        let declared = Numbers::of_def(&def);
        let object = Numbers { max_entries: 1024, flags: 0, pinning: 1, ..declared };
        let mut m = Message::new();
        let mut count = 0;
        write_number_diffs(&mut m, "", &declared, &object, &mut count);
        assert_eq!(count, 3);
        assert_eq!(
            m.as_str(),
            "max_entries: declared 100, object 1024; flags: declared no_prealloc, object none; pinning: declared none, object by_name"
        );
        // A NUMA node counts only where a side asks for one.
        let elsewhere = Numbers { numa_node: 3, ..declared };
        let mut count = 0;
        write_number_diffs(&mut Message::new(), "", &declared, &elsewhere, &mut count);
        assert_eq!(count, 0);
    }
}
