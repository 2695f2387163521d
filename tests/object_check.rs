//! `check_object` at run time: every map of a clang-built object against the declared map of
//! the same kernel name, field by field, in the words of `check_object!` at compile time
//! (tests/ui-object/); objects with maps nobody declared, and bytes that are no object.

mod support;

use bpfmap::object::ObjectProblem;
use bpfmap::{Error, Pod, bpf_map, check_object, check_object_file};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct FlowStats {
    packets: u64,
    bytes: u64,
}

#[bpf_map(type = "hash", max_entries = 1024)]
struct Counts {
    key: u32,
    value: u64,
}

#[bpf_map(type = "lru_hash", max_entries = 4096, flags = "no_common_lru")]
struct Flows {
    key: FlowKey,
    value: FlowStats,
}

#[bpf_map(type = "ringbuf", max_entries = 65536)]
struct Events;

#[bpf_map(type = "array", max_entries = 16, pin = "by_name")]
struct Settings {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 8)]
struct Table {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array_of_maps", max_entries = 4, inner = Table)]
struct Tables {
    key: u32,
    value: u32,
}

#[test]
fn an_object_whose_maps_are_declared_passes() {
    let Some(object) = support::objects::build_or_skip("maps") else { return };
    check_object_file(&object).unwrap_or_else(|e| panic!("{e}"));
    check_object(&std::fs::read(&object).expect("read")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn each_difference_is_named_and_each_undeclared_map_gets_a_declaration() {
    let Some(object) = support::objects::build_or_skip("differs") else { return };
    let err = check_object_file(&object).expect_err("the object changed");
    let Error::ObjectMismatch { problems, .. } = &err else { panic!("{err:?}") };
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{err}");
    assert!(
        matches!(&problems[0], ObjectProblem::Differs { map, declared, .. } if map == "counts" && declared.rust_name == "Counts")
    );
    assert!(
        texts[0].ends_with("value_size: declared 8, object 4; max_entries: declared 1024, object 2048; value: declared u64, object __u32"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].ends_with(
            "key_size: declared 12, object 12; key: declared FlowKey.sport u16 at 8, object __u32 at 8"
        ) || texts[1].ends_with("key: declared FlowKey.sport u16 at 8, object __u32 at 8"),
        "{}",
        texts[1]
    );
    assert_eq!(
        texts[2],
        "map `drops` has no #[bpf_map] declaration; declare it as `#[bpf_map(type = \"percpu_array\", max_entries = 4)] struct Drops { key: u32, value: FlowStats }`"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "the maps of {} do not match their declarations:\n    map `counts`",
            object.display()
        )),
        "{message}"
    );
}

#[test]
fn a_legacy_object_is_read_and_its_maps_checked() {
    let Some(object) = support::objects::build_or_skip("legacy") else { return };
    let err = check_object_file(&object).expect_err("nothing here declares the legacy maps");
    let Error::ObjectMismatch { problems, .. } = &err else { panic!("{err:?}") };
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "map `old_counts` has no #[bpf_map] declaration; declare it as `#[bpf_map(type = \"hash\", max_entries = 256, flags = \"no_prealloc\")] struct OldCounts { key: [u8; 4], value: [u8; 8] }`",
            "map `old_slots` has no #[bpf_map] declaration; declare it as `#[bpf_map(type = \"array\", max_entries = 32)] struct OldSlots { key: [u8; 4], value: [u8; 4] }`",
        ]
    );
}

#[test]
fn bytes_that_are_no_object_are_refused_with_why() {
    let err = check_object(b"// not an object").expect_err("not ELF");
    assert!(matches!(err, Error::ObjectUnreadable { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot read the maps of the object: "), "{err}");
    let err = check_object_file("/nothing/here.bpf.o").expect_err("no file");
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    let err = check_object_file("/bin/true").expect_err("an x86 program");
    assert!(err.to_string().contains("/bin/true"), "{err}");
}

#[test]
fn a_long_name_is_matched_as_the_kernel_cuts_it() {
    let Some(object) = support::objects::build_or_skip("long_name") else { return };
    let err = check_object_file(&object).expect_err("not declared here");
    let Error::ObjectMismatch { problems, .. } = &err else { panic!("{err:?}") };
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "map `connection_tracker` has no #[bpf_map] declaration; declare it as `#[bpf_map(type = \"hash\", max_entries = 128, name = \"connection_trac\")] struct ConnectionTracker { key: u64, value: u32 }`"
        ]
    );
}
