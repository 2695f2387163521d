//! A BPF program loaded by libbpf-rs runs on the maps bpfmap created: bpfmap declares the maps
//! of `tests/bpf/count.bpf.c` and creates them, libbpf-rs opens the object, is handed each of
//! them with `OpenMap::reuse_fd` instead of creating its own, and loads the program; what the
//! program writes, bpfmap's typed handles read.
//!
//! Needs `clang` (Debian: `clang llvm libbpf-dev`, which `.ci/run` installs); without it the
//! tests skip, or fail when `BPFMAP_REQUIRE_KERNEL=1`.

mod support;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Once;

use bpfmap::{Map, MapDef, MapType, Maps, Update, bpf_map};
use libbpf_rs::{MapCore, Object, ObjectBuilder, OpenObject, PrintLevel, ProgramInput};
use support::count_program::{PACKETS, PktStats, check_runs};
use support::tools;

/// `counts` in count.bpf.c: packets at `PACKETS`, bytes at `BYTES`.
#[bpf_map(type = "hash", max_entries = 16)]
struct Counts {
    key: u32,
    value: u64,
}

/// `stats` in count.bpf.c.
#[bpf_map(type = "array", max_entries = 1)]
struct Stats {
    key: u32,
    value: PktStats,
}

thread_local! {
    /// What libbpf printed on this thread: it calls the print callback on the thread that
    /// loads, so a test reads its own messages.
    static LIBBPF_LOG: RefCell<String> = const { RefCell::new(String::new()) };
}

/// libbpf writes its messages (verifier logs among them) to stderr from C, where the test
/// harness cannot capture them; routed through `eprint!` they show only with a failing test,
/// and a test can read them.
fn libbpf_log(level: PrintLevel, message: String) {
    eprint!("libbpf ({level:?}): {message}");
    LIBBPF_LOG.with(|log| log.borrow_mut().push_str(&message));
}

fn open(object: &tools::BpfObject) -> OpenObject {
    static PRINT: Once = Once::new();
    PRINT.call_once(|| {
        libbpf_rs::set_print(Some((PrintLevel::Info, libbpf_log)));
    });
    ObjectBuilder::default().open_file(object.path()).unwrap_or_else(|e| panic!("libbpf-rs open: {e}"))
}

/// The hand-over: every map of the object that bpfmap declared (by kernel name) is given
/// bpfmap's fd, after checking that the object defines it as bpfmap declared it, since libbpf
/// does not (see the test below). Returns the names handed over.
fn hand_over(maps: &Maps, object: &mut OpenObject) -> Vec<String> {
    let mut handed = Vec::new();
    for mut open_map in object.maps_mut() {
        let name = open_map.name().to_str().expect("UTF-8 map name").to_string();
        let Some(ours) = maps.iter().find(|m| m.name() == name) else { continue };
        let def = ours.def();
        let defined =
            (open_map.map_type() as u32, open_map.key_size(), open_map.value_size(), open_map.max_entries());
        let declared = (def.map_type.raw(), def.key_size, def.value_size, def.max_entries);
        assert_eq!(
            defined, declared,
            "`{name}`: (type, key_size, value_size, max_entries) of the C program and of bpfmap"
        );
        assert_eq!(open_map.map_flags(), def.flags.bits(), "`{name}`: flags");
        open_map.reuse_fd(ours.fd()).unwrap_or_else(|e| panic!("reuse_fd `{name}`: {e}"));
        handed.push(name);
    }
    handed.sort();
    handed
}

/// The kernel ids of the maps of the loaded object, by name, as libbpf-rs reports them.
fn libbpf_map_ids(object: &Object) -> BTreeMap<String, u32> {
    object
        .maps()
        .map(|map| {
            let name = map.name().to_str().expect("UTF-8 map name").to_string();
            let id = map.info().unwrap_or_else(|e| panic!("map info `{name}`: {e}")).info.id;
            (name, id)
        })
        .collect()
}

fn bpfmap_id(map: &Map) -> u32 {
    map.info().unwrap_or_else(|e| panic!("{e}")).id
}

#[test]
fn a_program_libbpf_rs_loads_runs_on_the_maps_bpfmap_created() {
    require_kernel!();
    require_tools!("clang");

    let object = tools::compile_bpf("count", &[]);
    let maps = bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"));
    let counts = maps.get::<Counts>();
    let stats = maps.get::<Stats>();
    // Packets seen before the program ran: the program adds to what bpfmap wrote.
    counts.insert(&PACKETS, &1000, Update::NoExist).unwrap();

    let mut open = open(&object);
    assert_eq!(hand_over(&maps, &mut open), ["counts", "stats"]);
    let loaded = open.load().unwrap_or_else(|e| panic!("libbpf-rs load: {e}"));

    // The same kernel maps on both sides, by id: libbpf-rs's, and those the program uses.
    let counts_id = bpfmap_id(maps.map::<Counts>().unwrap());
    let stats_id = bpfmap_id(maps.map::<Stats>().unwrap());
    let expected = BTreeMap::from([("counts".to_string(), counts_id), ("stats".to_string(), stats_id)]);
    assert_eq!(libbpf_map_ids(&loaded), expected, "libbpf-rs uses bpfmap's maps, not copies");
    let prog = loaded.progs_mut().find(|p| p.name() == "count").expect("the program `count`");
    let mut ids = vec![counts_id, stats_id];
    ids.sort_unstable();
    assert_eq!(support::bpf::prog_map_ids(&prog).unwrap(), ids, "the maps the kernel lists for the program");

    check_runs(&counts, &stats, |len, repeat| {
        let packet = vec![0u8; len];
        let input = ProgramInput { data_in: Some(&packet), repeat, ..Default::default() };
        prog.test_run(input).unwrap_or_else(|e| panic!("test run: {e}")).return_value
    });

    // The maps outlive libbpf-rs's object: it held duplicates of bpfmap's fds.
    drop(loaded);
    assert_eq!(counts.get(&PACKETS).unwrap(), Some(1005));
}

/// `bpf_map__reuse_fd` compares nothing: it takes the fd's definition in place of the object's
/// (type, sizes, max_entries, flags, and the name). What the program does with a map of another
/// shape is left to the verifier, which sees only out-of-bounds accesses: hence the check in
/// `hand_over`.
#[test]
fn reuse_fd_takes_a_map_of_another_shape_without_a_word() {
    require_kernel!();
    require_tools!("clang");

    let object = tools::compile_bpf("count", &[]);
    let mut open = open(&object);
    let bigger =
        bpfmap::create_map(&MapDef::new(MapType::HASH, 4, 8, 1024)).unwrap_or_else(|e| panic!("{e}"));
    let smaller =
        bpfmap::create_map(&MapDef::new(MapType::ARRAY, 4, 16, 1)).unwrap_or_else(|e| panic!("{e}"));
    for mut open_map in open.maps_mut() {
        let fd = if open_map.name() == "counts" { bigger.fd() } else { smaller.fd() };
        open_map.reuse_fd(fd).expect("reuse_fd checks nothing");
    }
    let mut defs: Vec<(String, u32, u32)> = open
        .maps()
        .map(|m| (m.name().to_string_lossy().into_owned(), m.value_size(), m.max_entries()))
        .collect();
    defs.sort_unstable();
    // Unnamed maps: libbpf renamed the object's maps after the kernel's (empty) names.
    assert_eq!(defs, [(String::new(), 8, 1024), (String::new(), 16, 1)], "the fds' definitions");

    // `counts` with 1024 entries would do; `stats` with 16-byte values (the program writes 24)
    // is what the verifier refuses.
    let err = open.load().expect_err("the program writes past the end of a 16-byte value");
    let log = LIBBPF_LOG.with(|log| log.take());
    assert!(log.contains("invalid access to map value, value_size=16 off=16 size=4"), "{err}:\n{log}");
}
