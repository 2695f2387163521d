//! Pinned maps shared with the rest of the BPF world, through its own tools: `bpftool` reads
//! what bpfmap declared and pinned, bpfmap adopts what `bpftool` created (and refuses a map of
//! another shape), and a BPF program in C, compiled by `clang` and loaded by `bpftool` against
//! bpfmap's pin, writes what the Rust side then reads.
//!
//! Needs `bpftool` and `clang` (Debian: `bpftool clang llvm libbpf-dev`, which `.ci/run`
//! installs); without them the tests skip, or fail when `BPFMAP_REQUIRE_KERNEL=1`.

mod support;

use std::path::Path;

use bpfmap::{Error, Loader, Map, MapDecl, MapFlags, Maps, Pod, Update, bpf_map};
use support::bpffs::Bpffs;
use support::tools;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

/// Shared with `tests/bpf/double.bpf.c`, which declares the same map.
#[bpf_map(type = "hash", max_entries = 16, pin = "by_name", name = "io_shared")]
struct Shared {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash", max_entries = 128, flags = "no_prealloc", pin = "by_name", name = "io_flows")]
struct Flows {
    key: FlowKey,
    value: u64,
}

#[bpf_map(
    type = "array",
    max_entries = 8,
    flags = "rdonly_prog|mmapable",
    pin = "by_name",
    name = "io_config"
)]
struct Config {
    key: u32,
    value: u32,
}

const FOREIGN_LINE: u32 = line!() + 4;

/// The shape of the map `bpftool map create` makes below.
#[bpf_map(type = "hash", max_entries = 16, flags = "no_prealloc", pin = "by_name", name = "io_foreign")]
struct Foreign {
    key: u32,
    value: u64,
}

fn load(fs: &Bpffs) -> Maps {
    Loader::new().pin_root(fs.path()).load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

/// The value of `key` in a flat JSON object as bpftool prints it: a number, or a string
/// without escapes (names and type names are `[a-z0-9_.]`).
fn json_field<'j>(json: &'j str, key: &str) -> &'j str {
    let tag = format!("\"{key}\":");
    let start = json.find(&tag).unwrap_or_else(|| panic!("no `{key}` in {json}")) + tag.len();
    let rest = &json[start..];
    match rest.strip_prefix('"') {
        Some(string) => &string[..string.find('"').expect("closing quote")],
        None => rest[..rest.find([',', '}']).expect("end of value")].trim(),
    }
}

/// `bpftool map show pinned PATH -j`.
fn bpftool_show(path: &Path) -> String {
    tools::run("bpftool", &["map", "show", "pinned", path_str(path), "-j"])
}

#[test]
fn bpftool_reports_the_declared_definitions() {
    require_kernel!();
    require_tools!("bpftool");
    let fs = require_bpffs!();

    let maps = load(&fs);
    let mut shown = 0;
    for map in &maps {
        let Some(path) = map.pinned_at() else { continue };
        let def = &map.declaration().expect("declared").def;
        let json = bpftool_show(path);
        let reported = |key| json_field(&json, key).to_string();
        let field = |n: u32| n.to_string();
        assert_eq!(reported("id"), field(map.id().unwrap()), "{json}");
        assert_eq!(reported("name"), def.name.to_string(), "{json}");
        assert_eq!(reported("type"), def.map_type.to_string(), "{json}");
        assert_eq!(reported("bytes_key"), field(def.key_size), "{json}");
        assert_eq!(reported("bytes_value"), field(def.value_size), "{json}");
        assert_eq!(reported("max_entries"), field(def.max_entries), "{json}");
        assert_eq!(reported("flags"), field(def.flags.bits()), "{json}");
        shown += 1;
    }
    assert_eq!(shown, 4, "every pinned declaration was shown");
    // Spelled out once, in bpftool's own words.
    let config = bpftool_show(&fs.join("io_config"));
    assert_eq!(json_field(&config, "flags"), (MapFlags::RDONLY_PROG | MapFlags::MMAPABLE).bits().to_string());
    assert_eq!(json_field(&config, "type"), "array");
    let flows = bpftool_show(&fs.join("io_flows"));
    assert_eq!(json_field(&flows, "bytes_key"), "12");
    assert_eq!(json_field(&flows, "flags"), "1");
}

/// `bpftool map create PATH type hash key 4 value VALUE entries ENTRIES name io_foreign flags FLAGS`.
fn bpftool_create(path: &Path, value: u32, entries: u32, flags: u32) -> u32 {
    let (value, entries, flags) = (value.to_string(), entries.to_string(), flags.to_string());
    let args = ["map", "create", path_str(path), "type", "hash", "key", "4", "value", &value];
    let args = [&args[..], &["entries", &entries, "name", "io_foreign", "flags", &flags]].concat();
    tools::run("bpftool", &args);
    json_field(&bpftool_show(path), "id").parse().expect("id")
}

#[test]
fn a_map_bpftool_created_is_adopted_by_a_declaration_of_its_shape() {
    require_kernel!();
    require_tools!("bpftool");
    let fs = require_bpffs!();

    let path = fs.join("io_foreign");
    let id = bpftool_create(&path, 8, 16, 1);
    // key 7, value 42, as bpftool takes them: bytes, little-endian.
    tools::run(
        "bpftool",
        &[
            "map",
            "update",
            "pinned",
            path_str(&path),
            "key",
            "7",
            "0",
            "0",
            "0",
            "value",
            "42",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
        ],
    );

    // By the loader, at `<pin root>/io_foreign`.
    let maps = load(&fs);
    let foreign = maps.map::<Foreign>().unwrap();
    assert_eq!(foreign.id().unwrap(), id, "bpftool's map was reused, not replaced");
    assert_eq!(maps.get::<Foreign>().get(&7).unwrap(), Some(42));
    maps.get::<Foreign>().insert(&8, &80, Update::NoExist).unwrap();
    let dump = tools::run("bpftool", &["map", "dump", "pinned", path_str(&path), "-j"]);
    assert!(dump.contains(r#"{"key":["0x08","0x00","0x00","0x00"],"value":["0x50","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}"#), "{dump}");

    // By path, with `Map::adopt`.
    let adopted = Map::adopt::<Foreign>(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(adopted.id().unwrap(), id);
    assert_eq!(adopted.handle::<Foreign>().unwrap().get(&8).unwrap(), Some(80));
}

#[test]
fn a_map_bpftool_created_in_another_shape_is_refused_with_the_field_diff() {
    require_kernel!();
    require_tools!("bpftool");
    let fs = require_bpffs!();

    let path = fs.join("io_foreign");
    let id = bpftool_create(&path, 4, 32, 0);
    let p = path.display();
    let expected = format!(
        "the map pinned at {p} does not match map `io_foreign` (hash, declared as `Foreign` at tests/interop.rs:{FOREIGN_LINE}):\n    \
         value_size: declared 8, pinned 4\n    \
         max_entries: declared 16, pinned 32\n    \
         flags: declared no_prealloc, pinned none\n  \
         change the declaration to match, remove the pin (`rm {p}`), or load with \
         `Loader::on_mismatch(OnMismatch::Replace)` to replace it"
    );

    let err = Loader::new().pin_root(fs.path()).load().expect_err("value 4 pinned, 8 declared");
    assert!(matches!(err, Error::PinMismatch { .. }), "{err:?}");
    assert_eq!(err.to_string(), expected);
    let err = Map::adopt::<Foreign>(&path).expect_err("value 4 pinned, 8 declared");
    assert_eq!(err.to_string(), expected);

    assert_eq!(json_field(&bpftool_show(&path), "id"), id.to_string(), "bpftool's map is still pinned");
    let mut left: Vec<String> = fs.entries();
    left.retain(|name| name.starts_with("io_"));
    assert_eq!(left, ["io_foreign"], "the pins the failed load made are gone");
    assert_eq!(Foreign::DEF.value_size, 8);
}

#[test]
fn a_c_program_loaded_by_bpftool_shares_the_map_bpfmap_pinned() {
    require_kernel!();
    require_tools!("bpftool", "clang");
    let fs = require_bpffs!();

    let object = tools::compile_bpf("double", &[]);
    let maps = load(&fs);
    let shared = maps.get::<Shared>();
    shared.insert(&0, &20, Update::Any).unwrap();
    let map_path = maps.map::<Shared>().unwrap().pinned_at().expect("pinned").to_path_buf();
    let shared_id = maps.map::<Shared>().unwrap().id().unwrap();

    let prog = fs.join("double_it");
    tools::run(
        "bpftool",
        &[
            "prog",
            "load",
            path_str(object.path()),
            path_str(&prog),
            "map",
            "name",
            "io_shared",
            "pinned",
            path_str(&map_path),
        ],
    );
    let shown = tools::run("bpftool", &["prog", "show", "pinned", path_str(&prog), "-j"]);
    assert!(
        shown.contains(&format!("\"map_ids\":[{shared_id}]")),
        "the program uses bpfmap's map, not a copy: {shown}"
    );

    // A socket filter runs on a packet of at least an Ethernet header.
    let packet = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("packet-{}", std::process::id()));
    std::fs::write(&packet, [0u8; 64]).unwrap();
    let out = tools::run(
        "bpftool",
        &["prog", "run", "pinned", path_str(&prog), "data_in", path_str(&packet), "repeat", "1"],
    );
    std::fs::remove_file(&packet).unwrap();
    assert!(out.starts_with("Return value: 1,"), "the program found key 0: {out}");

    assert_eq!(shared.get(&1).unwrap(), Some(41), "what the program wrote: 20 * 2 + 1");
}
