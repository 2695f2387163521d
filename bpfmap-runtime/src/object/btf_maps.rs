//! BTF-defined maps: the `VAR`s of the `.maps` `DATASEC`, each read as libbpf reads them
//! (`bpf_object__init_user_btf_map` and `parse_btf_map_def` in libbpf.c), with the same
//! checks and the same refusals.
//!
//! libbpf's macros encode every number in types, so that a map costs one pointer of section
//! data: `__uint(name, N)` is `int (*name)[N]`, `__type(name, T)` is `T *name`, `__ulong(name,
//! N)` an anonymous enum whose one value is `N`, `__array(values, T)` is `T *values[]`.

use crate::btf::{Btf, BtfMember, Kind, TypeData, VarSecInfo};
use crate::rules::MapType;

use super::error::{ObjectError, ObjectErrorKind};
use super::{MapSource, ObjectMap};

/// `BTF_VAR_GLOBAL_ALLOCATED`: the only linkage libbpf takes for a map.
const GLOBAL_ALLOCATED: u32 = 1;
/// `LIBBPF_PIN_BY_NAME`, the largest `pinning` libbpf knows.
const PIN_BY_NAME: u32 = 1;
/// What `__array(values, ...)` makes the value size: a map or program fd.
const FD_SIZE: u32 = 4;

/// The maps of `.maps`, in the order of the `DATASEC`'s variables. `section_size` is the size of
/// the ELF `.maps` section, which every variable's place must be inside.
pub(super) fn read(btf: &Btf, section_size: u64) -> Result<Vec<ObjectMap>, ObjectError> {
    let datasec = btf
        .find_by_name(Kind::Datasec, ".maps")
        .ok_or_else(|| ObjectError::new(ObjectErrorKind::NoMapsDatasec))?;
    let vars = btf.datasec_vars(datasec).map_err(|e| bad_var(format!("the .maps DATASEC: {e}"), None))?;
    vars.iter().enumerate().map(|(index, var)| read_var(btf, index, var, section_size)).collect()
}

fn bad_var(detail: String, map: Option<&str>) -> ObjectError {
    ObjectError { kind: ObjectErrorKind::BadMapVar { detail }, map: map.map(str::to_owned) }
}

/// The kind of type `id`, for messages.
fn kind_of(btf: &Btf, id: u32) -> &'static str {
    btf.type_by_id(id).map(|t| t.kind().name()).unwrap_or("a type that does not exist")
}

/// One variable of `.maps`, checked as `bpf_object__init_user_btf_map` checks it.
fn read_var(btf: &Btf, index: usize, var: &VarSecInfo, section_size: u64) -> Result<ObjectMap, ObjectError> {
    let name =
        btf.name(var.ty).map_err(|e| bad_var(format!("map #{index} of .maps: its name: {e}"), None))?;
    if name.is_empty() {
        return Err(bad_var(format!("map #{index} of .maps has no name"), None));
    }
    let bad = |detail: String| bad_var(detail, Some(name));
    let end = u64::from(var.offset) + u64::from(var.size);
    if end > section_size {
        return Err(bad(format!(
            "the .maps DATASEC places it at bytes {}..{end}, past the end of the {section_size}-byte .maps \
             section",
            var.offset
        )));
    }
    let (ty, linkage) = match btf.type_by_id(var.ty).map(|t| &t.data) {
        Ok(&TypeData::Var { ty, linkage }) => (ty, linkage),
        _ => return Err(bad(format!("it is {}, not a VAR", kind_of(btf, var.ty)))),
    };
    if linkage != GLOBAL_ALLOCATED {
        let what = match linkage {
            0 => "a static variable",
            2 => "an extern variable",
            _ => "a variable of unknown linkage",
        };
        return Err(bad(format!("it is {what} (linkage {linkage}); libbpf takes only global maps")));
    }
    let def = btf.resolve(ty).map_err(|e| bad(format!("its type: {e}")))?;
    let (size, members) = match btf.type_by_id(def).map(|t| &t.data) {
        Ok(TypeData::Struct { size, members }) => (*size, members),
        _ => {
            return Err(bad(format!(
                "its type is {}, not a struct of libbpf's __uint/__type members",
                kind_of(btf, def)
            )));
        }
    };
    if size > var.size {
        return Err(bad(format!(
            "its definition is {size} bytes, more than the {} bytes of its variable in .maps",
            var.size
        )));
    }
    read_def(btf, name, members, false)
}

/// A map definition's members, read as `parse_btf_map_def` reads them: in order, each
/// number checked against those read before it. `inner` is true for the template of a
/// map-of-maps, which may be neither pinned nor a map-of-maps itself.
fn read_def(btf: &Btf, name: &str, members: &[BtfMember], inner: bool) -> Result<ObjectMap, ObjectError> {
    let mut map = ObjectMap {
        name: name.to_owned(),
        map_type: 0,
        key_size: 0,
        value_size: 0,
        max_entries: 0,
        flags: 0,
        pinning: 0,
        numa_node: 0,
        map_extra: 0,
        key_type: None,
        value_type: None,
        inner: None,
        source: MapSource::Btf,
    };
    let error = |kind| ObjectError::for_map(kind, name);
    for (i, member) in members.iter().enumerate() {
        let field = btf.str_at(member.name_off).map_err(|e| {
            error(ObjectErrorKind::BadField {
                field: format!("#{i}"),
                detail: format!("has no readable name: {e}"),
            })
        })?;
        let bad = |detail: String| error(ObjectErrorKind::BadField { field: field.to_owned(), detail });
        let set_size = |size: &mut u32, new: u32, what: &'static str| {
            // As libbpf: a size of 0 given first conflicts with nothing.
            if *size != 0 && *size != new {
                return Err(error(ObjectErrorKind::SizeConflict { what, first: *size, second: new }));
            }
            *size = new;
            Ok(())
        };
        match field {
            "type" => map.map_type = uint(btf, member).map_err(bad)?,
            "max_entries" => map.max_entries = uint(btf, member).map_err(bad)?,
            "map_flags" => map.flags = uint(btf, member).map_err(bad)?,
            "numa_node" => map.numa_node = uint(btf, member).map_err(bad)?,
            "key_size" => set_size(&mut map.key_size, uint(btf, member).map_err(bad)?, "key")?,
            "value_size" => set_size(&mut map.value_size, uint(btf, member).map_err(bad)?, "value")?,
            "key" => {
                let (ty, size) = typed(btf, member, "key").map_err(bad)?;
                set_size(&mut map.key_size, size, "key")?;
                map.key_type = Some(ty);
            }
            "value" => {
                let (ty, size) = typed(btf, member, "value").map_err(bad)?;
                set_size(&mut map.value_size, size, "value")?;
                map.value_type = Some(ty);
            }
            "values" => {
                if inner {
                    return Err(bad("is in the template of a map-of-maps: libbpf supports one level of \
                                    maps of maps"
                        .to_owned()));
                }
                if i + 1 != members.len() {
                    return Err(bad("must be the last member of the definition".to_owned()));
                }
                let map_type = MapType::from_raw(map.map_type);
                let map_in_map = map_type == MapType::ARRAY_OF_MAPS || map_type == MapType::HASH_OF_MAPS;
                if !map_in_map && map_type != MapType::PROG_ARRAY {
                    return Err(bad(format!(
                        "is for maps of maps and prog arrays, and the map type is {map_type} (a `type` \
                         before `values` gives it)"
                    )));
                }
                set_size(&mut map.value_size, FD_SIZE, "value")?;
                let template = array_target(btf, member).map_err(bad)?;
                if map_in_map {
                    let members = match btf.type_by_id(template).map(|t| &t.data) {
                        Ok(TypeData::Struct { members, .. }) => members,
                        _ => {
                            return Err(bad(format!(
                                "points to {}, where the template of a map-of-maps is a struct",
                                kind_of(btf, template)
                            )));
                        }
                    };
                    let inner_map = read_def(btf, &format!("{name}.inner"), members, true)?;
                    map.inner = Some(Box::new(inner_map));
                } else if !matches!(btf.type_by_id(template).map(|t| t.kind()), Ok(Kind::FuncProto)) {
                    return Err(bad(format!(
                        "points to {}, where the programs of a prog array are FUNC_PROTOs",
                        kind_of(btf, template)
                    )));
                }
            }
            "pinning" => {
                if inner {
                    return Err(bad(
                        "is set in the template of a map-of-maps, which cannot be pinned".to_owned()
                    ));
                }
                let pinning = uint(btf, member).map_err(bad)?;
                if pinning > PIN_BY_NAME {
                    return Err(bad(format!(
                        "is {pinning}; libbpf knows 0 (LIBBPF_PIN_NONE) and 1 (LIBBPF_PIN_BY_NAME)"
                    )));
                }
                map.pinning = pinning;
            }
            "map_extra" => map.map_extra = ulong(btf, member).map_err(bad)?,
            _ => return Err(error(ObjectErrorKind::UnknownField { field: field.to_owned() })),
        }
    }
    if map.map_type == 0 {
        return Err(error(ObjectErrorKind::NoMapType));
    }
    if MapType::from_raw(map.map_type).rules().is_none() {
        return Err(error(ObjectErrorKind::UnknownMapType { map_type: map.map_type }));
    }
    Ok(map)
}

/// `__uint(name, N)`: a pointer (through typedefs and qualifiers) to an array of `N` elements,
/// as `get_map_field_int` reads it (the array itself is taken as it is, without skipping).
fn uint(btf: &Btf, member: &BtfMember) -> Result<u32, String> {
    const WANT: &str = "is not a __uint (a pointer to an array)";
    let ptr = btf.resolve(member.ty).map_err(|e| format!("{WANT}: {e}"))?;
    let target = match btf.type_by_id(ptr).map(|t| &t.data) {
        Ok(&TypeData::Ptr { ty }) => ty,
        _ => return Err(format!("{WANT}: found {}", kind_of(btf, ptr))),
    };
    match btf.type_by_id(target).map(|t| &t.data) {
        Ok(&TypeData::Array { nr_elems, .. }) => Ok(nr_elems),
        _ => Err(format!("{WANT}: found a pointer to {}", kind_of(btf, target))),
    }
}

/// `__ulong(name, N)` (an enum of one value, `N`) or `__uint(name, N)`, as `get_map_field_long`
/// reads them.
fn ulong(btf: &Btf, member: &BtfMember) -> Result<u64, String> {
    const WANT: &str = "is not a __ulong (an enum of one value) or a __uint (a pointer to an array)";
    let id = btf.resolve(member.ty).map_err(|e| format!("{WANT}: {e}"))?;
    let (values, wide) = match btf.type_by_id(id).map(|t| &t.data) {
        Ok(TypeData::Ptr { .. }) => return uint(btf, member).map(u64::from),
        Ok(TypeData::Enum { values, .. }) => (values, false),
        Ok(TypeData::Enum64 { values, .. }) => (values, true),
        _ => return Err(format!("{WANT}: found {}", kind_of(btf, id))),
    };
    match values.as_slice() {
        // libbpf reads a 32-bit enum's value as the `__s32` of `struct btf_enum`, sign
        // extended whatever the enum's signedness: take what it would give the kernel.
        [value] if !wide => Ok(value.value as u32 as i32 as i64 as u64),
        [value] => Ok(value.value),
        _ => Err(format!("{WANT}: found an enum of {} values", values.len())),
    }
}

/// `__type(name, T)`: a pointer to `T`, as `parse_btf_map_def` reads `key` and `value` (the
/// pointer taken as it is, without skipping typedefs); `T`'s id and size.
fn typed(btf: &Btf, member: &BtfMember, what: &str) -> Result<(u32, u32), String> {
    let target = match btf.type_by_id(member.ty).map(|t| &t.data) {
        Ok(&TypeData::Ptr { ty }) => ty,
        _ => {
            return Err(format!(
                "is not a __type (a pointer to the {what} type): found {}",
                kind_of(btf, member.ty)
            ));
        }
    };
    let size = btf.size_of(target).map_err(|e| format!("is a type whose size cannot be known: {e}"))?;
    Ok((target, size))
}

/// `__array(values, T)`: a zero-length array of pointers to `T`; `T` (through typedefs and
/// qualifiers).
fn array_target(btf: &Btf, member: &BtfMember) -> Result<u32, String> {
    const WANT: &str = "is not an __array (a zero-length array of pointers)";
    let elem = match btf.type_by_id(member.ty).map(|t| &t.data) {
        Ok(&TypeData::Array { elem, nr_elems: 0, .. }) => elem,
        Ok(&TypeData::Array { nr_elems, .. }) => return Err(format!("{WANT}: found an array of {nr_elems}")),
        _ => return Err(format!("{WANT}: found {}", kind_of(btf, member.ty))),
    };
    let ptr = btf.resolve(elem).map_err(|e| format!("{WANT}: {e}"))?;
    let target = match btf.type_by_id(ptr).map(|t| &t.data) {
        Ok(&TypeData::Ptr { ty }) => ty,
        _ => return Err(format!("{WANT}: found an array of {}", kind_of(btf, ptr))),
    };
    btf.resolve(target).map_err(|e| format!("{WANT}: {e}"))
}
