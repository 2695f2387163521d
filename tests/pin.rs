//! Maps declared with `pin = "by_name"`, through `Loader` with a bpffs of the test's own: pinned
//! when created, reused (data and all) when compatible, refused with every differing field
//! when not, replaced on request, and a failed load leaves bpffs as it found it.
//!
//! Every test loads all the declarations below; they share `BPFMAP_PIN_ROOT` and the kernel's
//! map ids, so they run one at a time (`serial`).

mod support;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use bpfmap::{
    Errno, Error, FieldDiff, Loader, Map, MapDecl, MapDef, MapFlags, MapName, MapOfMaps, MapType, Maps,
    OnMismatch, Update, WhenFull, bpf_map,
};
use support::bpffs::{self, Bpffs};

/// Declaration order is creation order: config, devices, counters, slot, tables, slots, seen,
/// scratch. A mismatch at `counters` comes after two pins were made.
#[bpf_map(type = "array", max_entries = 4, pin = "by_name", name = "pin_config")]
struct Config {
    key: u32,
    value: u64,
}

/// The kernel adds `rdonly_prog` to every device map it reports.
#[bpf_map(type = "devmap", max_entries = 4, pin = "by_name", name = "pin_devices")]
struct Devices {
    key: u32,
    value: u32,
}

const COUNTERS_LINE: u32 = line!() + 3;

#[bpf_map(type = "hash", max_entries = 64, pin = "by_name", name = "pin_counters")]
struct Counters {
    key: u32,
    value: u64,
}

/// The template of the maps-of-maps; not pinned.
#[bpf_map(type = "array", max_entries = 8)]
struct Slot {
    key: u32,
    value: u32,
}

const TABLES_LINE: u32 = line!() + 3;

#[bpf_map(type = "hash_of_maps", max_entries = 4, inner = Slot, pin = "by_name", name = "pin_tables")]
struct Tables {
    key: u32,
    value: u32,
}

const SLOTS_LINE: u32 = line!() + 3;

#[bpf_map(type = "array_of_maps", max_entries = 4, inner = Slot, pin = "by_name", name = "pin_slots")]
struct Slots {
    key: u32,
    value: u32,
}

const SEEN_LINE: u32 = line!() + 3;

#[bpf_map(type = "bloom_filter", max_entries = 64, map_extra = 3, pin = "by_name", name = "pin_seen")]
struct Seen {
    value: u64,
}

/// Not pinned: created afresh by every load.
#[bpf_map(type = "queue", max_entries = 8)]
struct Scratch {
    value: u32,
}

/// The pins every successful load leaves, sorted.
const PINS: [&str; 6] = ["pin_config", "pin_counters", "pin_devices", "pin_seen", "pin_slots", "pin_tables"];

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next one still runs on its own bpffs.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn loader(fs: &Bpffs) -> Loader {
    Loader::new().pin_root(fs.path())
}

fn load(fs: &Bpffs) -> Maps {
    loader(fs).load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn pinned_id(path: &Path) -> u32 {
    let map = Map::from_pin(path).unwrap_or_else(|e| panic!("{e}"));
    map.id().expect("id")
}

fn id_of<T: MapDecl>(maps: &Maps) -> u32 {
    maps.map::<T>().expect("loaded").id().expect("id")
}

/// Creates `def` and pins it at `path`, as another program would have.
fn pin_foreign(def: &MapDef, path: &Path) -> Map {
    let map = bpfmap::create_map(def).unwrap_or_else(|e| panic!("create {def}: {e}"));
    map.pin(path).unwrap_or_else(|e| panic!("{e}"));
    map
}

fn diff(field: &'static str, declared: &str, found: &str) -> FieldDiff {
    FieldDiff { field, declared: declared.to_string(), found: found.to_string() }
}

/// The path and diffs of an `Error::PinMismatch`, or a panic naming what came instead.
fn pin_mismatch(err: Error) -> (String, std::path::PathBuf, Vec<FieldDiff>) {
    match err {
        Error::PinMismatch { map, path, diffs } => (map.name, path, diffs),
        other => panic!("expected Error::PinMismatch, got {other}"),
    }
}

#[test]
fn load_pins_every_by_name_map_and_nothing_else() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let maps = load(&fs);
    assert_eq!(fs.entries(), PINS);
    for map in &maps {
        let name = map.name();
        let declared = map.declaration().expect("declared");
        match declared.def.pinning {
            bpfmap::Pinning::ByName => {
                let path = fs.join(name);
                assert_eq!(map.pinned_at(), Some(path.as_path()), "{name}");
                let opened = Map::from_pin(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(opened.id().unwrap(), map.id().unwrap(), "{name}: the pin holds the loaded map");
                assert_eq!(opened.pinned_at(), Some(path.as_path()));
                assert_eq!(opened.name(), name, "the kernel name is the declared name");
            }
            _ => assert_eq!(map.pinned_at(), None, "{name} is not pinned"),
        }
    }
    assert_eq!(maps.iter().filter(|m| m.pinned_at().is_none()).count(), 2, "slot and scratch");
}

#[test]
fn a_second_load_reuses_the_pins_and_their_data() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let first = load(&fs);
    first.get::<Config>().set(1, &11).expect("config");
    first.get::<Counters>().insert(&7, &70, Update::NoExist).expect("counters");
    first.get::<Seen>().insert(&5).expect("seen");
    let slot = first.map::<Slot>().expect("slot");
    first.get::<Tables>().set(&3, slot, Update::Any).expect("tables");
    first.get::<Slots>().set(&2, slot, Update::Any).expect("slots");
    first.get::<Scratch>().push(&9, WhenFull::Refuse).expect("scratch");
    let pinned_ids = [
        id_of::<Config>(&first),
        id_of::<Devices>(&first),
        id_of::<Counters>(&first),
        id_of::<Tables>(&first),
        id_of::<Slots>(&first),
        id_of::<Seen>(&first),
    ];
    let slot_id = slot.id().unwrap();
    let scratch_id = id_of::<Scratch>(&first);
    // The pins keep the maps alive; the map-of-maps keep the slot alive.
    drop(first);

    let second = load(&fs);
    let reused = [
        id_of::<Config>(&second),
        id_of::<Devices>(&second),
        id_of::<Counters>(&second),
        id_of::<Tables>(&second),
        id_of::<Slots>(&second),
        id_of::<Seen>(&second),
    ];
    assert_eq!(reused, pinned_ids, "every pinned map was reused");
    assert_ne!(id_of::<Scratch>(&second), scratch_id, "an unpinned map is created anew");
    assert_eq!(second.get::<Config>().get(1).unwrap(), Some(11));
    assert_eq!(second.get::<Counters>().get(&7).unwrap(), Some(70));
    assert!(second.get::<Seen>().contains(&5).unwrap());
    assert_eq!(second.get::<Tables>().get(&3).unwrap(), Some(slot_id));
    assert_eq!(second.get::<Slots>().get(&2).unwrap(), Some(slot_id));
    assert_eq!(second.get::<Scratch>().pop().unwrap(), None);

    // A reused map is known by its declaration, as a created one is.
    let counters = second.map::<Counters>().unwrap();
    assert_eq!(counters.declaration().map(|d| d.rust_name), Some("Counters"));
    assert_eq!(counters.pinned_at(), Some(fs.join("pin_counters").as_path()));
    assert_eq!(fs.entries(), PINS);
}

#[test]
fn the_devmap_rdonly_prog_the_kernel_adds_is_no_mismatch() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let first = load(&fs);
    let devices = first.map::<Devices>().unwrap();
    assert!(!Devices::DEF.flags.contains(MapFlags::RDONLY_PROG), "declared without it");
    assert!(devices.info().unwrap().flags.contains(MapFlags::RDONLY_PROG), "reported with it");
    let id = devices.id().unwrap();
    drop(first);
    let second = load(&fs);
    assert_eq!(id_of::<Devices>(&second), id, "reused, not refused");
}

#[test]
fn a_mismatch_lists_every_differing_field() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let path = fs.join("pin_counters");
    let other = MapDef::new(MapType::PERCPU_HASH, 8, 4, 32)
        .with_flags(MapFlags::NO_PREALLOC)
        .with_name(MapName::new("pin_counters"));
    let foreign = pin_foreign(&other, &path);

    let err = loader(&fs).load().expect_err("a percpu_hash is pinned where a hash is declared");
    let message = err.to_string();
    let (name, at, diffs) = pin_mismatch(err);
    assert_eq!(name, "pin_counters");
    assert_eq!(at, path);
    assert_eq!(
        diffs,
        [
            diff("type", "hash", "percpu_hash"),
            diff("key_size", "4", "8"),
            diff("value_size", "8", "4"),
            diff("max_entries", "64", "32"),
            diff("flags", "none", "no_prealloc"),
        ]
    );
    let p = path.display();
    assert_eq!(
        message,
        format!(
            "the map pinned at {p} does not match map `pin_counters` (hash, declared as `Counters` at tests/pin.rs:{COUNTERS_LINE}):\n    \
             type: declared hash, pinned percpu_hash\n    \
             key_size: declared 4, pinned 8\n    \
             value_size: declared 8, pinned 4\n    \
             max_entries: declared 64, pinned 32\n    \
             flags: declared none, pinned no_prealloc\n  \
             change the declaration to match, remove the pin (`rm {p}`), or load with \
             `Loader::on_mismatch(OnMismatch::Replace)` to replace it"
        )
    );
    println!("{message}");
    assert_eq!(pinned_id(&path), foreign.id().unwrap(), "the pin is left as it was");
    assert_eq!(fs.entries(), ["pin_counters"], "the pins made before the mismatch are gone");
}

/// A value of `Counters`' size with another layout: two halves where a u64 is declared.
#[repr(C)]
#[derive(Clone, Copy, bpfmap::Pod)]
struct Halves {
    low: u32,
    high: u32,
}

#[test]
fn where_both_have_btf_the_layouts_are_compared() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    // Same type, sizes and flags: only the value's layout tells them apart.
    let path = fs.join("pin_counters");
    let other = MapDef::new(MapType::HASH, 0, 0, 64)
        .with_types::<u32, Halves>()
        .with_name(MapName::new("pin_counters"));
    let foreign = pin_foreign(&other, &path);
    let err = loader(&fs).load().expect_err("the pinned value is two u32s, the declared one a u64");
    let (_, _, diffs) = pin_mismatch(err);
    assert_eq!(diffs, [diff("value", "u64", "struct Halves")]);
    assert_eq!(diffs[0].to_string(), "value: declared u64, pinned struct Halves");
    assert_eq!(pinned_id(&path), foreign.id().unwrap(), "the pin is left as it was");
    drop(foreign);
    std::fs::remove_file(&path).expect("unpin");

    // A member that differs is named, with its offset.
    let key = MapDef::new(MapType::HASH, 0, 0, 64)
        .with_types::<[u16; 2], u64>()
        .with_name(MapName::new("pin_counters"));
    let foreign = pin_foreign(&key, &path);
    let (_, _, diffs) = pin_mismatch(loader(&fs).load().expect_err("two u16s where a u32 is declared"));
    assert_eq!(diffs[0].to_string(), "key: declared u32, pinned u16[2]");
    drop(foreign);
    std::fs::remove_file(&path).expect("unpin");

    // The same layout under other names of types: compatible, and reused.
    let same =
        MapDef::new(MapType::HASH, 0, 0, 64).with_types::<u32, u64>().with_name(MapName::new("pin_counters"));
    let reused = pin_foreign(&same, &path);
    let maps = load(&fs);
    assert_eq!(id_of::<Counters>(&maps), reused.id().unwrap());
}

#[test]
fn map_extra_is_compared() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let path = fs.join("pin_seen");
    let other = MapDef::new(MapType::BLOOM_FILTER, 0, 8, 64).with_map_extra(5);
    pin_foreign(&other, &path);
    let err = loader(&fs).load().expect_err("5 hashes pinned, 3 declared");
    let message = err.to_string();
    let (_, _, diffs) = pin_mismatch(err);
    assert_eq!(diffs, [diff("map_extra", "3", "5")]);
    assert!(
        message.starts_with(&format!(
            "the map pinned at {} does not match map `pin_seen` (bloom_filter, declared as `Seen` at tests/pin.rs:{SEEN_LINE}):\n    \
             map_extra: declared 3, pinned 5\n",
            path.display()
        )),
        "{message}"
    );
}

/// The kernel name is a label: a map of the declared shape pinned by a tool that named it
/// otherwise (or not at all) is reused.
#[test]
fn the_kernel_name_is_not_compared() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let path = fs.join("pin_counters");
    let same_shape = MapDef::new(MapType::HASH, 4, 8, 64).with_name(MapName::new("made_elsewhere"));
    let foreign = pin_foreign(&same_shape, &path);
    let maps = load(&fs);
    assert_eq!(id_of::<Counters>(&maps), foreign.id().unwrap());
    assert_eq!(maps.map::<Counters>().unwrap().info().unwrap().name, MapName::new("made_elsewhere"));
}

#[test]
fn replace_pins_the_declared_map_in_place_of_a_different_one() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let path = fs.join("pin_counters");
    let old = pin_foreign(&MapDef::new(MapType::HASH, 4, 4, 16), &path);
    let old_id = old.id().unwrap();

    let maps = loader(&fs).on_mismatch(OnMismatch::Replace).load().unwrap_or_else(|e| panic!("load: {e}"));
    let counters = maps.map::<Counters>().unwrap();
    assert_ne!(counters.id().unwrap(), old_id, "a new map");
    assert_eq!(pinned_id(&path), counters.id().unwrap(), "pinned in place of the old one");
    let info = counters.info().unwrap();
    assert_eq!((info.map_type, info.key_size, info.value_size, info.max_entries), (MapType::HASH, 4, 8, 64));
    assert_eq!(old.info().unwrap().value_size, 4, "the old map lives on while held");
    assert_eq!(fs.entries(), PINS);

    // Compatible pins are still reused under `Replace`.
    let again = loader(&fs).on_mismatch(OnMismatch::Replace).load().unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(id_of::<Counters>(&again), counters.id().unwrap());
}

#[test]
fn a_failed_load_removes_its_own_pins_and_keeps_older_ones() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    // Before: a compatible pin of `config` from an earlier run, an incompatible `counters`,
    // and a map of someone else's.
    let config = pin_foreign(&Config::DEF, &fs.join("pin_config"));
    let counters = pin_foreign(&MapDef::new(MapType::ARRAY, 4, 8, 64), &fs.join("pin_counters"));
    let unrelated = pin_foreign(&MapDef::new(MapType::ARRAY, 4, 4, 1), &fs.join("unrelated"));

    // The load reuses `config`, creates and pins `devices`, then stops at `counters`.
    let err = loader(&fs).load().expect_err("counters mismatch");
    assert!(matches!(err, Error::PinMismatch { .. }), "{err}");
    assert_eq!(fs.entries(), ["pin_config", "pin_counters", "unrelated"], "`pin_devices` is gone");
    assert_eq!(pinned_id(&fs.join("pin_config")), config.id().unwrap());
    assert_eq!(pinned_id(&fs.join("pin_counters")), counters.id().unwrap());
    assert_eq!(pinned_id(&fs.join("unrelated")), unrelated.id().unwrap());
}

#[test]
fn a_failed_load_puts_back_the_pins_it_replaced() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let counters = pin_foreign(&MapDef::new(MapType::ARRAY, 4, 8, 64), &fs.join("pin_counters"));
    // Where `tables` would be pinned, a directory: the load fails after replacing `counters`.
    std::fs::create_dir(fs.join("pin_tables")).unwrap();

    let err = loader(&fs).on_mismatch(OnMismatch::Replace).load().expect_err("a directory at pin_tables");
    match &err {
        Error::NotAMap { path, found } => {
            assert_eq!(path, &fs.join("pin_tables"));
            assert_eq!(found, "a directory");
        }
        other => panic!("expected Error::NotAMap, got {other}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "cannot open the map pinned at {}: a directory is pinned there, not a map",
            fs.join("pin_tables").display()
        )
    );
    assert_eq!(fs.entries(), ["pin_counters", "pin_tables"]);
    assert_eq!(pinned_id(&fs.join("pin_counters")), counters.id().unwrap(), "the replaced pin is back");
}

/// `BPF_OBJ_GET` opens a pinned program as readily as a map: the loader must not take one for
/// a map, nor replace it.
#[test]
fn a_pin_that_is_a_program_is_refused_and_left_alone() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    use support::bpf::{Asm, PROG_TYPE_SOCKET_FILTER, R0, load_prog};
    let prog = load_prog(PROG_TYPE_SOCKET_FILTER, Asm::new().mov64_imm(R0, 0).exit().insns()).expect("prog");
    let path = fs.join("pin_counters");
    obj_pin(&prog, &path);

    for policy in [OnMismatch::Fail, OnMismatch::Replace] {
        let err = loader(&fs).on_mismatch(policy).load().expect_err("a program at pin_counters");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot open the map pinned at {}: a BPF program is pinned there, not a map",
                path.display()
            )
        );
        assert_eq!(fs.entries(), ["pin_counters"], "{policy:?}");
    }
    assert!(matches!(Map::from_pin(&path), Err(Error::NotAMap { .. })));
}

/// `BPF_OBJ_PIN` of any BPF object (the runtime pins only maps).
fn obj_pin(fd: &impl std::os::fd::AsRawFd, path: &Path) {
    #[repr(C)]
    struct ObjPin {
        pathname: u64,
        bpf_fd: u32,
        file_flags: u32,
    }
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let mut attr = ObjPin { pathname: c_path.as_ptr() as u64, bpf_fd: fd.as_raw_fd() as u32, file_flags: 0 };
    const BPF_OBJ_PIN: libc::c_long = 6;
    // SAFETY: the attr and the path it points to outlive the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_OBJ_PIN,
            &mut attr as *mut ObjPin,
            size_of::<ObjPin>() as libc::c_long,
        )
    };
    assert_eq!(ret, 0, "BPF_OBJ_PIN {}: {}", path.display(), std::io::Error::last_os_error());
}

#[test]
fn a_root_that_is_not_bpffs_is_refused_with_the_mount_command() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let plain = bpffs::temp_dir("not-bpffs").expect("temp dir");
    let err = loader_at(&plain).load().expect_err("not bpffs");
    let message = err.to_string();
    assert!(matches!(&err, Error::PinRoot { root, .. } if root == &plain), "{err:?}");
    let d = plain.display();
    assert!(
        message.starts_with(&format!("cannot pin maps under {d}: it is not on a bpffs mount (it is on ")),
        "{message}"
    );
    assert!(message.ends_with(&format!("); mount one there (`mount -t bpf bpf {d}`)")), "{message}");
    std::fs::remove_dir(&plain).unwrap();

    let missing = fs.join("app");
    let err = loader_at(&missing).load().expect_err("no such directory");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot pin maps under {}: it does not exist; create it (`mkdir -p {}`) in the bpffs mount at {}",
            missing.display(),
            missing.display(),
            fs.path().display()
        )
    );

    let nowhere = Path::new("/nonexistent-bpfmap-root/app");
    assert_eq!(
        loader_at(nowhere).load().expect_err("no such directory").to_string(),
        "cannot pin maps under /nonexistent-bpfmap-root/app: it does not exist, and no bpffs is mounted above it; \
         mount one (`mkdir -p /nonexistent-bpfmap-root/app && mount -t bpf bpf /nonexistent-bpfmap-root/app`)"
    );

    // An unmounted /sys/fs/bpf is a sysfs directory, where no directory can be made.
    let in_sysfs = Path::new("/sys/kernel/bpfmap-nonexistent");
    assert_eq!(
        loader_at(in_sysfs).load().expect_err("no such directory").to_string(),
        "cannot pin maps under /sys/kernel/bpfmap-nonexistent: it does not exist, and /sys/kernel is not a bpffs mount; \
         mount one there, then create it (`mount -t bpf bpf /sys/kernel && mkdir -p /sys/kernel/bpfmap-nonexistent`)"
    );

    let escaping = fs.path().join("..").join(fs.path().file_name().unwrap());
    assert_eq!(
        loader_at(&escaping).load().expect_err("..").to_string(),
        format!(
            "cannot pin maps under {}: it contains `..`, which could lead pins out of the bpffs mount; name the directory without it",
            escaping.display()
        )
    );

    let file = fs.join("a_map");
    pin_foreign(&MapDef::new(MapType::ARRAY, 4, 4, 1), &file);
    assert_eq!(
        loader_at(&file).load().expect_err("a pin, not a directory").to_string(),
        format!("cannot pin maps under {}: it is not a directory", file.display())
    );
    assert_eq!(fs.entries(), ["a_map"], "nothing was pinned");
}

fn loader_at(root: &Path) -> Loader {
    Loader::new().pin_root(root)
}

#[test]
fn bpfmap_pin_root_is_honoured() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();
    let other = require_bpffs!();

    let saved = std::env::var_os("BPFMAP_PIN_ROOT");
    // SAFETY: `serial` keeps the other tests of this binary, the only other threads, from
    // running meanwhile.
    unsafe { std::env::set_var("BPFMAP_PIN_ROOT", fs.path()) };
    assert_eq!(Loader::new().resolved_pin_root(), fs.path());
    let maps = bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(fs.entries(), PINS, "pinned under $BPFMAP_PIN_ROOT");
    drop(maps);

    // The loader's own root wins over the variable.
    let maps = Loader::new().pin_root(other.path()).load().unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(other.entries(), PINS);
    drop(maps);

    // Set but empty, as `BPFMAP_PIN_ROOT= prog` leaves it: the default.
    // SAFETY: as above.
    unsafe { std::env::set_var("BPFMAP_PIN_ROOT", "") };
    assert_eq!(Loader::new().resolved_pin_root(), Path::new(bpfmap::DEFAULT_PIN_ROOT));
    // SAFETY: as above.
    unsafe { std::env::remove_var("BPFMAP_PIN_ROOT") };
    assert_eq!(Loader::new().resolved_pin_root(), Path::new("/sys/fs/bpf"));
    if let Some(saved) = saved {
        // SAFETY: as above.
        unsafe { std::env::set_var("BPFMAP_PIN_ROOT", saved) };
    }
}

/// A template unlike `Slot`: 8-byte values, 16 entries.
static WIDE: MapDef = MapDef::new(MapType::ARRAY, 4, 8, 16);

#[test]
fn the_maps_a_map_of_maps_holds_are_compared_with_the_declared_template() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let tables =
        pin_foreign(&MapDef::new(MapType::HASH_OF_MAPS, 4, 4, 4).with_inner(&WIDE), &fs.join("pin_tables"));
    let held = bpfmap::create_map(&WIDE).unwrap();
    MapOfMaps::<u32>::new(&tables).unwrap().set(&9, &held, Update::Any).unwrap();

    let err = loader(&fs).load().expect_err("the held map is not a Slot");
    let message = err.to_string();
    let (name, _, diffs) = pin_mismatch(err);
    assert_eq!(name, "pin_tables");
    assert_eq!(diffs, [diff("inner", "value_size 4", "8"), diff("inner", "max_entries 8", "16")]);
    assert!(
        message.starts_with(&format!(
            "the map pinned at {} does not match map `pin_tables` (hash_of_maps, declared as `Tables` at tests/pin.rs:{TABLES_LINE}):\n    \
             inner: declared value_size 4, pinned 8\n    \
             inner: declared max_entries 8, pinned 16\n",
            fs.join("pin_tables").display()
        )),
        "{message}"
    );
}

/// An array of maps lists every index: the first held map may sit after empty slots.
#[test]
fn an_array_of_maps_is_searched_past_its_empty_slots() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let slots =
        pin_foreign(&MapDef::new(MapType::ARRAY_OF_MAPS, 4, 4, 4).with_inner(&WIDE), &fs.join("pin_slots"));
    let held = bpfmap::create_map(&WIDE).unwrap();
    MapOfMaps::<u32>::new(&slots).unwrap().set(&3, &held, Update::Any).unwrap();

    let err = loader(&fs).load().expect_err("slot 3 holds a map unlike Slot");
    let message = err.to_string();
    let (name, _, diffs) = pin_mismatch(err);
    assert_eq!(name, "pin_slots");
    assert_eq!(diffs, [diff("inner", "value_size 4", "8"), diff("inner", "max_entries 8", "16")]);
    assert!(message.contains(&format!("declared as `Slots` at tests/pin.rs:{SLOTS_LINE}")), "{message}");
}

/// The template itself cannot be read back: an empty map-of-maps is reused whatever its
/// template, and the kernel refuses the first map put in it that does not match.
#[test]
fn an_empty_map_of_maps_shows_no_template() {
    require_kernel!();
    let _serial = serial();
    let fs = require_bpffs!();

    let tables =
        pin_foreign(&MapDef::new(MapType::HASH_OF_MAPS, 4, 4, 4).with_inner(&WIDE), &fs.join("pin_tables"));
    let maps = load(&fs);
    assert_eq!(id_of::<Tables>(&maps), tables.id().unwrap());
    let slot = maps.map::<Slot>().unwrap();
    match maps.get::<Tables>().set(&1, slot, Update::Any) {
        Err(Error::Map { errno: Errno::EINVAL, .. }) => {}
        other => panic!("expected EINVAL from the kernel's template check, got {other:?}"),
    }
}
