//! Tests on objects written in memory (no clang, no files: they run under Miri): what a valid
//! object reads as, and the exact error for each malformed one.

use super::test_elf::{NOBITS, PROGBITS, TestElf};
use super::test_objects::{
    ARRAY, DATASEC, ENUM, ENUM64, FUNC_PROTO, MapsBtf, STRUCT, TYPEDEF, VAR, btf_object, counts_btf,
    counts_object, legacy_object, sample_object,
};
use super::*;
use crate::btf::{BtfErrorKind, Kind};

fn err(bytes: &[u8]) -> ObjectError {
    Object::parse(bytes).expect_err("a malformed object")
}

/// The error's kind and message, for one `assert_eq!`.
fn err_text(bytes: &[u8]) -> (ObjectErrorKind, String) {
    let e = err(bytes);
    (e.kind.clone(), e.to_string())
}

fn field(field: &str, detail: &str) -> ObjectErrorKind {
    ObjectErrorKind::BadField { field: field.to_owned(), detail: detail.to_owned() }
}

fn bad_var(detail: &str) -> ObjectErrorKind {
    ObjectErrorKind::BadMapVar { detail: detail.to_owned() }
}

fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> ObjectMap {
    ObjectMap {
        name: name.to_owned(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
        pinning: 0,
        numa_node: 0,
        map_extra: 0,
        key_type: None,
        value_type: None,
        inner: None,
        source: MapSource::Btf,
    }
}

#[test]
fn reads_every_encoding_of_a_hand_written_object() {
    let object = Object::parse(&sample_object()).unwrap();
    let btf = object.btf().unwrap();
    let names: Vec<&str> = object.maps().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["flows", "bloom", "outer", "jumps", "legacy_hash", "legacy_array"]);

    let flows = object.map("flows").unwrap();
    let key = flows.key_type.unwrap();
    assert_eq!(btf.name(key), Ok("flow_key_t"));
    assert_eq!(btf.name(btf.resolve(key).unwrap()), Ok("flow_key"));
    assert_eq!(btf.name(flows.value_type.unwrap()), Ok("int"));
    assert_eq!(
        *flows,
        ObjectMap {
            pinning: 1,
            key_type: flows.key_type,
            value_type: flows.value_type,
            ..map("flows", 1, 8, 4, 100)
        }
    );
    assert_eq!(
        *object.map("bloom").unwrap(),
        ObjectMap { map_extra: 7, value_type: flows.value_type, ..map("bloom", 30, 0, 4, 100) }
    );
    assert_eq!(
        *object.map("outer").unwrap(),
        ObjectMap {
            key_type: flows.value_type,
            inner: Some(Box::new(map("outer.inner", 2, 4, 4, 4))),
            ..map("outer", 12, 4, 4, 4)
        }
    );
    assert_eq!(
        *object.map("jumps").unwrap(),
        ObjectMap { key_type: flows.value_type, ..map("jumps", 3, 4, 4, 4) }
    );
    assert_eq!(
        object.maps()[4..],
        [
            ObjectMap { source: MapSource::Legacy, ..map("legacy_hash", 1, 4, 8, 16) },
            ObjectMap { source: MapSource::Legacy, ..map("legacy_array", 2, 4, 4, 1) },
        ]
    );
    assert_eq!(object.map("nope"), None);
}

#[test]
fn reads_input_at_any_alignment() {
    let bytes = sample_object();
    let expected = Object::parse(&bytes).unwrap();
    for shift in 1..8 {
        let mut shifted = vec![0u8; shift];
        shifted.extend_from_slice(&bytes);
        let object = Object::parse(&shifted[shift..]).unwrap();
        assert_eq!(object.maps(), expected.maps());
    }
}

#[test]
fn an_object_without_maps_has_none() {
    let mut elf = TestElf::new();
    elf.section(".text", PROGBITS, vec![0; 16]);
    let object = Object::parse(&elf.finish()).unwrap();
    assert!(object.maps().is_empty());
    assert!(object.btf().is_none());
}

#[test]
fn refuses_what_is_not_a_bpf_object() {
    assert_eq!(
        err_text(b""),
        (ObjectErrorKind::NotElf, "not an ELF file (it does not start with \\x7fELF)".to_owned())
    );
    assert_eq!(err(b"#!/bin/sh\necho hello\n").kind, ObjectErrorKind::NotElf);
    assert_eq!(
        err(b"\x7fELF").to_string(),
        "malformed ELF: the header is truncated: the file is 4 bytes, shorter than the 64-byte ELF64 header"
    );
    let good = TestElf::new().finish();
    assert_eq!(
        err(&good[..40]).to_string(),
        "malformed ELF: the header is truncated: the file is 40 bytes, shorter than the 64-byte ELF64 header"
    );

    let mut bytes = good.clone();
    bytes[4] = 1;
    assert_eq!(
        err_text(&bytes),
        (
            ObjectErrorKind::NotElf64 { class: 1 },
            "not a BPF object: a 32-bit ELF file, where BPF objects are 64-bit".to_owned()
        )
    );
    bytes[4] = 0;
    assert_eq!(err(&bytes).kind, ObjectErrorKind::NotElf64 { class: 0 });
    bytes = good.clone();
    bytes[5] = 3;
    assert_eq!(
        err(&bytes).to_string(),
        "malformed ELF: EI_DATA is 3, neither little-endian (1) nor big-endian (2)"
    );
    bytes = good.clone();
    bytes[6] = 2; // EI_VERSION
    assert_eq!(err(&bytes).to_string(), "malformed ELF: the header: Unsupported ELF header");

    let mut elf = TestElf::new();
    elf.machine = 62;
    assert_eq!(
        err_text(&elf.finish()),
        (ObjectErrorKind::NotBpf { machine: 62 }, "not a BPF object: ELF machine 62 (x86-64)".to_owned())
    );
    elf.machine = 9999;
    assert_eq!(err(&elf.finish()).to_string(), "not a BPF object: ELF machine 9999, not BPF (247)");
    // Old LLVM wrote EM_NONE: libbpf takes it, and so do we.
    elf.machine = 0;
    assert!(Object::parse(&elf.finish()).is_ok());

    let mut elf = TestElf::new();
    elf.elf_type = 2;
    assert_eq!(
        err_text(&elf.finish()),
        (
            ObjectErrorKind::NotRelocatable { elf_type: 2 },
            "not a BPF object file: ELF type 2 (an executable), where `clang -c` writes a relocatable \
             object (type 1)"
                .to_owned()
        )
    );
}

#[test]
#[cfg_attr(miri, ignore = "reads a file")]
fn refuses_this_test_binary() {
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let e = err(&exe);
    let machine = match std::env::consts::ARCH {
        "x86_64" => 62,
        "aarch64" => 183,
        other => panic!("add {other}'s e_machine here"),
    };
    assert_eq!(e.kind, ObjectErrorKind::NotBpf { machine });
    assert!(e.to_string().starts_with(&format!("not a BPF object: ELF machine {machine} (")), "{e}");
}

#[test]
fn refuses_broken_section_tables() {
    let good = counts_object(|_| vec![]);
    // The section table is last: any cut truncates it.
    for cut in [1, 64, 65 * 3] {
        let (kind, text) = err_text(&good[..good.len() - cut]);
        assert!(matches!(kind, ObjectErrorKind::Malformed { .. }), "{kind:?}");
        assert_eq!(
            text,
            "malformed ELF: the section table: Invalid ELF section header offset/size/alignment"
        );
    }
    // e_shoff past the end.
    let mut bytes = good.clone();
    bytes[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        err(&bytes).to_string(),
        "malformed ELF: the section table: Invalid ELF section header offset/size/alignment"
    );
    // e_shnum of 65535 sections: a count the file cannot hold, refused before any allocation.
    bytes = good.clone();
    bytes[60..62].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(matches!(err(&bytes).kind, ObjectErrorKind::Malformed { .. }));
    // e_shstrndx out of range.
    bytes = good.clone();
    bytes[62..64].copy_from_slice(&200u16.to_le_bytes());
    assert_eq!(err(&bytes).to_string(), "malformed ELF: the section table: Invalid ELF e_shstrndx");
    // A section name past the name table.
    bytes = good.clone();
    let at = TestElf::section_header(&bytes, 1);
    bytes[at..at + 4].copy_from_slice(&10_000u32.to_le_bytes());
    assert_eq!(
        err(&bytes).to_string(),
        "malformed ELF: the name of section 1: Invalid ELF section name offset"
    );
    // `.BTF`'s bytes past the end of the file, and a size that wraps.
    for (offset, size) in [(1 << 40, 16), (64, u64::MAX)] {
        bytes = good.clone();
        let at = TestElf::section_header(&bytes, 2);
        bytes[at + 24..at + 32].copy_from_slice(&u64::to_le_bytes(offset));
        bytes[at + 32..at + 40].copy_from_slice(&u64::to_le_bytes(size));
        assert_eq!(
            err(&bytes).to_string(),
            format!(
                "malformed ELF: section `.BTF` ({size} bytes at offset {offset}) is not inside the {}-byte \
                 file: Invalid ELF section size or offset",
                bytes.len()
            )
        );
    }
}

#[test]
fn refuses_btf_that_does_not_parse() {
    let btf = counts_btf(|_| vec![]).finish();
    let (kind, text) = err_text(&btf_object(btf[..10].to_vec(), 64));
    assert!(matches!(&kind, ObjectErrorKind::Btf(e) if e.kind() == BtfErrorKind::Header), "{kind:?}");
    assert_eq!(
        text,
        "the .BTF section does not parse: BTF at byte 0: the blob is 10 bytes, shorter than the 24-byte header"
    );
    let mut elf = TestElf::new();
    elf.section(".BTF", NOBITS, btf.clone());
    assert_eq!(
        err(&elf.finish()).to_string(),
        "malformed ELF: the .BTF section is of type 8, not PROGBITS (1)"
    );
}

#[test]
fn refuses_btf_of_the_other_byte_order() {
    let mut elf = TestElf::new();
    elf.big_endian = cfg!(target_endian = "little");
    elf.section(".BTF", PROGBITS, counts_btf(|_| vec![]).finish());
    let (kind, text) = err_text(&elf.finish());
    assert_eq!(kind, ObjectErrorKind::ForeignByteOrder { big_endian: elf.big_endian });
    if elf.big_endian {
        assert_eq!(
            text,
            "the object is big-endian (`clang -target bpfeb`) and this machine little-endian: its BTF is read \
             only in this machine's byte order; build it with `-target bpf` or `-target bpfel`"
        );
    }
}

#[test]
fn reads_legacy_maps_in_either_byte_order() {
    for big_endian in [false, true] {
        let records = [1, 4, 8, 16, 1, 2, 4, 64, 2, 0];
        let object = Object::parse(&legacy_object(big_endian, &records, &[("a", 0), ("b", 20)])).unwrap();
        assert_eq!(
            object.maps(),
            [
                ObjectMap { source: MapSource::Legacy, flags: 1, ..map("a", 1, 4, 8, 16) },
                ObjectMap { source: MapSource::Legacy, ..map("b", 2, 4, 64, 2) },
            ],
            "big-endian: {big_endian}"
        );
    }
}

#[test]
fn reads_legacy_records_of_other_sizes_as_libbpf() {
    // 8-byte records: type and key_size; the rest 0.
    let object = Object::parse(&legacy_object(false, &[1, 4, 2, 4], &[("a", 0), ("b", 8)])).unwrap();
    assert_eq!(
        object.maps(),
        [
            ObjectMap { source: MapSource::Legacy, ..map("a", 1, 4, 0, 0) },
            ObjectMap { source: MapSource::Legacy, ..map("b", 2, 4, 0, 0) },
        ]
    );
    // 28-byte records (iproute2's): extra words of 0 are ignored, others refused.
    let wide = [1, 4, 8, 16, 0, 0, 0];
    assert_eq!(Object::parse(&legacy_object(false, &wide, &[("a", 0)])).unwrap().maps()[0].value_size, 8);
    let (kind, text) = err_text(&legacy_object(false, &[1, 4, 8, 16, 0, 0, 1], &[("a", 0)]));
    assert!(matches!(kind, ObjectErrorKind::Legacy { .. }));
    assert_eq!(
        text,
        "map `a`: its 28-byte definition has non-zero bytes past the 20 of struct bpf_map_def (type, \
         key_size, value_size, max_entries, map_flags): options libbpf does not know"
    );
}

#[test]
fn refuses_legacy_sections_libbpf_refuses() {
    // 30 bytes for 4 symbols.
    let mut elf = TestElf::new();
    let maps = elf.section("maps", PROGBITS, vec![1; 30]);
    for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
        elf.symbol(name.as_bytes(), maps, i as u64 * 7, true);
    }
    assert_eq!(
        err(&elf.finish()).to_string(),
        "the legacy `maps` section is 30 bytes for 4 map symbols, which does not tell the size of one \
         definition (libbpf takes it as the section's size over the number of symbols)"
    );
    // No symbols at all.
    let mut elf = TestElf::new();
    elf.section("maps", PROGBITS, vec![1; 20]);
    assert_eq!(
        err(&elf.finish()).to_string(),
        "the legacy `maps` section has no symbol table to name its maps"
    );
    // A NOBITS section claiming an exabyte: nothing is read or allocated.
    let mut elf = TestElf::new();
    let maps = elf.section("maps", NOBITS, Vec::new());
    elf.symbol(b"a", maps, 0, true);
    let mut bytes = elf.finish();
    let at = TestElf::section_header(&bytes, maps);
    bytes[at + 32..at + 40].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(err(&bytes).to_string().starts_with("the legacy `maps` section is 0 bytes for 1 map symbols"));
    // A static map, a record past the end, names that are not UTF-8.
    let mut elf = TestElf::new();
    let maps = elf.section("maps", PROGBITS, elf.words(&[1, 4, 4, 1, 0]));
    elf.symbol(b"hidden", maps, 0, false);
    assert_eq!(
        err(&elf.finish()).to_string(),
        "map `hidden`: is static; libbpf takes only global legacy maps"
    );
    for offset in [4, u64::MAX] {
        let e = err(&legacy_object(false, &[1, 4, 4, 1, 0], &[("late", offset)]));
        assert_eq!(
            e.to_string(),
            format!(
                "map `late`: its 20-byte definition at offset {offset} runs past the end of the 20-byte \
                 legacy `maps` section"
            )
        );
    }
    let mut elf = TestElf::new();
    let maps = elf.section("maps", PROGBITS, elf.words(&[1, 4, 4, 1, 0]));
    elf.symbol(b"caf\xe9", maps, 0, true);
    assert!(err(&elf.finish()).to_string().contains("has a name that is not UTF-8"));
    // Map types 0 and 99.
    let e = err(&legacy_object(false, &[0, 4, 4, 1, 0], &[("none", 0)]));
    assert_eq!((e.kind, e.map.as_deref()), (ObjectErrorKind::NoMapType, Some("none")));
    assert_eq!(
        err(&legacy_object(false, &[99, 4, 4, 1, 0], &[("x", 0)])).to_string(),
        "map `x` has map type 99, which no kernel has"
    );
}

#[test]
fn refuses_maps_sections_without_their_btf() {
    let mut elf = TestElf::new();
    elf.section(".maps", PROGBITS, vec![0; 16]);
    assert_eq!(
        err_text(&elf.finish()),
        (
            ObjectErrorKind::NoBtf,
            "the object has a .maps section but no .BTF section to describe its maps (compile with -g)"
                .to_owned()
        )
    );
    let btf = counts_btf(|_| vec![]).finish_without_datasec();
    assert_eq!(
        err_text(&btf_object(btf, 64)),
        (
            ObjectErrorKind::NoMapsDatasec,
            "the object has a .maps section but its BTF has no DATASEC `.maps`".to_owned()
        )
    );
}

#[test]
fn refuses_maps_datasecs_that_point_astray() {
    // A variable id past the last type: the BTF parser refuses the reference.
    let mut btf = MapsBtf::new();
    btf.list(99, 8);
    let (kind, text) = err_text(&btf_object(btf.finish(), 64));
    assert!(matches!(&kind, ObjectErrorKind::Btf(e) if e.kind() == BtfErrorKind::NoSuchType), "{kind:?}");
    assert_eq!(
        text,
        "the .BTF section does not parse: BTF type [2]: a variable refers to type 99, but the last type is 2"
    );

    // An INT listed as a map; an anonymous one.
    let mut btf = MapsBtf::new();
    let named = btf.raw("n", 1 << 24, 4, &[32]);
    btf.list(named, 4);
    assert_eq!(
        err_text(&btf_object(btf.finish(), 64)),
        (bad_var("it is INT, not a VAR"), "map `n`: it is INT, not a VAR".to_owned())
    );
    let mut btf = MapsBtf::new();
    btf.list(MapsBtf::INT, 4);
    let e = err(&btf_object(btf.finish(), 64));
    assert_eq!((e.kind.clone(), e.map.clone()), (bad_var("it is INT, not a VAR"), Some("int".to_owned())));
    let mut btf = MapsBtf::new();
    let anonymous = btf.raw("", VAR, MapsBtf::INT, &[1]);
    btf.list(anonymous, 4);
    assert_eq!(
        err_text(&btf_object(btf.finish(), 64)),
        (bad_var("map #0 of .maps has no name"), "map #0 of .maps has no name".to_owned())
    );

    // A place past the section: the largest offset and size.
    let mut btf = MapsBtf::new();
    let def = btf.strukt("", &[]);
    let var = btf.raw("far", VAR, def, &[1]);
    btf.raw(".maps", DATASEC | 1, 0, &[var, u32::MAX, u32::MAX]);
    let e = err(&btf_object(btf.finish_without_datasec(), 16));
    assert_eq!(
        e.to_string(),
        "map `far`: the .maps DATASEC places it at bytes 4294967295..8589934590, past the end of the \
         16-byte .maps section"
    );
}

#[test]
fn refuses_map_variables_libbpf_refuses() {
    for (linkage, what) in
        [(0, "a static variable"), (2, "an extern variable"), (7, "a variable of unknown linkage")]
    {
        let mut btf = MapsBtf::new();
        let def = btf.strukt("", &[]);
        btf.var("m", def, linkage, 0);
        assert_eq!(
            err(&btf_object(btf.finish(), 64)).to_string(),
            format!("map `m`: it is {what} (linkage {linkage}); libbpf takes only global maps")
        );
    }
    let mut btf = MapsBtf::new();
    btf.var("m", MapsBtf::INT, 1, 4);
    assert_eq!(
        err(&btf_object(btf.finish(), 64)).to_string(),
        "map `m`: its type is INT, not a struct of libbpf's __uint/__type members"
    );
    // The definition through a typedef is fine; larger than its variable is not.
    let mut btf = MapsBtf::new();
    let ty = btf.uint(2);
    let def = btf.strukt("", &[("type", ty)]);
    let alias = btf.raw("def_t", TYPEDEF, def, &[]);
    btf.var("m", alias, 1, 4);
    assert_eq!(
        err(&btf_object(btf.finish(), 64)).to_string(),
        "map `m`: its definition is 8 bytes, more than the 4 bytes of its variable in .maps"
    );
    // A cycle of typedefs.
    let mut btf = MapsBtf::new();
    let a = btf.raw("a", TYPEDEF, 3, &[]);
    btf.raw("b", TYPEDEF, a, &[]);
    btf.var("m", a, 1, 8);
    let e = err(&btf_object(btf.finish(), 64));
    assert!(e.to_string().starts_with("map `m`: its type: BTF type [2]: more than 32 typedefs"), "{e}");
}

#[test]
fn refuses_members_libbpf_refuses() {
    let cases: Vec<(Vec<u8>, ObjectErrorKind, &str)> = vec![
        (
            counts_object(|b| vec![("max_entires", b.uint(1))]),
            ObjectErrorKind::UnknownField { field: "max_entires".to_owned() },
            "map `counts`: unknown member `max_entires` in the definition (libbpf refuses it unless the \
             object is opened with relaxed_maps)",
        ),
        (
            counts_object(|b| vec![("", b.uint(1))]),
            ObjectErrorKind::UnknownField { field: String::new() },
            "map `counts`: a member of the definition has no name (libbpf refuses members it does not know)",
        ),
        (
            counts_object(|_| vec![("map_flags", MapsBtf::INT)]),
            field("map_flags", "is not a __uint (a pointer to an array): found INT"),
            "map `counts`: `map_flags` is not a __uint (a pointer to an array): found INT",
        ),
        (
            counts_object(|b| vec![("numa_node", b.ptr(MapsBtf::INT))]),
            field("numa_node", "is not a __uint (a pointer to an array): found a pointer to INT"),
            "map `counts`: `numa_node` is not a __uint (a pointer to an array): found a pointer to INT",
        ),
        (
            counts_object(|b| vec![("key_size", b.uint(8))]),
            ObjectErrorKind::SizeConflict { what: "key", first: 4, second: 8 },
            "map `counts`: conflicting key sizes: 4 bytes, then 8",
        ),
        (
            counts_object(|b| vec![("value_size", b.uint(2))]),
            ObjectErrorKind::SizeConflict { what: "value", first: 4, second: 2 },
            "map `counts`: conflicting value sizes: 4 bytes, then 2",
        ),
        (
            counts_object(|b| vec![("pinning", b.uint(2))]),
            field("pinning", "is 2; libbpf knows 0 (LIBBPF_PIN_NONE) and 1 (LIBBPF_PIN_BY_NAME)"),
            "map `counts`: `pinning` is 2; libbpf knows 0 (LIBBPF_PIN_NONE) and 1 (LIBBPF_PIN_BY_NAME)",
        ),
        (
            counts_object(|b| {
                let proto = b.raw("", FUNC_PROTO, 0, &[]);
                vec![("key", b.ptr(proto))]
            }),
            field("key", "is a type whose size cannot be known: BTF type [7]: FUNC_PROTO has no size"),
            "map `counts`: `key` is a type whose size cannot be known: BTF type [7]: FUNC_PROTO has no size",
        ),
        (
            counts_object(|_| vec![("value", MapsBtf::INT)]),
            field("value", "is not a __type (a pointer to the value type): found INT"),
            "map `counts`: `value` is not a __type (a pointer to the value type): found INT",
        ),
        (
            counts_object(|b| vec![("map_extra", b.raw("", ENUM | 2, 4, &[0, 1, 0, 2]))]),
            field(
                "map_extra",
                "is not a __ulong (an enum of one value) or a __uint (a pointer to an array): found an enum of 2 values",
            ),
            "map `counts`: `map_extra` is not a __ulong (an enum of one value) or a __uint (a pointer to an \
             array): found an enum of 2 values",
        ),
        (
            counts_object(|b| vec![("map_extra", b.raw("", STRUCT, 0, &[]))]),
            field(
                "map_extra",
                "is not a __ulong (an enum of one value) or a __uint (a pointer to an array): found STRUCT",
            ),
            "map `counts`: `map_extra` is not a __ulong (an enum of one value) or a __uint (a pointer to an \
             array): found STRUCT",
        ),
    ];
    for (bytes, kind, text) in cases {
        let e = err(&bytes);
        assert_eq!((&e.kind, e.map.as_deref()), (&kind, Some("counts")));
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn reads_map_extra_as_libbpf() {
    // A 32-bit enum's value is sign extended whatever its signedness, as libbpf's `__s32`.
    for (info, words, expected) in [
        (ENUM | 1, &[0, 0x8000_0000][..], 0xffff_ffff_8000_0000),
        (ENUM | 1, &[0, 5], 5),
        (ENUM64 | 1, &[0, 0, 1 << 8], 1 << 40),
    ] {
        let bytes = counts_object(|b| vec![("map_extra", b.raw("", info, 8, words))]);
        assert_eq!(Object::parse(&bytes).unwrap().maps()[0].map_extra, expected);
    }
    let bytes = counts_object(|b| vec![("map_extra", b.uint(9))]);
    assert_eq!(Object::parse(&bytes).unwrap().maps()[0].map_extra, 9);
}

#[test]
fn refuses_map_types_and_values_libbpf_refuses() {
    let mut btf = MapsBtf::new();
    let max = btf.uint(1);
    btf.map("untyped", &[("max_entries", max)]);
    let e = err(&btf_object(btf.finish(), 64));
    assert_eq!((e.kind.clone(), e.map.as_deref()), (ObjectErrorKind::NoMapType, Some("untyped")));
    assert_eq!(
        e.to_string(),
        "map `untyped`: no map type: the definition gives none, or 0 (BPF_MAP_TYPE_UNSPEC)"
    );

    let mut btf = MapsBtf::new();
    let ty = btf.uint(99);
    btf.map("x", &[("type", ty)]);
    assert_eq!(
        err_text(&btf_object(btf.finish(), 64)),
        (
            ObjectErrorKind::UnknownMapType { map_type: 99 },
            "map `x` has map type 99, which no kernel has".to_owned()
        )
    );

    // `values`: not last, on a hash, not an array, of a non-pointer, to the wrong kinds.
    let values_case = |map_type: u32, values: &dyn Fn(&mut MapsBtf) -> u32, last: bool| {
        let mut btf = MapsBtf::new();
        let ty = btf.uint(map_type);
        let values = values(&mut btf);
        let max = btf.uint(1);
        let mut members = vec![("type", ty), ("values", values)];
        if !last {
            members.push(("max_entries", max));
        }
        btf.map("m", &members);
        err(&btf_object(btf.finish(), 64)).to_string()
    };
    let template = |b: &mut MapsBtf| {
        let array = b.uint(2);
        let inner = b.strukt("inner", &[("type", array)]);
        let ptr = b.ptr(inner);
        b.raw("", ARRAY, 0, &[ptr, MapsBtf::INT, 0])
    };
    assert_eq!(
        values_case(12, &template, false),
        "map `m`: `values` must be the last member of the definition"
    );
    assert_eq!(
        values_case(1, &template, true),
        "map `m`: `values` is for maps of maps and prog arrays, and the map type is hash (a `type` before \
         `values` gives it)"
    );
    assert_eq!(
        values_case(12, &|b| b.uint(0), true),
        "map `m`: `values` is not an __array (a zero-length array of pointers): found PTR"
    );
    assert_eq!(
        values_case(12, &|b| b.raw("", ARRAY, 0, &[MapsBtf::INT, MapsBtf::INT, 3]), true),
        "map `m`: `values` is not an __array (a zero-length array of pointers): found an array of 3"
    );
    assert_eq!(
        values_case(12, &|b| b.raw("", ARRAY, 0, &[MapsBtf::INT, MapsBtf::INT, 0]), true),
        "map `m`: `values` is not an __array (a zero-length array of pointers): found an array of INT"
    );
    let pointers_to_int = |b: &mut MapsBtf| {
        let ptr = b.ptr(MapsBtf::INT);
        b.raw("", ARRAY, 0, &[ptr, MapsBtf::INT, 0])
    };
    assert_eq!(
        values_case(13, &pointers_to_int, true),
        "map `m`: `values` points to INT, where the template of a map-of-maps is a struct"
    );
    assert_eq!(
        values_case(3, &pointers_to_int, true),
        "map `m`: `values` points to INT, where the programs of a prog array are FUNC_PROTOs"
    );
    assert_eq!(
        values_case(3, &template, true),
        "map `m`: `values` points to STRUCT, where the programs of a prog array are FUNC_PROTOs"
    );
}

#[test]
fn refuses_templates_libbpf_refuses() {
    // The template's own errors name it `outer.inner`, as libbpf does.
    let outer = |inner_members: &dyn Fn(&mut MapsBtf) -> Vec<(&'static str, u32)>| {
        let mut btf = MapsBtf::new();
        let members = inner_members(&mut btf);
        let inner = btf.strukt("inner", &members);
        let ptr = btf.ptr(inner);
        let values = btf.raw("", ARRAY, 0, &[ptr, MapsBtf::INT, 0]);
        let ty = btf.uint(12);
        btf.map("outer", &[("type", ty), ("values", values)]);
        err(&btf_object(btf.finish(), 64))
    };
    let e = outer(&|b| vec![("type", b.uint(2)), ("pinning", b.uint(1))]);
    assert_eq!(e.map.as_deref(), Some("outer.inner"));
    assert_eq!(
        e.to_string(),
        "map `outer.inner`: `pinning` is set in the template of a map-of-maps, which cannot be pinned"
    );
    let e = outer(&|b| {
        let ty = b.uint(12);
        let array = b.uint(2);
        let innermost = b.strukt("innermost", &[("type", array)]);
        let ptr = b.ptr(innermost);
        vec![("type", ty), ("values", b.raw("", ARRAY, 0, &[ptr, MapsBtf::INT, 0]))]
    });
    assert_eq!(
        e.to_string(),
        "map `outer.inner`: `values` is in the template of a map-of-maps: libbpf supports one level of maps of maps"
    );
    let e = outer(&|b| vec![("max_entries", b.uint(1))]);
    assert_eq!((e.kind, e.map.as_deref()), (ObjectErrorKind::NoMapType, Some("outer.inner")));
    let e = outer(&|b| vec![("type", b.uint(1000))]);
    assert_eq!(e.to_string(), "map `outer.inner` has map type 1000, which no kernel has");
}

#[test]
fn reads_huge_counts_without_allocating_them() {
    // A DATASEC claiming 65535 variables, with none written.
    let mut btf = MapsBtf::new();
    btf.raw(".maps", DATASEC | 0xffff, 0, &[]);
    let (kind, text) = err_text(&btf_object(btf.finish_without_datasec(), 64));
    assert!(matches!(&kind, ObjectErrorKind::Btf(e) if e.kind() == BtfErrorKind::Type), "{kind:?}");
    assert!(text.contains("DATASEC with vlen 65535 needs 786420 bytes"), "{text}");
    // `__uint(max_entries, 4294967295)` is a number like any other.
    let bytes = counts_object(|b| vec![("numa_node", b.uint(u32::MAX))]);
    assert_eq!(Object::parse(&bytes).unwrap().maps()[0].numa_node, u32::MAX);
    // The parser found `.maps` by kind and name, not by position.
    let btf = Object::parse(&bytes).unwrap();
    let btf = btf.btf().unwrap();
    assert!(btf.find_by_name(Kind::Datasec, ".maps").is_some());
}
