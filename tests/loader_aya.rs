//! A BPF program loaded by aya runs on the maps bpfmap pinned: bpfmap declares the maps of
//! `tests/bpf/count.bpf.c` with `pin = "by_name"` and pins them in a bpffs of the test's own;
//! aya, pointed at the same directory, opens each pin instead of creating the map, and loads
//! the program; what the program writes, bpfmap's typed handles read.
//!
//! aya's loader takes no fds: pins are its way in. With `LIBBPF_PIN_BY_NAME` in the object it
//! opens `<default_map_pin_directory>/<name>`; `map_pin_path(name, path)` names the pin of one
//! map, pinning attribute or not.
//!
//! Needs `clang` (Debian: `clang llvm libbpf-dev`, which `.ci/run` installs); without it the
//! tests skip, or fail when `BPFMAP_REQUIRE_KERNEL=1`.

mod support;

use std::collections::BTreeMap;

use aya::maps::Map as AyaMap;
use aya::programs::Xdp;
use aya::{Ebpf, EbpfLoader, TestRun, TestRunOptions};
use bpfmap::{Loader, Map, MapDef, MapType, Maps, Update, bpf_map};
use support::bpffs::Bpffs;
use support::count_program::{PACKETS, PktStats, check_runs};
use support::tools;

/// `counts` in count.bpf.c: packets at `PACKETS`, bytes at `BYTES`.
#[bpf_map(type = "hash", max_entries = 16, pin = "by_name")]
struct Counts {
    key: u32,
    value: u64,
}

/// `stats` in count.bpf.c.
#[bpf_map(type = "array", max_entries = 1, pin = "by_name")]
struct Stats {
    key: u32,
    value: PktStats,
}

fn load(fs: &Bpffs) -> Maps {
    Loader::new().pin_root(fs.path()).load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn bpfmap_id(map: &Map) -> u32 {
    map.info().unwrap_or_else(|e| panic!("{e}")).id
}

/// The kernel ids of the maps aya holds, by name, as aya reports them.
fn aya_map_ids(ebpf: &Ebpf) -> BTreeMap<String, u32> {
    ebpf.maps()
        .map(|(name, map)| {
            let data = match map {
                AyaMap::HashMap(data) | AyaMap::Array(data) => data,
                _ => panic!("`{name}`: count.bpf.c has only a hash and an array"),
            };
            let id = data.info().unwrap_or_else(|e| panic!("map info `{name}`: {e}")).id();
            (name.to_string(), id)
        })
        .collect()
}

/// Loads and runs the program of `ebpf` on bpfmap's maps and checks, through bpfmap's handles,
/// what it wrote; and that aya and the program use bpfmap's maps, by id.
fn run_on_bpfmap_maps(maps: &Maps, mut ebpf: Ebpf) {
    let counts = maps.get::<Counts>();
    let stats = maps.get::<Stats>();

    let counts_id = bpfmap_id(maps.map::<Counts>().unwrap());
    let stats_id = bpfmap_id(maps.map::<Stats>().unwrap());
    let expected = BTreeMap::from([("counts".to_string(), counts_id), ("stats".to_string(), stats_id)]);
    assert_eq!(aya_map_ids(&ebpf), expected, "aya uses bpfmap's maps, not copies");

    let prog: &mut Xdp = ebpf.program_mut("count").expect("the program `count`").try_into().expect("XDP");
    prog.load().unwrap_or_else(|e| panic!("aya load: {e}"));
    let mut ids = vec![counts_id, stats_id];
    ids.sort_unstable();
    let prog_fd = prog.fd().expect("loaded");
    assert_eq!(
        support::bpf::prog_map_ids(prog_fd).unwrap(),
        ids,
        "the maps the kernel lists for the program"
    );

    check_runs(&counts, &stats, |len, repeat| {
        let packet = vec![0u8; len];
        let opts = TestRunOptions { data_in: Some(&packet), repeat, ..Default::default() };
        prog.test_run(opts).unwrap_or_else(|e| panic!("test run: {e}")).return_value
    });

    drop(ebpf);
    assert_eq!(counts.get(&PACKETS).unwrap(), Some(1005), "the maps outlive aya's object");
}

#[test]
fn a_program_aya_loads_runs_on_the_maps_bpfmap_pinned_by_name() {
    require_kernel!();
    require_tools!("clang");
    let fs = require_bpffs!();

    let object = tools::compile_bpf("count", &["PIN_BY_NAME"]);
    let maps = load(&fs);
    // Packets seen before the program ran: the program adds to what bpfmap wrote.
    maps.get::<Counts>().insert(&PACKETS, &1000, Update::NoExist).unwrap();

    let ebpf = EbpfLoader::new()
        .default_map_pin_directory(fs.path())
        .load_file(object.path())
        .unwrap_or_else(|e| panic!("aya load: {e}"));
    run_on_bpfmap_maps(&maps, ebpf);
    assert_eq!(fs.entries(), ["counts", "stats"], "aya pinned nothing of its own");
}

#[test]
fn a_program_aya_loads_runs_on_the_maps_bpfmap_pinned_named_one_by_one() {
    require_kernel!();
    require_tools!("clang");
    let fs = require_bpffs!();

    // No pinning attribute in the object: `map_pin_path` alone sends aya to the pins.
    let object = tools::compile_bpf("count", &[]);
    let maps = load(&fs);
    maps.get::<Counts>().insert(&PACKETS, &1000, Update::NoExist).unwrap();

    let mut loader = EbpfLoader::new();
    for map in &maps {
        let path = map.pinned_at().expect("declared with pin = \"by_name\"");
        loader.map_pin_path(map.name(), path);
    }
    let ebpf = loader.load_file(object.path()).unwrap_or_else(|e| panic!("aya load: {e}"));
    run_on_bpfmap_maps(&maps, ebpf);
    assert_eq!(fs.entries(), ["counts", "stats"], "aya pinned nothing of its own");
}

/// aya compares nothing either: whatever map is pinned at the path is used as the object's,
/// shape unseen. A pinned `counts` of 1024 entries and flags the object does not have is
/// taken; only the verifier would object, and only to accesses out of bounds.
#[test]
fn aya_takes_a_pinned_map_of_another_shape_without_a_word() {
    require_kernel!();
    require_tools!("clang");
    let fs = require_bpffs!();

    let object = tools::compile_bpf("count", &["PIN_BY_NAME"]);
    let def = MapDef::new(MapType::HASH, 4, 8, 1024).with_flags(bpfmap::MapFlags::NO_PREALLOC);
    let other = bpfmap::create_map(&def).unwrap_or_else(|e| panic!("{e}"));
    other.pin(fs.join("counts")).unwrap_or_else(|e| panic!("{e}"));

    let mut ebpf = EbpfLoader::new()
        .default_map_pin_directory(fs.path())
        .load_file(object.path())
        .unwrap_or_else(|e| panic!("aya load: {e}"));
    let ids = aya_map_ids(&ebpf);
    assert_eq!(ids["counts"], bpfmap_id(&other), "the pinned map of another shape");
    let prog: &mut Xdp = ebpf.program_mut("count").expect("the program `count`").try_into().expect("XDP");
    prog.load().unwrap_or_else(|e| panic!("aya load: {e}"));
    assert_eq!(fs.entries(), ["counts", "stats"], "aya created and pinned `stats`, which was not there");
}
