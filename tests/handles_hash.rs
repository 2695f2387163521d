//! `HashMap` on `hash` and `lru_hash` maps against the kernel: the batch operations
//! (`insert_batch`, `remove_batch`, `drain`, `clear`, batch iteration), `get_and_remove`, a
//! map of 50,000 entries read back exactly, and LRU eviction.

mod support;

use std::collections::BTreeMap;

use bpfmap::{Errno, Error, HashMap, MapDef, MapFlags, MapType, Op, Update, bpf_map};

#[bpf_map(type = "hash", max_entries = 256)]
struct Table {
    key: u32,
    value: u64,
}

#[bpf_map(type = "lru_hash", max_entries = 64)]
struct Recent {
    key: u32,
    value: u64,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn sorted(entries: impl Iterator<Item = Result<(u32, u64), Error>>) -> Vec<(u32, u64)> {
    let mut all = entries.collect::<Result<Vec<_>, _>>().expect("iterate");
    all.sort();
    all
}

#[test]
fn insert_batch_writes_every_pair() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    let keys: Vec<u32> = (0..200).map(|i| i * 3 + 1).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) << 32 | 0xbeef).collect();
    assert_eq!(table.insert_batch(&keys, &values, Update::NoExist).expect("insert_batch"), 200);
    for (k, v) in keys.iter().zip(&values) {
        assert_eq!(table.get(k).expect("get"), Some(*v), "key {k}");
    }
    assert_eq!(table.get(&0).expect("get"), None, "no key outside the batch");
    let expected: Vec<(u32, u64)> = keys.iter().copied().zip(values.iter().copied()).collect();
    assert_eq!(sorted(table.iter()), expected);
}

#[test]
fn insert_batch_follows_the_update_policy() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    table.insert(&2, &20, Update::Any).expect("insert");

    // NoExist stops at the existing key; the keys before it are written. (The kernel's batch
    // command takes no policy, so the handle writes these pair by pair: the error is an update's.)
    let err = table.insert_batch(&[1, 2, 3], &[10, 21, 30], Update::NoExist).expect_err("key 2 exists");
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    assert!(
        matches!(&err, Error::Batch { op: Op::Update(Update::NoExist), map, done: 1, .. } if map.name == "table"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("the key exists (Update::NoExist) (1 elements of the batch were processed before it)"),
        "{err}"
    );
    assert_eq!(table.get(&1).expect("get"), Some(10), "written before the failing key");
    assert_eq!(table.get(&2).expect("get"), Some(20), "the existing key is untouched");
    assert_eq!(table.get(&3).expect("get"), None, "not written after the failing key");

    // Exist replaces only what is there.
    assert_eq!(table.insert_batch(&[1, 2], &[11, 22], Update::Exist).expect("replace"), 2);
    assert_eq!(sorted(table.iter()), [(1, 11), (2, 22)]);
    let err = table.insert_batch(&[9], &[90], Update::Exist).expect_err("key 9 is absent");
    assert_eq!(err.errno(), Some(Errno::ENOENT), "{err}");

    // Update::Any goes through BPF_MAP_UPDATE_BATCH, which stops when the map is full.
    let keys: Vec<u32> = (100..400).collect();
    let err = table.insert_batch(&keys, &vec![7; 300], Update::Any).expect_err("300 more keys than fit");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
    // Keys 1 and 2 were there: 254 fitted, and the error says so.
    assert!(matches!(&err, Error::Batch { op: Op::Update(Update::Any), done: 254, .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "the map is full (max_entries elements) (254 elements of the batch were processed before it)"
        ),
        "{err}"
    );
    assert_eq!(table.iter().count(), 256, "the batch filled the map before it stopped");
    table.clear().expect("clear");

    // One value per key, checked before any syscall.
    let err = table.insert_batch(&[5, 6], &[50], Update::Any).expect_err("lengths differ");
    assert!(matches!(&err, Error::Mismatch { what, .. } if what.contains("2 keys and 1 values")), "{err:?}");
    assert_eq!(table.get(&5).expect("get"), None);
    assert_eq!(table.insert_batch(&[], &[], Update::Any).expect("empty batch"), 0);
}

#[test]
fn remove_batch_deletes_the_keys_and_stops_at_an_absent_one() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    let keys: Vec<u32> = (0..100).collect();
    let values: Vec<u64> = (0..100).map(|v| v * 10).collect();
    table.insert_batch(&keys, &values, Update::Any).expect("insert_batch");

    let gone: Vec<u32> = (0..100).filter(|k| k % 2 == 0).collect();
    assert_eq!(table.remove_batch(&gone).expect("remove_batch"), 50);
    let expected: Vec<(u32, u64)> = (0..100).filter(|k| k % 2 == 1).map(|k| (k, u64::from(k) * 10)).collect();
    assert_eq!(sorted(table.iter()), expected);

    // Key 4 was removed above: the batch deletes 1 and 3, then stops there.
    let deleted = table.remove_batch(&[1, 3, 4, 5]).expect("remove_batch with an absent key");
    assert_eq!(deleted, 2, "the count says where the batch stopped");
    assert_eq!(table.get(&1).expect("get"), None);
    assert_eq!(table.get(&3).expect("get"), None);
    assert_eq!(table.get(&5).expect("get"), Some(50), "keys after the absent one stay");
}

#[test]
fn get_and_remove_takes_the_value_out() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    table.insert(&7, &70, Update::Any).expect("insert");
    table.insert(&8, &80, Update::Any).expect("insert");
    assert_eq!(table.get_and_remove(&7).expect("get_and_remove"), Some(70));
    assert_eq!(table.get(&7).expect("get"), None, "the key is gone");
    assert_eq!(table.get_and_remove(&7).expect("get_and_remove again"), None);
    assert_eq!(table.get_and_remove(&9).expect("never inserted"), None);
    assert_eq!(sorted(table.iter()), [(8, 80)], "other keys stay");
}

#[test]
fn drain_returns_every_entry_and_empties_the_map() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    let keys: Vec<u32> = (0..256u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    let values: Vec<u64> = (0..256u64).map(|i| !i).collect();
    table.insert_batch(&keys, &values, Update::NoExist).expect("fill to max_entries");

    let mut drained = table.drain().collect::<Result<Vec<_>, _>>().expect("drain");
    drained.sort();
    let mut expected: Vec<(u32, u64)> = keys.iter().copied().zip(values.iter().copied()).collect();
    expected.sort();
    assert_eq!(drained, expected);
    assert_eq!(table.iter().count(), 0, "drain empties the map");
    assert_eq!(table.keys().count(), 0);
    assert_eq!(table.drain().count(), 0, "draining an empty map yields nothing");
    table.insert(&1, &1, Update::NoExist).expect("the drained map takes new keys");
}

#[test]
fn a_drain_dropped_part_way_gives_back_what_it_did_not_yield() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    let keys: Vec<u32> = (0..100).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) + 1000).collect();
    table.insert_batch(&keys, &values, Update::Any).expect("insert_batch");
    // The kernel deletes a whole batch (here all 100) when the drain reads its first entry.
    let mut drain = table.drain();
    let (taken, value) = drain.next().expect("an entry").expect("drain");
    assert_eq!(value, u64::from(taken) + 1000);
    drop(drain);
    let left = sorted(table.iter());
    let expected: Vec<(u32, u64)> =
        keys.iter().filter(|&&k| k != taken).map(|&k| (k, u64::from(k) + 1000)).collect();
    assert_eq!(left, expected, "every entry but the one taken is back");
}

#[test]
fn clear_deletes_every_entry() {
    require_kernel!();
    let maps = load();
    let table = maps.get::<Table>();
    let keys: Vec<u32> = (0..150).collect();
    table.insert_batch(&keys, &vec![5; 150], Update::Any).expect("insert_batch");
    table.clear().expect("clear");
    assert_eq!(table.iter().count(), 0);
    for key in [0, 75, 149] {
        assert_eq!(table.get(&key).expect("get"), None, "key {key}");
    }
    table.clear().expect("clearing an empty map");
    // A full preallocated hash has room again after clear.
    let keys: Vec<u32> = (1000..1256).collect();
    assert_eq!(table.insert_batch(&keys, &vec![1; 256], Update::NoExist).expect("refill"), 256);
}

#[test]
fn fifty_thousand_entries_iterate_back_exactly() {
    require_kernel!();
    const N: u32 = 50_000;
    // Created here, not declared: every test of this file loads the declared maps.
    let def = MapDef::new(MapType::HASH, 4, 8, N).with_flags(MapFlags::NO_PREALLOC);
    let map = bpfmap::create_map(&def).unwrap_or_else(|e| panic!("create: {e}"));
    let big = HashMap::<u32, u64>::new(&map).expect("handle");

    // Scattered keys, so that buckets hold several entries and batches end mid-table.
    let keys: Vec<u32> = (0..N).map(|i| i.wrapping_mul(0x9e37_79b9) ^ 0x5555).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k).wrapping_mul(0x1_0000_0001) + 3).collect();
    assert_eq!(big.insert_batch(&keys, &values, Update::NoExist).expect("insert_batch"), N as usize);
    let expected: BTreeMap<u32, u64> = keys.iter().copied().zip(values.iter().copied()).collect();
    assert_eq!(expected.len(), N as usize, "the keys are distinct");

    let mut seen = BTreeMap::new();
    for entry in big.iter() {
        let (key, value) = entry.expect("iterate");
        assert!(seen.insert(key, value).is_none(), "key {key} was yielded twice");
    }
    assert_eq!(seen, expected, "iteration returns exactly what was inserted");

    let mut keys_back: Vec<u32> = big.keys().collect::<Result<_, _>>().expect("keys");
    keys_back.sort();
    assert!(keys_back.iter().copied().eq(expected.keys().copied()), "keys() lists the same keys");

    let drained: BTreeMap<u32, u64> = big.drain().collect::<Result<_, _>>().expect("drain");
    assert_eq!(drained, expected, "drain returns the same entries");
    assert_eq!(big.iter().count(), 0);
}

#[test]
fn lru_eviction_keeps_at_most_max_entries() {
    require_kernel!();
    let maps = load();
    let recent = maps.get::<Recent>();
    for key in 0..2000u32 {
        recent
            .insert(&key, &(u64::from(key) + 1), Update::Any)
            .expect("an LRU map never refuses for lack of room");
    }
    let entries = sorted(recent.iter());
    assert!(!entries.is_empty());
    assert!(entries.len() <= 64, "{} entries in an LRU map of 64", entries.len());
    for &(key, value) in &entries {
        assert!(key < 2000);
        assert_eq!(value, u64::from(key) + 1, "a surviving key keeps its value");
    }
    assert_eq!(recent.get(&1999).expect("get"), Some(2000), "the newest key survives");

    // The batch path works on LRU maps too.
    let drained = recent.drain().count();
    assert_eq!(drained, entries.len());
    assert_eq!(recent.iter().count(), 0);
    assert_eq!(recent.insert_batch(&[1, 2], &[10, 20], Update::NoExist).expect("insert_batch"), 2);
    assert_eq!(sorted(recent.iter()), [(1, 10), (2, 20)]);
}
