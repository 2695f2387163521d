//! Legacy maps: `struct bpf_map_def` records in a section named `maps`, each named by a symbol
//! that points into it, read as libbpf before 1.0 read them (`bpf_object__init_user_maps`,
//! libbpf v0.8 libbpf.c; libbpf 1.0 refuses the section outright).

use crate::rules::MapType;

use super::elf::{ElfObject, Section};
use super::error::{ObjectError, ObjectErrorKind};
use super::{MapSource, ObjectMap};

/// `sizeof(struct bpf_map_def)`: `type`, `key_size`, `value_size`, `max_entries`, `map_flags`.
const DEF_LEN: usize = 20;

fn legacy(detail: String, map: Option<&str>) -> ObjectError {
    ObjectError { kind: ObjectErrorKind::Legacy { detail }, map: map.map(str::to_owned) }
}

/// The maps of the `maps` section, in symbol-table order.
pub(super) fn read(elf: &ElfObject<'_>, section: Section<'_>) -> Result<Vec<ObjectMap>, ObjectError> {
    let data = elf.data(section, "maps")?;
    let symbols = elf.symbols_in(section)?.ok_or_else(|| {
        legacy("the legacy `maps` section has no symbol table to name its maps".to_owned(), None)
    })?;
    // libbpf has no size in the object to go by: it assumes equal records, one per symbol.
    let count = symbols.len();
    if data.is_empty() || count == 0 || data.len() % count != 0 {
        return Err(legacy(
            format!(
                "the legacy `maps` section is {} bytes for {count} map symbols, which does not tell the \
                 size of one definition (libbpf takes it as the section's size over the number of \
                 symbols)",
                data.len()
            ),
            None,
        ));
    }
    let record = data.len() / count;
    symbols
        .iter()
        .map(|symbol| {
            let name = std::str::from_utf8(symbol.name).map_err(|e| {
                legacy(
                    format!("a symbol of the legacy `maps` section has a name that is not UTF-8: {e}"),
                    None,
                )
            })?;
            let error = |detail: String| legacy(detail, Some(name));
            if symbol.local {
                return Err(error("is static; libbpf takes only global legacy maps".to_owned()));
            }
            let bytes = usize::try_from(symbol.value)
                .ok()
                .and_then(|start| data.get(start..start.checked_add(record)?))
                .ok_or_else(|| {
                    error(format!(
                        "its {record}-byte definition at offset {} runs past the end of the {}-byte legacy \
                         `maps` section",
                        symbol.value,
                        data.len()
                    ))
                })?;
            read_def(elf, name, bytes)
        })
        .collect()
}

/// One record, as libbpf copies it into its `struct bpf_map_def`: a shorter record leaves the
/// last fields 0; a longer one is refused unless its extra bytes are all 0.
fn read_def(elf: &ElfObject<'_>, name: &str, bytes: &[u8]) -> Result<ObjectMap, ObjectError> {
    let (known, extra) = bytes.split_at(bytes.len().min(DEF_LEN));
    if extra.iter().any(|&b| b != 0) {
        return Err(legacy(
            format!(
                "its {}-byte definition has non-zero bytes past the {DEF_LEN} of struct bpf_map_def \
             (type, key_size, value_size, max_entries, map_flags): options libbpf does not know",
                bytes.len()
            ),
            Some(name),
        ));
    }
    let mut def = [0u8; DEF_LEN];
    def[..known.len()].copy_from_slice(known);
    let [map_type, key_size, value_size, max_entries, flags] =
        [0, 4, 8, 12, 16].map(|at| elf.u32_at([def[at], def[at + 1], def[at + 2], def[at + 3]]));
    if map_type == 0 {
        return Err(ObjectError::for_map(ObjectErrorKind::NoMapType, name));
    }
    if MapType::from_raw(map_type).rules().is_none() {
        return Err(ObjectError::for_map(ObjectErrorKind::UnknownMapType { map_type }, name));
    }
    Ok(ObjectMap {
        name: name.to_owned(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags,
        pinning: 0,
        numa_node: 0,
        map_extra: 0,
        key_type: None,
        value_type: None,
        inner: None,
        source: MapSource::Legacy,
    })
}
