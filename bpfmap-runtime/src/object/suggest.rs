//! A declaration for a map of an object: what the compile-time and run-time checks propose
//! for a map that Rust does not declare.

use super::ObjectMap;
use crate::btf::{Btf, TypeData};
use crate::rules::{MapFlags, MapType, default_map_name};

/// A `#[bpf_map]` declaration that matches `map`: its type, numbers and flags, and key and
/// value types named from the object's BTF where Rust has them (`u32` for `__u32`), else
/// bytes (`[u8; 12]`) or the C struct's name in Rust's case (to be declared with
/// `#[derive(Pod)]`).
pub fn suggest_declaration(map: &ObjectMap, btf: Option<&Btf>) -> String {
    let mut attrs = vec![format!("type = \"{}\"", MapType::from_raw(map.map_type))];
    if map.max_entries != 0 {
        attrs.push(format!("max_entries = {}", map.max_entries));
    }
    let flags = MapFlags::from_bits_retain(map.flags);
    if !flags.is_empty() {
        attrs.push(format!("flags = \"{}\"", flags.to_string().replace('|', " | ")));
    }
    if map.pinning == 1 {
        attrs.push("pin = \"by_name\"".to_string());
    }
    if map.map_extra != 0 {
        attrs.push(format!("map_extra = {}", map.map_extra));
    }
    let struct_name = camel_case(&map.name);
    if default_map_name(&struct_name) != map.kernel_name() {
        attrs.push(format!("name = \"{}\"", map.kernel_name()));
    }
    if map.inner.is_some() {
        attrs.push("inner = Template".to_string());
    }
    let ty = |id: Option<u32>, size: u32| match (id, btf) {
        (Some(id), Some(btf)) => rust_type(btf, id, size),
        _ => bytes(size),
    };
    let fields = match (map.key_size, map.value_size) {
        (0, 0) => ";".to_string(),
        (0, value) => format!(" {{ value: {} }}", ty(map.value_type, value)),
        (key, value) => {
            format!(" {{ key: {}, value: {} }}", ty(map.key_type, key), ty(map.value_type, value))
        }
    };
    format!("#[bpf_map({})] struct {struct_name}{fields}", attrs.join(", "))
}

fn bytes(size: u32) -> String {
    format!("[u8; {size}]")
}

/// A Rust type for BTF type `id` of `size` bytes: integers by size and sign, a struct by its
/// name in Rust's case, arrays of those; anything else as bytes.
fn rust_type(btf: &Btf, id: u32, size: u32) -> String {
    let Ok(resolved) = btf.resolve(id) else { return bytes(size) };
    let Ok(t) = btf.type_by_id(resolved) else { return bytes(size) };
    match &t.data {
        TypeData::Int { size: n @ (1 | 2 | 4 | 8 | 16), encoding, bits, bit_offset: 0 }
            if u32::from(*bits) == n * 8 =>
        {
            format!("{}{}", if encoding.is_signed() { "i" } else { "u" }, n * 8)
        }
        TypeData::Struct { .. } => match btf.str_at(t.name_off) {
            Ok(name) if !name.is_empty() => camel_case(name),
            _ => bytes(size),
        },
        TypeData::Array { elem, nr_elems, .. } => {
            let elem_size = btf.size_of(*elem).unwrap_or(0);
            if elem_size == 0 || elem_size.checked_mul(*nr_elems) != Some(size) {
                return bytes(size);
            }
            format!("[{}; {nr_elems}]", rust_type(btf, *elem, elem_size))
        }
        _ => bytes(size),
    }
}

/// `flow_stats` → `FlowStats`, as Rust names structs.
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(['_', '.']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Map");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_from_c_to_rust_and_back() {
        assert_eq!(camel_case("flow_stats"), "FlowStats");
        assert_eq!(camel_case("counts"), "Counts");
        assert_eq!(camel_case("_9lives"), "Map9lives");
        assert_eq!(default_map_name(&camel_case("my_map")), "my_map");
        assert_ne!(default_map_name(&camel_case("myMap")), "myMap", "then `name = ...` keeps it");
    }
}
