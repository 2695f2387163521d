//! `load()` against the kernel: every declaration of this file becomes a map, in declaration
//! order, reachable by index, name and type, with the definition the kernel reports back; and
//! the typed handles of the foundation (hash and array) read and write it.

mod support;

use std::collections::BTreeSet;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use bpfmap::{Errno, Error, MapDecl, MapFlags, MapType, Maps, Op, Pod, Update, bpf_map};

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Pod)]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

#[bpf_map(type = "hash", max_entries = 64)]
struct Counts {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 8, name = "slots_v2")]
struct Slots {
    key: u32,
    value: u64,
}

#[bpf_map(type = "hash", max_entries = 1024, flags = "no_prealloc")]
struct FlowTable {
    key: FlowKey,
    value: u32,
}

#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct EventLog;

#[bpf_map(type = "hash", max_entries = 512, flags = "no_prealloc")]
struct Churn {
    key: u32,
    value: u32,
}

/// The kernel names of the declarations above, in the order they are written.
const NAMES: [&str; 5] = ["counts", "slots_v2", "flow_table", "event_log", "churn"];

fn load() -> Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn fd_flags(fd: BorrowedFd<'_>) -> i32 {
    // SAFETY: F_GETFD on a live fd reads no memory.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "F_GETFD: {}", std::io::Error::last_os_error());
    flags
}

mod registry {
    use super::*;

    #[test]
    fn maps_come_in_declaration_order() {
        require_kernel!();
        let maps = load();
        assert_eq!(maps.len(), NAMES.len());
        assert!(!maps.is_empty());
        let names: Vec<&str> = maps.iter().map(|m| m.name()).collect();
        assert_eq!(names, NAMES);
        let by_ref: Vec<&str> = (&maps).into_iter().map(|m| m.name()).collect();
        assert_eq!(by_ref, NAMES);

        let declared: Vec<(&str, &str)> =
            maps.iter().map(|m| m.declaration().expect("declared")).map(|d| (d.file, d.rust_name)).collect();
        assert_eq!(
            declared,
            ["Counts", "Slots", "FlowTable", "EventLog", "Churn"]
                .map(|rust_name| ("tests/load.rs", rust_name))
        );
        let lines: Vec<u32> = maps.iter().map(|m| m.declaration().expect("declared").line).collect();
        assert!(lines.is_sorted_by(|a, b| a < b), "lines {lines:?} are not increasing");
        assert_eq!(lines[0], Counts::declaration().line);
    }

    #[test]
    fn index_name_and_type_reach_the_same_map() {
        require_kernel!();
        let maps = load();
        for (i, name) in NAMES.iter().enumerate() {
            let by_name = maps.by_name(name).unwrap_or_else(|| panic!("by_name({name})"));
            assert!(std::ptr::eq(by_name, &maps[i]), "by_name({name}) is not maps[{i}]");
        }
        assert!(maps.by_name("slots").is_none(), "the Rust name is not the kernel name");
        assert!(maps.by_name("nope").is_none());

        assert!(std::ptr::eq(maps.map::<Counts>().expect("Counts"), &maps[0]));
        assert!(std::ptr::eq(maps.map::<Slots>().expect("Slots"), &maps[1]));
        assert!(std::ptr::eq(maps.map::<FlowTable>().expect("FlowTable"), &maps[2]));
        assert!(std::ptr::eq(maps.map::<EventLog>().expect("EventLog"), &maps[3]));
        assert!(std::ptr::eq(maps.map::<Churn>().expect("Churn"), &maps[4]));
        assert!(std::ptr::eq(maps.get::<Counts>().map(), &maps[0]));
        assert!(std::ptr::eq(maps.get::<Slots>().map(), &maps[1]));
        assert!(std::ptr::eq(maps.get::<FlowTable>().map(), &maps[2]));
        assert!(std::ptr::eq(maps.try_get::<Churn>().expect("Churn").map(), &maps[4]));
    }

    #[test]
    fn names_default_to_snake_case_unless_given() {
        require_kernel!();
        let maps = load();
        assert_eq!(maps.map::<Counts>().expect("Counts").name(), "counts");
        assert_eq!(maps.map::<FlowTable>().expect("FlowTable").name(), "flow_table");
        assert_eq!(maps.map::<EventLog>().expect("EventLog").name(), "event_log");
        assert_eq!(maps.map::<Slots>().expect("Slots").name(), "slots_v2");
        for map in &maps {
            let info = map.info().expect("info");
            assert_eq!(info.name.as_str(), map.name(), "the kernel keeps the name");
        }
    }

    #[test]
    fn definitions_are_as_declared() {
        require_kernel!();
        let maps = load();
        let expected = [
            (MapType::HASH, 4, 8, 64, MapFlags::EMPTY),
            (MapType::ARRAY, 4, 8, 8, MapFlags::EMPTY),
            (MapType::HASH, 12, 4, 1024, MapFlags::NO_PREALLOC),
            (MapType::RINGBUF, 0, 0, 4096, MapFlags::EMPTY),
            (MapType::HASH, 4, 4, 512, MapFlags::NO_PREALLOC),
        ];
        for (map, (map_type, key, value, max, flags)) in maps.iter().zip(expected) {
            let def = map.def();
            assert_eq!(
                (def.map_type, def.key_size, def.value_size, def.max_entries, def.flags),
                (map_type, key, value, max, flags),
                "def of {}",
                map.name()
            );
            assert_eq!(def.name.as_str(), map.name());
        }
        assert_eq!(*maps.map::<FlowTable>().expect("FlowTable").def(), FlowTable::DEF);
    }

    #[test]
    fn the_kernel_reports_what_was_declared() {
        require_kernel!();
        let maps = load();
        for map in &maps {
            let info = map.info().expect("info");
            let def = map.def();
            assert_eq!(map.id().expect("id"), info.id, "id of {}", map.name());
            assert_ne!(info.id, 0);
            assert_eq!(
                (info.map_type, info.key_size, info.value_size, info.max_entries, info.flags),
                (def.map_type, def.key_size, def.value_size, def.max_entries, def.flags),
                "info of {}",
                map.name()
            );
        }
    }

    #[test]
    fn fds_are_above_stdio_and_close_on_exec() {
        require_kernel!();
        let maps = load();
        let mut fds = BTreeSet::new();
        for map in &maps {
            let fd = map.fd();
            assert!(fd.as_raw_fd() >= 3, "{} has fd {}", map.name(), fd.as_raw_fd());
            assert_eq!(
                fd_flags(fd) & libc::FD_CLOEXEC,
                libc::FD_CLOEXEC,
                "{} is not close-on-exec",
                map.name()
            );
            fds.insert(fd.as_raw_fd());
        }
        assert_eq!(fds.len(), maps.len(), "every map has its own fd");
    }

    #[test]
    fn two_loads_create_distinct_maps() {
        require_kernel!();
        let first = load();
        let second = load();
        assert_eq!(first.len(), second.len());
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.name(), b.name());
            assert_ne!(a.id().expect("id"), b.id().expect("id"), "{} was created once", a.name());
            assert_ne!(a.fd().as_raw_fd(), b.fd().as_raw_fd());
        }
        first.get::<Counts>().insert(&1, &1, Update::Any).expect("insert");
        assert_eq!(second.get::<Counts>().get(&1).expect("get"), None, "the maps share no data");
    }

    #[test]
    fn display_is_a_table_of_every_map() {
        require_kernel!();
        let maps = load();
        let table = maps.to_string();
        let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows.len(), 1 + maps.len(), "a header and one row per map:\n{table}");
        assert_eq!(rows[0], ["#", "name", "type", "key", "value", "max_entries", "flags", "fd", "id"]);

        let flows = &maps[2];
        let fd = flows.fd().as_raw_fd().to_string();
        let id = flows.id().expect("id").to_string();
        assert_eq!(rows[3], ["2", "flow_table", "hash", "12", "4", "1024", "no_prealloc", &fd, &id]);
        let log = &maps[3];
        let fd = log.fd().as_raw_fd().to_string();
        let id = log.id().expect("id").to_string();
        assert_eq!(rows[4], ["3", "event_log", "ringbuf", "0", "0", "4096", "-", &fd, &id]);
    }
}

mod hash {
    use super::*;

    #[test]
    fn insert_follows_the_update_policy() {
        require_kernel!();
        let maps = load();
        let counts = maps.get::<Counts>();

        counts.insert(&1, &10, Update::NoExist).expect("create with NoExist");
        assert_eq!(counts.get(&1).expect("get"), Some(10));

        let err = counts.insert(&1, &11, Update::NoExist).expect_err("NoExist on an existing key");
        assert_eq!(err.errno(), Some(Errno::EEXIST));
        assert!(
            matches!(&err, Error::Map { op: Op::Update(Update::NoExist), map, .. } if map.name == "counts"),
            "{err:?}"
        );
        assert!(err.to_string().ends_with("the key exists (Update::NoExist)"), "{err}");
        assert_eq!(counts.get(&1).expect("get"), Some(10), "a refused insert changes nothing");

        let err = counts.insert(&2, &20, Update::Exist).expect_err("Exist on an absent key");
        assert_eq!(err.errno(), Some(Errno::ENOENT));
        assert!(matches!(&err, Error::Map { op: Op::Update(Update::Exist), .. }), "{err:?}");
        assert!(err.to_string().ends_with("the key does not exist (Update::Exist)"), "{err}");
        assert_eq!(counts.get(&2).expect("get"), None, "a refused insert creates nothing");

        counts.insert(&1, &12, Update::Exist).expect("replace with Exist");
        assert_eq!(counts.get(&1).expect("get"), Some(12));
        counts.insert(&1, &13, Update::Any).expect("replace with Any");
        counts.insert(&3, &30, Update::default()).expect("create with Any");
        assert_eq!(counts.get(&1).expect("get"), Some(13));
        assert_eq!(counts.get(&3).expect("get"), Some(30));
    }

    #[test]
    fn remove_says_whether_the_key_was_there() {
        require_kernel!();
        let maps = load();
        let counts = maps.get::<Counts>();
        counts.insert(&5, &50, Update::Any).expect("insert");
        assert!(counts.remove(&5).expect("remove"));
        assert_eq!(counts.get(&5).expect("get"), None);
        assert!(!counts.remove(&5).expect("remove again"));
        assert!(!counts.remove(&6).expect("remove never inserted"));
    }

    #[test]
    fn keys_and_iter_return_exactly_what_was_inserted() {
        require_kernel!();
        let maps = load();
        let flows = maps.get::<FlowTable>();
        assert_eq!(flows.keys().count(), 0, "a new map is empty");
        assert_eq!(flows.iter().count(), 0);

        let inserted: Vec<(FlowKey, u32)> = (0..300u32)
            .map(|i| {
                let key = FlowKey { saddr: 0x0a00_0000 + i, daddr: 0x0a00_0001, sport: i as u16, dport: 443 };
                (key, i * 7)
            })
            .collect();
        for (key, value) in &inserted {
            flows.insert(key, value, Update::NoExist).expect("insert");
        }
        // One removed, so that what is listed is what is there, not what was ever inserted.
        assert!(flows.remove(&inserted[150].0).expect("remove"));
        let expected: Vec<(FlowKey, u32)> =
            inserted.iter().enumerate().filter(|&(i, _)| i != 150).map(|(_, &e)| e).collect();

        let mut keys = flows.keys().collect::<Result<Vec<_>, _>>().expect("keys");
        keys.sort();
        assert_eq!(keys, expected.iter().map(|&(k, _)| k).collect::<Vec<_>>());

        let mut entries = flows.iter().collect::<Result<Vec<_>, _>>().expect("iter");
        entries.sort();
        assert_eq!(entries, expected);
        let mut by_into_iter = flows.into_iter().collect::<Result<Vec<_>, _>>().expect("into_iter");
        by_into_iter.sort();
        assert_eq!(by_into_iter, expected);
    }

    #[test]
    fn a_full_preallocated_hash_refuses_new_keys() {
        require_kernel!();
        let maps = load();
        let counts = maps.get::<Counts>();
        for key in 0..64 {
            counts.insert(&key, &u64::from(key), Update::NoExist).expect("insert within max_entries");
        }
        let err = counts.insert(&64, &64, Update::NoExist).expect_err("insert past max_entries");
        assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
        counts.insert(&63, &630, Update::Exist).expect("replacing still works when full");
        assert_eq!(counts.get(&63).expect("get"), Some(630));
    }

    #[test]
    fn iteration_ends_while_another_thread_deletes() {
        require_kernel!();
        let maps = load();
        let churn = maps.get::<Churn>();
        const N: u32 = 512;
        for key in 0..N {
            churn.insert(&key, &key, Update::NoExist).expect("fill");
        }
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            // Emptying and refilling keeps the map changing under the iteration, and sends
            // `get_next_key` from a deleted key back to the first bucket.
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    for key in 0..N {
                        churn.remove(&key).expect("remove");
                    }
                    for key in 0..N {
                        churn.insert(&key, &key, Update::Any).expect("re-insert");
                    }
                }
            });
            for _ in 0..20 {
                check_iteration_end(churn.keys().map(|k| k.map(|k| (k, k))), N);
                check_iteration_end(churn.iter(), N);
            }
            stop.store(true, Ordering::Relaxed);
        });
    }

    #[test]
    fn keys_abort_when_every_visited_key_is_replaced() {
        require_kernel!();
        let maps = load();
        let churn = maps.get::<Churn>();
        const N: u32 = 512;
        for key in 0..N {
            churn.insert(&key, &key, Update::NoExist).expect("fill");
        }
        // Each visited key is deleted before the next step, so every `get_next_key` starts
        // over from the first bucket and the walk would never reach the end: only the bound
        // (one visit per possible entry) stops it.
        let mut fresh = N;
        let mut keys = churn.keys();
        let mut visited = 0u64;
        let end = loop {
            match keys.next().expect("the iteration ends with an error, not None") {
                Ok(key) => {
                    assert!(churn.remove(&key).expect("remove"), "key {key} was listed but absent");
                    churn.insert(&fresh, &fresh, Update::NoExist).expect("insert a fresh key");
                    fresh += 1;
                    visited += 1;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(visited, u64::from(N), "one visit per entry the map can hold");
        assert!(
            matches!(&end, Error::IterationAborted { map, visited: 512 } if map.name == "churn"),
            "{end:?}"
        );
        assert!(keys.next().is_none(), "nothing after the abort");
    }

    /// What an iteration over a changing map may yield: entries of the map, then either the
    /// end or one `IterationAborted` followed by the end.
    fn check_iteration_end(mut iter: impl Iterator<Item = Result<(u32, u32), Error>>, n: u32) {
        let mut yielded = 0u64;
        for item in iter.by_ref() {
            match item {
                Ok((key, value)) => {
                    assert!(key < n, "key {key} was never inserted");
                    assert_eq!(value, key, "the value of {key}");
                    yielded += 1;
                }
                Err(Error::IterationAborted { map, visited }) => {
                    assert_eq!(map.name, "churn");
                    assert_eq!(visited, yielded, "visited counts the keys yielded");
                    break;
                }
                Err(e) => panic!("iteration failed: {e}"),
            }
        }
        assert!(iter.next().is_none(), "an iteration ends after it aborts");
    }
}

mod array {
    use super::*;

    #[test]
    fn get_set_len_and_iter() {
        require_kernel!();
        let maps = load();
        let slots = maps.get::<Slots>();
        assert_eq!(slots.len(), 8);
        assert!(!slots.is_empty());
        for i in 0..8 {
            assert_eq!(slots.get(i).expect("get"), Some(0), "slot {i} starts zeroed");
        }
        slots.set(3, &33).expect("set 3");
        slots.set(7, &u64::MAX).expect("set 7");
        slots.set(3, &34).expect("set 3 again");
        assert_eq!(slots.get(3).expect("get"), Some(34));
        assert_eq!(slots.get(7).expect("get"), Some(u64::MAX));

        let entries = slots.iter().collect::<Result<Vec<_>, _>>().expect("iter");
        assert_eq!(entries, [(0, 0), (1, 0), (2, 0), (3, 34), (4, 0), (5, 0), (6, 0), (7, u64::MAX)]);
    }

    #[test]
    fn past_the_end_reads_none_and_writes_fail() {
        require_kernel!();
        let maps = load();
        let slots = maps.get::<Slots>();
        assert_eq!(slots.get(8).expect("get 8"), None);
        assert_eq!(slots.get(u32::MAX).expect("get u32::MAX"), None);
        let err = slots.set(8, &1).expect_err("set past the end");
        assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
        assert!(
            matches!(&err, Error::Map { op: Op::Update(Update::Any), map, .. } if map.name == "slots_v2"),
            "{err:?}"
        );
        assert!(err.to_string().ends_with("the index is past max_entries"), "{err}");
        let entries = slots.iter().collect::<Result<Vec<_>, _>>().expect("iter");
        assert_eq!(entries.len(), 8, "a refused write adds no slot");
    }
}
