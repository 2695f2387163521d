//! Malformed input for [`Btf::parse`]: random bytes, random records behind a valid header,
//! and edits of valid blobs. Parsing and every query on what parses must return, never panic.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::test_blob::RawBtf;
use super::{Btf, BtfBuilder, Kind, Member, SPIN_LOCK, TypeDesc, U16, U32, U64, diff_layout};

/// Parses and, if that works, runs every query on every id (and two past the end).
pub(super) fn exercise(data: &[u8]) {
    let Ok(btf) = Btf::parse(data) else { return };
    let last = u32::try_from(btf.types().len()).unwrap_or(u32::MAX);
    for id in 0..last.saturating_add(2) {
        let _ = btf.name(id);
        let _ = btf.resolve(id);
        let _ = btf.size_of(id);
        let _ = btf.nr_elems(id);
        let _ = btf.pointee(id);
        let _ = btf.members(id);
        let _ = btf.datasec_vars(id);
        let _ = btf.var_type(id);
        let _ = diff_layout(&TypeDesc::Opaque { size: 4 }, &btf, id);
        let _ = diff_layout(&U32, &btf, id);
        let _ = diff_layout(&FLOW, &btf, id);
    }
    let _ = btf.find_by_name(Kind::Struct, "Flow");
}

static FLOW: TypeDesc = TypeDesc::Struct {
    name: "Flow",
    size: 24,
    members: &[
        Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
        Member { name: "port", offset: 4, ty: &U16 },
        Member { name: "addr", offset: 6, ty: &TypeDesc::Array { elem: &U16, len: 1 } },
        Member { name: "bytes", offset: 8, ty: &U64 },
        Member { name: "id", offset: 16, ty: &TypeDesc::Typedef { name: "Id", ty: &U64 } },
    ],
};

/// Valid blobs to mutate: the builder's and clang's.
fn corpus() -> Vec<Vec<u8>> {
    let mut b = BtfBuilder::new();
    b.add(&FLOW).unwrap();
    vec![b.finish(), include_bytes!("testdata/maps.btf").to_vec()]
}

/// Every single-byte change and every truncation of a valid blob.
#[test]
fn survives_every_byte_flip_and_cut() {
    let blob = &corpus()[0];
    let values: &[u8] = if cfg!(miri) { &[0xff] } else { &[0, 1, 0x7f, 0x80, 0xff] };
    for i in 0..blob.len() {
        for &v in values {
            let mut edited = blob.clone();
            edited[i] = v;
            exercise(&edited);
        }
    }
    for len in 0..blob.len() {
        exercise(&blob[..len]);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // A few seconds in all; Miri runs each case thousands of times slower.
        cases: if cfg!(miri) { 3 } else { 1000 },
        // No files: Miri isolates the file system, and a fuzz failure is reproduced from its
        // printed input.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A record of any kind (0 to 20, so unknown ones too), any flags, small ids and name
/// offsets so that references and names are often valid, and a few words after it.
fn record() -> impl Strategy<Value = (u32, u32, u32, Vec<u32>)> {
    (0u32..8, (0u32..21, 0u32..4, any::<bool>()), 0u32..12, vec(prop_oneof![0u32..12, any::<u32>()], 0..10))
        .prop_map(|(name, (kind, vlen, flag), size_or_type, extra)| {
            (name, (flag as u32) << 31 | kind << 24 | vlen, size_or_type, extra)
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes(data in vec(any::<u8>(), 0..256)) {
        exercise(&data);
    }

    #[test]
    fn random_records_behind_a_valid_header(records in vec(record(), 0..16)) {
        let mut raw = RawBtf::new();
        raw.string("a");
        raw.string("bc");
        for (name, info, size_or_type, extra) in records {
            raw = raw.raw_type(name, info, size_or_type, &extra);
        }
        exercise(&raw.finish());
    }

    #[test]
    fn edited_valid_blobs(
        which in any::<Index>(),
        edits in vec((any::<Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let corpus = corpus();
        let mut blob = corpus[which.index(corpus.len())].clone();
        for (at, byte) in edits {
            let i = at.index(blob.len());
            blob[i] = byte;
        }
        if let Some(cut) = cut {
            blob.truncate(cut.index(blob.len()));
        }
        exercise(&blob);
    }

    #[test]
    fn header_fields_anywhere(fields in [0u32..80, 0u32..80, 0u32..400, 0u32..400, 0u32..400]) {
        // hdr_len, type_off, type_len, str_off, str_len, around the blob's real sizes.
        let mut blob = corpus()[0].clone();
        for (i, field) in fields.iter().enumerate() {
            let at = 4 + 4 * i;
            blob[at..at + 4].copy_from_slice(&field.to_ne_bytes());
        }
        exercise(&blob);
    }
}
