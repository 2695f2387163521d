//! `Map::adopt` / `Map::adopt_id`: a map made elsewhere opened as a declared map, checked field
//! by field against the declaration, and `Map::handle` for its typed handle.

mod support;

use bpfmap::{
    Errno, Error, FieldDiff, HashMap, Map, MapDecl, MapDef, MapFlags, MapName, MapType, Update, bpf_map,
};

const CONNS_LINE: u32 = line!() + 4;

/// The shape of the map "another program" creates below.
#[bpf_map(type = "hash", max_entries = 32, flags = "no_prealloc", name = "ad_conns")]
struct Conns {
    key: u32,
    value: u64,
}

const WIDE_LINE: u32 = line!() + 4;

/// Another shape.
#[bpf_map(type = "array", max_entries = 4, name = "ad_wide")]
struct Wide {
    key: u32,
    value: [u64; 2],
}

/// What another program would have made: the shape of `Conns` under a name of its own.
fn foreign() -> Map {
    let def = MapDef::new(MapType::HASH, 4, 8, 32)
        .with_flags(MapFlags::NO_PREALLOC)
        .with_name(MapName::new("made_elsewhere"));
    bpfmap::create_map(&def).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_pinned_map_of_the_declared_shape_is_adopted_with_a_typed_handle() {
    require_kernel!();
    let fs = require_bpffs!();
    let theirs = foreign();
    let path = fs.join("conns");
    theirs.pin(&path).unwrap();

    let ours = Map::adopt::<Conns>(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ours.id().unwrap(), theirs.id().unwrap(), "the same map");
    assert_eq!(ours.declaration().map(|d| d.rust_name), Some("Conns"));
    assert_eq!(ours.name(), "made_elsewhere", "known by the kernel's name");
    assert_eq!(ours.pinned_at(), Some(path.as_path()));
    assert_eq!(ours.def().map_type, MapType::HASH);
    assert_eq!(ours.def().flags, MapFlags::NO_PREALLOC);

    let conns: HashMap<'_, u32, u64> = ours.handle::<Conns>().unwrap_or_else(|e| panic!("{e}"));
    conns.insert(&1, &10, Update::NoExist).unwrap();
    let theirs_view = HashMap::<u32, u64>::new(&theirs).unwrap();
    assert_eq!(theirs_view.get(&1).unwrap(), Some(10), "written through the adopted handle");
}

#[test]
fn a_pinned_map_of_another_shape_is_refused_with_every_difference() {
    require_kernel!();
    let fs = require_bpffs!();
    let path = fs.join("conns");
    foreign().pin(&path).unwrap();

    let err = Map::adopt::<Wide>(&path).expect_err("a hash is not an array");
    let message = err.to_string();
    match err {
        Error::PinMismatch { map, path: at, diffs } => {
            assert_eq!(map.name, "ad_wide");
            assert_eq!(map.declared.map(|l| l.rust_name), Some("Wide"));
            assert_eq!(at, path);
            let found: Vec<(&str, &str, &str)> =
                diffs.iter().map(|d| (d.field, d.declared.as_str(), d.found.as_str())).collect();
            assert_eq!(
                found,
                [
                    ("type", "array", "hash"),
                    ("value_size", "16", "8"),
                    ("max_entries", "4", "32"),
                    ("flags", "none", "no_prealloc"),
                ]
            );
        }
        other => panic!("expected Error::PinMismatch, got {other}"),
    }
    assert!(
        message.starts_with(&format!(
            "the map pinned at {} does not match map `ad_wide` (array, declared as `Wide` at tests/adopt.rs:{WIDE_LINE}):\n    \
             type: declared array, pinned hash\n",
            path.display()
        )),
        "{message}"
    );
}

#[test]
fn a_map_found_by_id_is_checked_the_same_way() {
    require_kernel!();
    let theirs = foreign();
    let id = theirs.id().unwrap();

    let ours = Map::adopt_id::<Conns>(id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ours.id().unwrap(), id);
    assert_eq!(ours.pinned_at(), None);
    ours.handle::<Conns>().unwrap().insert(&2, &20, Update::Any).unwrap();
    assert_eq!(HashMap::<u32, u64>::new(&theirs).unwrap().get(&2).unwrap(), Some(20));

    let err = Map::adopt_id::<Wide>(id).expect_err("another shape");
    assert_eq!(
        err.to_string(),
        format!(
            "map `ad_wide` (array, declared as `Wide` at tests/adopt.rs:{WIDE_LINE}) does not fit: the map with id {id} differs: \
             type: declared array, found hash; value_size: declared 16, found 8; max_entries: declared 4, found 32; \
             flags: declared none, found no_prealloc"
        )
    );
    assert!(matches!(err, Error::Mismatch { .. }));
}

#[test]
fn a_handle_needs_the_declaration_the_map_was_checked_against() {
    require_kernel!();
    let fs = require_bpffs!();
    let path = fs.join("conns");
    foreign().pin(&path).unwrap();

    let unchecked = Map::from_pin(&path).unwrap();
    assert_eq!(
        unchecked.handle::<Conns>().err().map(|e| e.to_string()),
        Some(
            "map `made_elsewhere` (hash) does not fit: it was not checked against `Conns`; open it with \
             `Map::adopt::<Conns>` or `Map::adopt_id::<Conns>`"
                .to_string()
        )
    );

    let adopted = Map::adopt::<Conns>(&path).unwrap();
    assert_eq!(
        adopted.handle::<Wide>().err().map(|e| e.to_string()),
        Some(format!(
            "map `made_elsewhere` (hash, declared as `Conns` at tests/adopt.rs:{CONNS_LINE}) does not fit: \
             it is the map `Conns` declares, not `Wide`"
        ))
    );

    // The maps `load` made carry their declarations too.
    let maps = bpfmap::load().unwrap_or_else(|e| panic!("{e}"));
    let wide = maps.map::<Wide>().unwrap();
    wide.handle::<Wide>().unwrap().set(3, &[1, 2]).unwrap();
    assert_eq!(maps.get::<Wide>().get(3).unwrap(), Some([1, 2]));
    assert!(wide.handle::<Conns>().is_err());
    assert_eq!(Conns::DEF.name, MapName::new("ad_conns"));
}

#[test]
fn adopting_what_is_not_a_map_says_what_is_there() {
    require_kernel!();
    let fs = require_bpffs!();

    let missing = fs.join("missing");
    let err = Map::adopt::<Conns>(&missing).expect_err("nothing pinned");
    assert!(matches!(err, Error::Open { errno: Errno::ENOENT, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot open the map pinned at {}: ENOENT (no such file or directory): it does not exist",
            missing.display()
        )
    );

    let dir = fs.join("dir");
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(
        Map::adopt::<Conns>(&dir).expect_err("a directory").to_string(),
        format!("cannot open the map pinned at {}: a directory is pinned there, not a map", dir.display())
    );
}

#[test]
fn a_field_diff_reads_declared_then_pinned() {
    let diff = FieldDiff { field: "key_size", declared: "4".to_string(), found: "8".to_string() };
    assert_eq!(diff.to_string(), "key_size: declared 4, pinned 8");
}
