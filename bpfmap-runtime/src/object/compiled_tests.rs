//! Tests on objects clang compiles from `testdata/*.bpf.c` at test time: what libbpf's macros
//! and legacy records read as, and the errors for definitions libbpf refuses.

use super::test_compile::compile;
use super::*;

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

/// The name of type `id`, and of what it stands for past typedefs.
fn names(btf: &Btf, id: Option<u32>) -> (&str, &str) {
    let id = id.expect("a __type");
    (btf.name(id).unwrap(), btf.name(btf.resolve(id).unwrap()).unwrap())
}

#[test]
#[cfg_attr(miri, ignore = "runs clang")]
fn reads_every_btf_map_encoding() {
    let Some(bytes) = compile("btf_maps", &["-g"]) else { return };
    let object = Object::parse(&bytes).unwrap();
    let btf = object.btf().expect("compiled with -g");
    let listed: Vec<&str> = object.maps().iter().map(|m| m.name.as_str()).collect();
    // clang lays out `jumps` first (it alone has initial values), and lists the DATASEC as
    // it lays out the section.
    assert_eq!(
        listed,
        [
            "jumps",
            "flows",
            "sized",
            "agreed",
            "events",
            "pinned",
            "bloom",
            "bloom_ulong",
            "inner_map",
            "outer",
            "outer_hash"
        ]
    );
    let get = |name: &str| object.map(name).unwrap().clone();

    let flows = get("flows");
    assert_eq!(names(btf, flows.key_type), ("flow_key", "flow_key"));
    assert_eq!(names(btf, flows.value_type), ("flow_stats_t", "flow_stats"));
    assert_eq!(
        flows,
        ObjectMap {
            flags: 1,
            key_type: flows.key_type,
            value_type: flows.value_type,
            ..map("flows", 1, 12, 16, 1024)
        }
    );
    assert_eq!(get("sized"), map("sized", 2, 4, 24, 16));
    let agreed = get("agreed");
    assert_eq!(names(btf, agreed.key_type), ("__u32", "unsigned int"));
    assert_eq!(names(btf, agreed.value_type), ("__u64", "unsigned long long"));
    assert_eq!(
        agreed,
        ObjectMap { key_type: agreed.key_type, value_type: agreed.value_type, ..map("agreed", 6, 4, 8, 8) }
    );
    assert_eq!(get("events"), map("events", 27, 0, 0, 256 * 1024));
    let pinned = get("pinned");
    assert_eq!(
        pinned,
        ObjectMap {
            pinning: 1,
            key_type: pinned.key_type,
            value_type: pinned.value_type,
            ..map("pinned", 9, 8, 4, 64)
        }
    );
    let bloom = get("bloom");
    assert_eq!(
        bloom,
        ObjectMap { map_extra: 3, value_type: bloom.value_type, ..map("bloom", 30, 0, 4, 100) }
    );
    let bloom_ulong = get("bloom_ulong");
    assert_eq!(
        bloom_ulong,
        ObjectMap { map_extra: 5, value_type: bloom_ulong.value_type, ..map("bloom_ulong", 30, 0, 8, 100) }
    );

    // The template is read as the map `inner_map` of the same struct, named as libbpf names it.
    let inner_map = get("inner_map");
    assert_eq!(names(btf, inner_map.value_type), ("flow_key", "flow_key"));
    assert_eq!(
        inner_map,
        ObjectMap {
            key_type: inner_map.key_type,
            value_type: inner_map.value_type,
            ..map("inner_map", 2, 4, 12, 4)
        }
    );
    let outer = get("outer");
    assert_eq!(
        outer,
        ObjectMap {
            key_type: outer.key_type,
            inner: Some(Box::new(ObjectMap { name: "outer.inner".to_owned(), ..inner_map })),
            ..map("outer", 12, 4, 4, 8)
        }
    );
    let outer_hash = get("outer_hash");
    let inner = outer_hash.inner.as_deref().unwrap();
    assert_eq!(names(btf, inner.value_type), ("__u16", "unsigned short"));
    assert_eq!(
        *inner,
        ObjectMap {
            flags: 1,
            key_type: inner.key_type,
            value_type: inner.value_type,
            ..map("outer_hash.inner", 1, 4, 2, 32)
        }
    );
    assert_eq!(
        (outer_hash.map_type, outer_hash.key_size, outer_hash.value_size, outer_hash.max_entries),
        (13, 8, 4, 2)
    );

    // A prog array's `values` are programs: no template.
    assert_eq!(get("jumps"), map("jumps", 3, 4, 4, 2));
}

#[test]
#[cfg_attr(miri, ignore = "runs clang")]
fn reads_legacy_maps_of_either_record_size_and_byte_order() {
    let expected = [
        ObjectMap { flags: 1, source: MapSource::Legacy, ..map("counts", 1, 4, 8, 128) },
        ObjectMap { source: MapSource::Legacy, ..map("slots", 2, 4, 16, 4) },
    ];
    for args in [&["-g"][..], &["-g", "-DWIDE"], &["-target", "bpfeb"], &["-target", "bpfel"]] {
        let Some(bytes) = compile("legacy", args) else { return };
        let object = Object::parse(&bytes).unwrap();
        assert_eq!(object.maps(), expected, "{args:?}");
        assert_eq!(object.btf().is_some(), args.contains(&"-g"), "{args:?}");
    }
    let Some(bytes) = compile("legacy", &["-DWIDE", "-DNUMA=1"]) else { return };
    let e = Object::parse(&bytes).unwrap_err();
    assert_eq!(e.map.as_deref(), Some("slots"));
    assert_eq!(
        e.to_string(),
        "map `slots`: its 28-byte definition has non-zero bytes past the 20 of struct bpf_map_def (type, \
         key_size, value_size, max_entries, map_flags): options libbpf does not know"
    );
}

#[test]
#[cfg_attr(miri, ignore = "runs clang")]
fn refuses_btf_of_the_other_byte_order_and_objects_without_btf() {
    let (foreign, big_endian) =
        if cfg!(target_endian = "little") { ("bpfeb", true) } else { ("bpfel", false) };
    let Some(bytes) = compile("btf_maps", &["-g", "-target", foreign]) else { return };
    assert_eq!(Object::parse(&bytes).unwrap_err().kind, ObjectErrorKind::ForeignByteOrder { big_endian });
    let Some(bytes) = compile("btf_maps", &[]) else { return };
    assert_eq!(Object::parse(&bytes).unwrap_err().kind, ObjectErrorKind::NoBtf);
}

#[test]
#[cfg_attr(miri, ignore = "runs clang")]
fn refuses_definitions_libbpf_refuses() {
    let field =
        |field: &str, detail: &str| ObjectErrorKind::BadField { field: field.into(), detail: detail.into() };
    let cases = [
        (
            "UNKNOWN_FIELD",
            "typo",
            ObjectErrorKind::UnknownField { field: "max_entires".into() },
            "map `typo`: unknown member `max_entires` in the definition (libbpf refuses it unless the object is \
             opened with relaxed_maps)",
        ),
        (
            "UNKNOWN_TYPE",
            "x",
            ObjectErrorKind::UnknownMapType { map_type: 99 },
            "map `x` has map type 99, which no kernel has",
        ),
        (
            "NO_TYPE",
            "untyped",
            ObjectErrorKind::NoMapType,
            "map `untyped`: no map type: the definition gives none, or 0 (BPF_MAP_TYPE_UNSPEC)",
        ),
        (
            "KEY_CONFLICT",
            "conflict",
            ObjectErrorKind::SizeConflict { what: "key", first: 8, second: 4 },
            "map `conflict`: conflicting key sizes: 8 bytes, then 4",
        ),
        (
            "NOT_A_UINT",
            "counts",
            field("max_entries", "is not a __uint (a pointer to an array): found a pointer to TYPEDEF"),
            "map `counts`: `max_entries` is not a __uint (a pointer to an array): found a pointer to TYPEDEF",
        ),
        (
            "STATIC_MAP",
            "hidden",
            ObjectErrorKind::BadMapVar {
                detail: "it is a static variable (linkage 0); libbpf takes only global maps".into(),
            },
            "map `hidden`: it is a static variable (linkage 0); libbpf takes only global maps",
        ),
        (
            "PINNED_INNER",
            "outer.inner",
            field("pinning", "is set in the template of a map-of-maps, which cannot be pinned"),
            "map `outer.inner`: `pinning` is set in the template of a map-of-maps, which cannot be pinned",
        ),
        (
            "VALUES_ON_HASH",
            "wrong",
            field(
                "values",
                "is for maps of maps and prog arrays, and the map type is hash (a `type` before `values` gives it)",
            ),
            "map `wrong`: `values` is for maps of maps and prog arrays, and the map type is hash (a `type` \
             before `values` gives it)",
        ),
        (
            "BAD_PINNING",
            "pin",
            field("pinning", "is 2; libbpf knows 0 (LIBBPF_PIN_NONE) and 1 (LIBBPF_PIN_BY_NAME)"),
            "map `pin`: `pinning` is 2; libbpf knows 0 (LIBBPF_PIN_NONE) and 1 (LIBBPF_PIN_BY_NAME)",
        ),
    ];
    for (define, map, kind, text) in cases {
        let Some(bytes) = compile("refused", &["-g", &format!("-D{define}")]) else { return };
        let e = Object::parse(&bytes).unwrap_err();
        assert_eq!((&e.kind, e.map.as_deref()), (&kind, Some(map)), "{define}");
        assert_eq!(e.to_string(), text, "{define}");
    }
}
