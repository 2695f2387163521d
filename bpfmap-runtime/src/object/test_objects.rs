//! In-memory objects for the tests that need no clang (and run under Miri): BTF-defined maps
//! written type by type as libbpf's macros encode them, legacy records, and the ELF around
//! them.

use super::test_elf::{PROGBITS, TestElf};
use crate::btf::test_blob::RawBtf;

/// `info` words of the BTF kinds the tests write.
pub(super) const PTR: u32 = 2 << 24;
pub(super) const ARRAY: u32 = 3 << 24;
pub(super) const STRUCT: u32 = 4 << 24;
pub(super) const ENUM: u32 = 6 << 24;
pub(super) const TYPEDEF: u32 = 8 << 24;
pub(super) const FUNC_PROTO: u32 = 13 << 24;
pub(super) const VAR: u32 = 14 << 24;
pub(super) const DATASEC: u32 = 15 << 24;
pub(super) const ENUM64: u32 = 19 << 24;

/// The BTF of maps in `.maps`, written the way clang writes libbpf's macros.
pub(super) struct MapsBtf {
    raw: RawBtf,
    last: u32,
    /// The `.maps` variables: type id and size.
    vars: Vec<(u32, u32)>,
}

impl MapsBtf {
    /// Type 1 is `int`.
    pub(super) fn new() -> MapsBtf {
        MapsBtf { raw: RawBtf::new().int("int", 4, 1), last: 1, vars: Vec::new() }
    }

    /// The id of `int`.
    pub(super) const INT: u32 = 1;

    /// Any record; its id.
    pub(super) fn raw(&mut self, name: &str, info: u32, size_or_type: u32, extra: &[u32]) -> u32 {
        let name = if name.is_empty() { 0 } else { self.raw.string(name) };
        let raw = std::mem::replace(&mut self.raw, RawBtf::new());
        self.raw = raw.raw_type(name, info, size_or_type, extra);
        self.last += 1;
        self.last
    }

    /// A pointer to `to`.
    pub(super) fn ptr(&mut self, to: u32) -> u32 {
        self.raw("", PTR, to, &[])
    }

    /// `__uint(name, n)`'s type: a pointer to an array of `n` ints.
    pub(super) fn uint(&mut self, n: u32) -> u32 {
        let array = self.raw("", ARRAY, 0, &[Self::INT, Self::INT, n]);
        self.ptr(array)
    }

    /// A struct of 8-byte members (pointers, as in map definitions).
    pub(super) fn strukt(&mut self, name: &str, members: &[(&str, u32)]) -> u32 {
        let mut extra = Vec::new();
        for (i, &(member, ty)) in members.iter().enumerate() {
            extra.extend([self.raw.string(member), ty, i as u32 * 64]);
        }
        self.raw(name, STRUCT | members.len() as u32, 8 * members.len() as u32, &extra)
    }

    /// A global map `name` of an anonymous definition struct of `members`; the struct's id.
    pub(super) fn map(&mut self, name: &str, members: &[(&str, u32)]) -> u32 {
        let def = self.strukt("", members);
        self.var(name, def, 1, 8 * members.len() as u32);
        def
    }

    /// A `VAR` of `ty` with `linkage`, listed in `.maps` with `size`; its id.
    pub(super) fn var(&mut self, name: &str, ty: u32, linkage: u32, size: u32) -> u32 {
        let var = self.raw(name, VAR, ty, &[linkage]);
        self.vars.push((var, size));
        var
    }

    /// Lists `id` in `.maps` as it is (a `VAR` or not), at offset 0 with `size`.
    pub(super) fn list(&mut self, id: u32, size: u32) {
        self.vars.push((id, size));
    }

    /// The blob, with the `.maps` `DATASEC` last (offsets 0, size 0, as clang writes it).
    pub(super) fn finish(mut self) -> Vec<u8> {
        let vars: Vec<u32> = self.vars.iter().flat_map(|&(id, size)| [id, 0, size]).collect();
        self.raw(".maps", DATASEC | self.vars.len() as u32, 0, &vars);
        self.raw.finish()
    }

    /// The blob without a `.maps` `DATASEC`.
    pub(super) fn finish_without_datasec(self) -> Vec<u8> {
        self.raw.finish()
    }
}

/// An object of `btf` in `.BTF` and a `.maps` section of `maps_size` zero bytes.
pub(super) fn btf_object(btf: Vec<u8>, maps_size: usize) -> Vec<u8> {
    let mut elf = TestElf::new();
    elf.section(".maps", PROGBITS, vec![0; maps_size]);
    elf.section(".BTF", PROGBITS, btf);
    elf.finish()
}

/// The BTF of one hash map `counts`: `int` keys and values, 10 entries, plus `extra` members.
pub(super) fn counts_btf(extra: impl FnOnce(&mut MapsBtf) -> Vec<(&'static str, u32)>) -> MapsBtf {
    let mut btf = MapsBtf::new();
    let ty = btf.uint(1);
    let max = btf.uint(10);
    let int_ptr = btf.ptr(MapsBtf::INT);
    let mut members = vec![("type", ty), ("max_entries", max), ("key", int_ptr), ("value", int_ptr)];
    members.extend(extra(&mut btf));
    btf.map("counts", &members);
    btf
}

/// An object of `counts` and `extra` members, with a `.maps` section large enough.
pub(super) fn counts_object(extra: impl FnOnce(&mut MapsBtf) -> Vec<(&'static str, u32)>) -> Vec<u8> {
    btf_object(counts_btf(extra).finish(), 256)
}

/// An object of every encoding: `__uint`, `__type` of a typedef'd struct, `__ulong`, pinning,
/// a map-of-maps with its template, a prog array; and legacy maps beside them.
pub(super) fn sample_object() -> Vec<u8> {
    let mut btf = MapsBtf::new();
    let key = btf.strukt("flow_key", &[("addr", MapsBtf::INT)]);
    let key_t = btf.raw("flow_key_t", TYPEDEF, key, &[]);
    let (hash, array, aom, prog_array, bloom) =
        (btf.uint(1), btf.uint(2), btf.uint(12), btf.uint(3), btf.uint(30));
    let (max, by_name, four) = (btf.uint(100), btf.uint(1), btf.uint(4));
    let key_ptr = btf.ptr(key_t);
    let int_ptr = btf.ptr(MapsBtf::INT);
    btf.map(
        "flows",
        &[("type", hash), ("max_entries", max), ("key", key_ptr), ("value", int_ptr), ("pinning", by_name)],
    );
    let extra = btf.raw("", ENUM | 1, 4, &[0, 7]);
    btf.map("bloom", &[("type", bloom), ("max_entries", max), ("value", int_ptr), ("map_extra", extra)]);
    let inner = btf
        .strukt("inner", &[("type", array), ("max_entries", four), ("key_size", four), ("value_size", four)]);
    let inner_ptr = btf.ptr(inner);
    let values = btf.raw("", ARRAY, 0, &[inner_ptr, MapsBtf::INT, 0]);
    btf.map("outer", &[("type", aom), ("max_entries", four), ("key", int_ptr), ("values", values)]);
    let proto = btf.raw("", FUNC_PROTO, MapsBtf::INT, &[]);
    let proto_ptr = btf.ptr(proto);
    let programs = btf.raw("", ARRAY, 0, &[proto_ptr, MapsBtf::INT, 0]);
    btf.map("jumps", &[("type", prog_array), ("max_entries", four), ("key", int_ptr), ("values", programs)]);

    let mut elf = TestElf::new();
    elf.section(".maps", PROGBITS, vec![0; 256]);
    elf.section(".BTF", PROGBITS, btf.finish());
    let records = elf.words(&[1, 4, 8, 16, 0, 2, 4, 4, 1, 0]);
    let maps = elf.section("maps", PROGBITS, records);
    elf.symbol(b"legacy_hash", maps, 0, true);
    elf.symbol(b"legacy_array", maps, 20, true);
    elf.finish()
}

/// An object of only legacy maps, `records` in `maps` named by `names` (`(name, offset)`).
pub(super) fn legacy_object(big_endian: bool, records: &[u32], names: &[(&str, u64)]) -> Vec<u8> {
    let mut elf = TestElf::new();
    elf.big_endian = big_endian;
    let data = elf.words(records);
    let maps = elf.section("maps", PROGBITS, data);
    for &(name, offset) in names {
        elf.symbol(name.as_bytes(), maps, offset, true);
    }
    elf.finish()
}
