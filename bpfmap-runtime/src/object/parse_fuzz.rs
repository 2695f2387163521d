//! Malformed input for [`Object::parse`]: random bytes, random bytes behind a valid ELF header,
//! random section-table fields, and edits and cuts of valid objects (hand-written ones, and
//! clang's). Parsing, and every query on what parses, must return, never panic.

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::test_compile::compile;
use super::test_elf::TestElf;
use super::test_objects::{counts_object, legacy_object, sample_object};
use super::*;

/// Parses, and follows every type id a map names.
fn exercise(data: &[u8]) {
    match Object::parse(data) {
        Ok(object) => {
            for map in object.maps() {
                walk(map, object.btf());
                assert!(object.map(&map.name).is_some());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

fn walk(map: &ObjectMap, btf: Option<&Btf>) {
    if let Some(btf) = btf {
        for id in [map.key_type, map.value_type].into_iter().flatten() {
            let _ = btf.name(id);
            let _ = btf.resolve(id);
            let _ = btf.size_of(id);
        }
    }
    if let Some(inner) = &map.inner {
        walk(inner, btf);
    }
}

/// Valid objects written in memory.
fn corpus() -> Vec<Vec<u8>> {
    vec![
        sample_object(),
        counts_object(|_| vec![]),
        legacy_object(true, &[1, 4, 8, 16, 0, 2, 4, 4, 1, 0], &[("a", 0), ("b", 20)]),
    ]
}

/// Valid objects from clang, compiled once for all cases; empty without clang.
fn compiled() -> &'static [Vec<u8>] {
    static OBJECTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        [("btf_maps", &["-g"][..]), ("legacy", &["-g"])]
            .iter()
            .filter_map(|(name, args)| compile(name, args))
            .collect()
    })
}

/// Every single-byte change and every truncation of a valid object.
#[test]
fn survives_every_byte_flip_and_cut() {
    let object = sample_object();
    // Miri runs each parse thousands of times slower: a sample of the positions.
    let (values, step): (&[u8], usize) =
        if cfg!(miri) { (&[0xff], 97) } else { (&[0, 1, 0x7f, 0x80, 0xff], 1) };
    for i in (0..object.len()).step_by(step) {
        for &v in values {
            let mut edited = object.clone();
            edited[i] = v;
            exercise(&edited);
        }
    }
    for len in (0..object.len()).step_by(step) {
        exercise(&object[..len]);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 3 } else { 1000 },
        // No files: Miri isolates the file system, and a failure is reproduced from its
        // printed input.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Edits `object` at `edits` and cuts it at `cut`.
fn edit(mut object: Vec<u8>, edits: Vec<(Index, u8)>, cut: Option<Index>) -> Vec<u8> {
    for (at, byte) in edits {
        let i = at.index(object.len());
        object[i] = byte;
    }
    if let Some(cut) = cut {
        object.truncate(cut.index(object.len()));
    }
    object
}

/// A u64 that is often at or near a boundary: 0, small, the file's size, the largest.
fn field_value() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..4, 0u64..4096, Just(u64::MAX), Just(u64::from(u32::MAX)), any::<u64>()]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes(data in vec(any::<u8>(), 0..512)) {
        exercise(&data);
    }

    #[test]
    fn random_bytes_behind_a_valid_header(tail in vec(any::<u8>(), 0..1024)) {
        let mut data = sample_object()[..64].to_vec();
        data.extend(tail);
        exercise(&data);
    }

    #[test]
    fn edited_objects(
        which in any::<Index>(),
        edits in vec((any::<Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let corpus = corpus();
        exercise(&edit(corpus[which.index(corpus.len())].clone(), edits, cut));
    }

    #[test]
    fn section_header_fields_anywhere(
        section in 0u16..8,
        field in prop_oneof![Just((0usize, 4usize)), Just((4, 4)), Just((24, 8)), Just((32, 8)), Just((40, 4))],
        value in field_value(),
    ) {
        // sh_name, sh_type, sh_offset, sh_size, sh_link of any section (or past the last).
        let mut data = sample_object();
        let at = TestElf::section_header(&data, section) + field.0;
        if let Some(bytes) = data.get_mut(at..at + field.1) {
            bytes.copy_from_slice(&value.to_le_bytes()[..field.1]);
        }
        exercise(&data);
    }

    #[test]
    #[cfg_attr(miri, ignore = "runs clang")]
    fn edited_compiled_objects(
        which in any::<Index>(),
        edits in vec((any::<Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let compiled = compiled();
        if !compiled.is_empty() {
            exercise(&edit(compiled[which.index(compiled.len())].clone(), edits, cut));
        }
    }
}
