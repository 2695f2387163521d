//! Maps carry the BTF of their Rust key and value types: the kernel holds exactly the declared
//! layouts, finds a value's `SpinLock` through them (so `BPF_F_LOCK` works), `bpftool` prints
//! keys and values field by field, and where the kernel refuses the BTF, maps that can go
//! without it are created without it (said once) while maps that cannot fail with the log.

mod support;

use std::process::Command;

use bpfmap::btf::{Btf, diff_layout};
use bpfmap::{Error, HashMap, MapDef, MapType, Pod, SpinLock, Update, bpf_map};

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod)]
struct FlowStats {
    packets: u64,
    bytes: u64,
}

#[bpf_map(type = "hash", max_entries = 64, name = "bt_flows")]
struct Flows {
    key: FlowKey,
    value: FlowStats,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod)]
struct Account {
    lock: SpinLock,
    owner: u32,
    balance: u64,
}

#[bpf_map(type = "hash", max_entries = 64, name = "bt_accounts")]
struct Accounts {
    key: u32,
    value: Account,
}

#[bpf_map(type = "array", max_entries = 4, name = "bt_slots")]
struct Slots {
    key: u32,
    value: Account,
}

/// Created without BTF by the kernel's rules (most fd maps take none).
#[bpf_map(type = "cgroup_array", max_entries = 4, name = "bt_cgroups")]
struct Cgroups {
    key: u32,
    value: u32,
}

#[bpf_map(type = "task_storage", flags = "no_prealloc", name = "bt_tasks")]
struct PerTask {
    key: u32,
    value: Account,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

#[test]
fn the_kernel_holds_the_declared_layouts() {
    require_kernel!();
    let maps = load();
    let flows = maps.map::<Flows>().expect("Flows");
    let info = flows.info().expect("info");
    assert_ne!(info.btf_id, 0, "created with BTF");
    let types = flows.btf().expect("read back").expect("has BTF");
    assert_eq!(
        (types.id, types.key, types.value),
        (info.btf_id, info.btf_key_type_id, info.btf_value_type_id)
    );
    assert_eq!(diff_layout(<FlowKey as Pod>::BTF, &types.btf, types.key), None);
    assert_eq!(diff_layout(<FlowStats as Pod>::BTF, &types.btf, types.value), None);
    // Field by field, as written in Rust.
    let members = types.btf.members(types.key).expect("a struct");
    let names: Vec<&str> = members.iter().map(|m| types.btf.str_at(m.name_off).expect("a name")).collect();
    assert_eq!(names, ["saddr", "daddr", "sport", "dport"]);
    assert_eq!(types.btf.name(types.key).expect("name"), "FlowKey");
    assert_eq!(types.btf.size_of(types.key).expect("size"), 12);
    // One object for the whole load: the other declared maps' types are in it too.
    let accounts = maps.map::<Accounts>().expect("Accounts").info().expect("info");
    assert_eq!(accounts.btf_id, info.btf_id);
    // And none where the kernel takes none.
    assert_eq!(maps.map::<Cgroups>().expect("Cgroups").info().expect("info").btf_id, 0);
}

#[test]
fn a_value_with_a_spin_lock_is_read_and_written_under_it() {
    require_kernel!();
    let maps = load();
    let accounts = maps.get::<Accounts>();
    // BPF_F_LOCK, which the kernel refuses for a value in which it finds no lock: these
    // succeed only because the generated BTF showed it the lock.
    accounts
        .insert(&7, &Account { owner: 1, balance: 100, ..Default::default() }, Update::Any)
        .expect("insert");
    assert_eq!(
        accounts.get(&7).expect("get"),
        Some(Account { owner: 1, balance: 100, ..Default::default() })
    );
    let slots = maps.get::<Slots>();
    slots.set(2, &Account { owner: 2, balance: 5, ..Default::default() }).expect("set");
    assert_eq!(slots.get(2).expect("get").map(|a| a.balance), Some(5));
    let all: Vec<(u32, Account)> =
        accounts.iter().collect::<Result<_, _>>().expect("batch lookup under the lock");
    assert_eq!(all.len(), 1);
    assert_eq!(accounts.drain().count(), 1, "lookup-and-delete batches under the lock");
}

#[test]
fn a_lock_the_kernel_does_not_know_of_is_explained() {
    require_kernel!();
    // The same sizes, created from numbers alone: no BTF, so no lock the kernel knows of.
    let map = bpfmap::create_map(&MapDef::new(MapType::HASH, 4, 16, 8)).expect("create");
    assert_eq!(map.info().expect("info").btf_id, 0);
    let handle = HashMap::<u32, Account>::new(&map).expect("sizes fit");
    let err = handle.insert(&1, &Account::default(), Update::Any).expect_err("BPF_F_LOCK without a lock");
    assert_eq!(err.errno(), Some(bpfmap::Errno::EINVAL), "{err}");
    assert!(err.to_string().contains("its SpinLock is unknown to the kernel"), "{err}");
    // Batches ask for the lock too, whatever their policy (NoExist and Exist go element by
    // element): the same refusal, so the flag was sent.
    for update in [Update::Any, Update::NoExist, Update::Exist] {
        let err =
            handle.insert_batch(&[1], &[Account::default()], update).expect_err("BPF_F_LOCK without a lock");
        assert!(matches!(err, Error::LockUnknown { .. }), "{update:?}: {err:?}");
    }
    // Created with its types, the same map takes the lock.
    let typed = bpfmap::create_map(&MapDef::new(MapType::HASH, 0, 0, 8).with_types::<u32, Account>())
        .expect("create");
    assert_ne!(typed.info().expect("info").btf_id, 0);
    HashMap::<u32, Account>::new(&typed)
        .expect("handle")
        .insert(&1, &Account::default(), Update::Any)
        .expect("insert");
}

#[test]
fn maps_made_at_run_time_take_types_too() {
    require_kernel!();
    let def = MapDef::new(MapType::LPM_TRIE, 0, 0, 16)
        .with_types::<bpfmap::LpmKey<[u8; 4]>, u64>()
        .with_flags(bpfmap::MapFlags::NO_PREALLOC);
    let map = bpfmap::create_map(&def).expect("create");
    let types = map.btf().expect("read back").expect("an LPM trie takes BTF with a struct key");
    assert_eq!(diff_layout(<bpfmap::LpmKey<[u8; 4]> as Pod>::BTF, &types.btf, types.key), None);
    // An array keyed by 4 bytes that are not an integer: the kernel would refuse its BTF, so
    // the map goes without.
    let def = MapDef::new(MapType::ARRAY, 0, 0, 4).with_types::<[u8; 4], u64>();
    assert!(!def.takes_btf());
    let map = bpfmap::create_map(&def).expect("create");
    assert_eq!(map.info().expect("info").btf_id, 0);
}

#[test]
fn bpftool_prints_the_rust_fields() {
    require_kernel!();
    let bpftool = support::tools::find("bpftool").expect("bpftool, which .ci/run installs");
    let maps = load();
    let flows = maps.get::<Flows>();
    let key = FlowKey { saddr: 167_772_161, daddr: 167_772_162, sport: 4242, dport: 443 };
    flows.insert(&key, &FlowStats { packets: 3, bytes: 1500 }, Update::Any).expect("insert");
    let id = flows.map().id().expect("id");
    let out =
        Command::new(bpftool).args(["-j", "map", "dump", "id", &id.to_string()]).output().expect("bpftool");
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{dump}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        dump.contains(r#""formatted":{"key":{"saddr":167772161,"daddr":167772162,"sport":4242,"dport":443},"value":{"packets":3,"bytes":1500}}"#),
        "{dump}"
    );
}

#[test]
fn a_refused_btf_leaves_maps_without_it_and_fails_those_that_need_it() {
    require_kernel!();
    let out = support::child::run("refused_btf_child", || Ok(()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Said once, for the whole load, with the kernel's reason.
    assert_eq!(stderr.matches("bpfmap: the kernel refused the BTF of the maps").count(), 1, "{stderr}");
    assert!(stderr.contains("EINVAL"), "{stderr}");
}

#[test]
fn refused_btf_child() {
    if !support::child::is("refused_btf_child") {
        return;
    }
    // SAFETY: this child runs one test, on one thread, before anything reads the environment.
    unsafe { std::env::set_var("BPFMAP_TEST_REFUSE_BTF", "1") };
    // The declared maps with a SpinLock in their values, and the task storage, need their BTF:
    // `load()` fails on the first of them with the kernel's log.
    let err = bpfmap::load().map(drop).expect_err("locked values and task storage need BTF");
    assert!(matches!(&err, Error::Btf { map: Some(map), .. } if map.name == "bt_accounts"), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("the kernel's BTF log says:"), "{message}");
    assert!(message.contains("magic"), "the log names the bad magic: {message}");
    // A map that can go without BTF is created without it, and works.
    let def = MapDef::new(MapType::HASH, 0, 0, 8).with_types::<FlowKey, FlowStats>();
    let map = bpfmap::create_map(&def).expect("created without BTF");
    assert_eq!(map.info().expect("info").btf_id, 0);
    let _second = bpfmap::create_map(&def).expect("again: the warning is not repeated");
    let flows = HashMap::<FlowKey, FlowStats>::new(&map).expect("handle");
    let key = FlowKey { saddr: 1, daddr: 2, sport: 3, dport: 4 };
    flows.insert(&key, &FlowStats { packets: 1, bytes: 2 }, Update::Any).expect("insert");
    assert_eq!(flows.get(&key).expect("get"), Some(FlowStats { packets: 1, bytes: 2 }));
    // Local storage exists only with BTF: on a kernel that refuses it, the probe says no.
    assert!(!bpfmap::probe::map_type(MapType::TASK_STORAGE).expect("probe"));
}

#[test]
fn btf_parses_what_the_kernel_returns() {
    require_kernel!();
    let maps = load();
    let types = maps.map::<Accounts>().expect("Accounts").btf().expect("read").expect("BTF");
    let bytes_again: &Btf = &types.btf;
    let lock =
        bytes_again.find_by_name(bpfmap::btf::Kind::Struct, "bpf_spin_lock").expect("the lock's struct");
    assert_eq!(bytes_again.size_of(lock).expect("size"), 4);
}

/// `FlowKey` as another program declared it: `sport` 4 bytes wide, no `dport` (12 bytes all
/// the same).
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct WideKey {
    saddr: u32,
    daddr: u32,
    sport: u32,
}

#[test]
fn adopting_a_map_of_another_layout_names_the_first_differing_field() {
    require_kernel!();
    let fs = match support::bpffs::Bpffs::mount() {
        Ok(fs) => fs,
        Err(e) => panic!("{e}"),
    };
    let path = fs.join("wide");
    let wide = bpfmap::create_map(&MapDef::new(MapType::HASH, 0, 0, 64).with_types::<WideKey, FlowStats>())
        .expect("create");
    wide.pin(&path).expect("pin");
    let err = bpfmap::Map::adopt::<Flows>(&path).map(drop).expect_err("the key's layout differs");
    let Error::PinMismatch { diffs, .. } = &err else { panic!("{err:?}") };
    assert_eq!(diffs.len(), 1, "{err}");
    assert_eq!(diffs[0].to_string(), "key: declared FlowKey.sport u16 at 8, pinned u32 at 8");
}

#[test]
fn a_locked_array_is_neither_mapped_nor_frozen_and_says_why() {
    require_kernel!();
    // The kernel creates an mmapable array whose value holds a lock, then refuses to map it.
    let def = MapDef::new(MapType::ARRAY, 0, 0, 4)
        .with_flags(bpfmap::MapFlags::MMAPABLE)
        .with_types::<u32, Account>();
    let map = bpfmap::create_map(&def).expect("created");
    let array = bpfmap::ArrayMap::<Account>::new(&map).expect("handle");
    let err = array.mmap().map(drop).expect_err("the kernel maps no map with a lock");
    assert_eq!(err.errno(), Some(bpfmap::Errno::ENOTSUPP), "{err}");
    assert!(err.to_string().contains("holds a field the kernel keeps (a SpinLock)"), "{err}");
    let err = map.freeze().expect_err("nor freezes it");
    assert_eq!(err.errno(), Some(bpfmap::Errno::ENOTSUPP), "{err}");
    assert!(err.to_string().contains("neither maps nor freezes"), "{err}");
    // Through the handle, under the lock, it works.
    array.set(1, &Account { owner: 2, balance: 30, ..Default::default() }).expect("set");
    assert_eq!(array.get(1).expect("get").map(|a| a.balance), Some(30));
}

/// Where the parent writes the pin path for `adopt_without_cap_sys_admin_child`, named by the
/// parent's pid (the child finds it by `getppid`).
fn no_admin_note(parent: u32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bpfmap-btf-no-admin-{parent}"))
}

#[test]
fn a_process_without_cap_sys_admin_adopts_a_map_with_btf() {
    require_kernel!();
    // Reading a map's BTF by id needs CAP_SYS_ADMIN; adopting the map needs only CAP_BPF, and
    // then compares what it can read (type, sizes, flags).
    let fs = support::bpffs::Bpffs::mount().unwrap_or_else(|e| panic!("{e}"));
    let map = bpfmap::create_map(&MapDef::new(MapType::HASH, 0, 0, 64).with_types::<FlowKey, FlowStats>())
        .expect("create");
    map.pin(fs.join("flows")).expect("pin");
    let note = no_admin_note(std::process::id());
    std::fs::write(&note, fs.join("flows").as_os_str().as_encoded_bytes()).expect("write the note");
    let out = support::child::run("adopt_without_cap_sys_admin_child", || {
        const CAP_SYS_ADMIN: libc::c_ulong = 21;
        // SAFETY: prctl between fork and exec; root's capabilities after exec are its
        // bounding set, which this drops CAP_SYS_ADMIN from.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    });
    let _ = std::fs::remove_file(&note);
    assert!(support::child::printed(&out, "adopted without CAP_SYS_ADMIN"));
}

#[test]
fn adopt_without_cap_sys_admin_child() {
    if !support::child::is("adopt_without_cap_sys_admin_child") {
        return;
    }
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() } as u32;
    let path = std::fs::read_to_string(no_admin_note(parent)).expect("the parent's note");
    let map = bpfmap::Map::adopt::<Flows>(&path).unwrap_or_else(|e| panic!("adopt: {e}"));
    // Its BTF is out of reach here: the kernel says so, and adopting did not depend on it.
    assert!(map.btf().is_err(), "BPF_BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN");
    let flows = HashMap::<FlowKey, FlowStats>::new(&map).expect("handle");
    let key = FlowKey { saddr: 1, daddr: 2, sport: 3, dport: 4 };
    flows.insert(&key, &FlowStats { packets: 5, bytes: 6 }, Update::Any).expect("insert");
    assert_eq!(flows.get(&key).expect("get"), Some(FlowStats { packets: 5, bytes: 6 }));
    println!("adopted without CAP_SYS_ADMIN");
}
