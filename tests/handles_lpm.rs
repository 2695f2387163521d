//! `LpmTrie` against the kernel: the longest stored prefix wins, removing a prefix falls back
//! to the next longest, and iteration lists exactly the stored prefixes.

mod support;

use bpfmap::{Errno, LpmKey, Update, bpf_map};

#[bpf_map(type = "lpm_trie", max_entries = 64, flags = "no_prealloc")]
struct Routes {
    key: LpmKey<[u8; 4]>,
    value: u32,
}

#[bpf_map(type = "lpm_trie", max_entries = 16, flags = "no_prealloc")]
struct Routes6 {
    key: LpmKey<[u8; 16]>,
    value: u32,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

const ROUTES: [(u32, [u8; 4], u32); 5] = [
    (0, [0, 0, 0, 0], 99),
    (8, [10, 0, 0, 0], 1),
    (16, [10, 1, 0, 0], 2),
    (24, [10, 1, 2, 0], 3),
    (32, [10, 1, 2, 3], 4),
];

fn sorted_entries(routes: &bpfmap::LpmTrie<'_, LpmKey<[u8; 4]>, u32>) -> Vec<(u32, [u8; 4], u32)> {
    let mut entries: Vec<(u32, [u8; 4], u32)> = routes
        .iter()
        .map(|e| e.map(|(k, v)| (k.prefix_len(), k.data(), v)))
        .collect::<Result<_, _>>()
        .expect("iter");
    entries.sort();
    entries
}

#[test]
fn the_longest_stored_prefix_matches() {
    require_kernel!();
    let maps = load();
    let routes = maps.get::<Routes>();
    assert_eq!(routes.longest_match([10, 1, 2, 3]).expect("lookup"), None, "an empty trie matches nothing");
    for (len, data, value) in ROUTES {
        routes.insert(&LpmKey::new(len, data), &value, Update::NoExist).expect("insert");
    }
    assert_eq!(routes.longest_match([10, 1, 2, 3]).expect("lookup"), Some(4), "the /32");
    assert_eq!(routes.longest_match([10, 1, 2, 200]).expect("lookup"), Some(3), "the /24");
    assert_eq!(routes.longest_match([10, 1, 9, 9]).expect("lookup"), Some(2), "the /16");
    assert_eq!(routes.longest_match([10, 200, 0, 1]).expect("lookup"), Some(1), "the /8");
    assert_eq!(routes.longest_match([192, 168, 0, 1]).expect("lookup"), Some(99), "the default route");

    // `get` matches at most the query's own prefix length.
    assert_eq!(routes.get(&LpmKey::new(16, [10, 1, 2, 3])).expect("get"), Some(2));
    assert_eq!(routes.get(&LpmKey::new(23, [10, 1, 2, 3])).expect("get"), Some(2));
    assert_eq!(routes.get(&LpmKey::new(7, [10, 1, 2, 3])).expect("get"), Some(99));

    let err = routes.insert(&LpmKey::new(16, [10, 1, 0, 0]), &5, Update::NoExist).expect_err("stored prefix");
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    routes.insert(&LpmKey::new(16, [10, 1, 0, 0]), &20, Update::Exist).expect("replace");
    assert_eq!(routes.longest_match([10, 1, 9, 9]).expect("lookup"), Some(20));
}

#[test]
fn removing_a_prefix_falls_back_to_the_next_longest() {
    require_kernel!();
    let maps = load();
    let routes = maps.get::<Routes>();
    for (len, data, value) in ROUTES {
        routes.insert(&LpmKey::new(len, data), &value, Update::Any).expect("insert");
    }
    assert!(routes.remove(&LpmKey::new(24, [10, 1, 2, 0])).expect("remove the /24"));
    assert_eq!(routes.longest_match([10, 1, 2, 200]).expect("lookup"), Some(2), "now the /16");
    assert_eq!(routes.longest_match([10, 1, 2, 3]).expect("lookup"), Some(4), "the /32 stays");
    assert!(!routes.remove(&LpmKey::new(24, [10, 1, 2, 0])).expect("remove again"));
    // Only an exact prefix is removed, not the one a lookup would match.
    assert!(!routes.remove(&LpmKey::new(12, [10, 0, 0, 0])).expect("remove a /12 never stored"));
    assert_eq!(routes.longest_match([10, 2, 0, 0]).expect("lookup"), Some(1));

    let expected: Vec<(u32, [u8; 4], u32)> = ROUTES.into_iter().filter(|&(len, _, _)| len != 24).collect();
    assert_eq!(sorted_entries(&routes), expected, "iteration lists the stored prefixes");
    let mut keys: Vec<(u32, [u8; 4])> =
        routes.keys().map(|k| k.map(|k| (k.prefix_len(), k.data()))).collect::<Result<_, _>>().expect("keys");
    keys.sort();
    assert_eq!(keys, expected.iter().map(|&(l, d, _)| (l, d)).collect::<Vec<_>>());
}

#[test]
fn iteration_lists_many_prefixes_exactly() {
    require_kernel!();
    let maps = load();
    let routes = maps.get::<Routes>();
    let mut expected = Vec::new();
    for i in 0..64u32 {
        let (len, data) = match i % 4 {
            0 => (8, [i as u8, 0, 0, 0]),
            1 => (16, [10, i as u8, 0, 0]),
            2 => (24, [10, 1, i as u8, 0]),
            _ => (32, [10, 1, 2, i as u8]),
        };
        routes.insert(&LpmKey::new(len, data), &(i * 3), Update::NoExist).expect("insert");
        expected.push((len, data, i * 3));
    }
    let err = routes.insert(&LpmKey::new(32, [1, 2, 3, 4]), &0, Update::NoExist).expect_err("full");
    assert_eq!(err.errno(), Some(Errno::ENOSPC), "{err}");
    expected.sort();
    assert_eq!(sorted_entries(&routes), expected);
}

#[test]
fn ipv6_prefixes() {
    require_kernel!();
    let maps = load();
    let routes = maps.get::<Routes6>();
    let mut net = [0u8; 16];
    net[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    routes.insert(&LpmKey::new(32, net), &32, Update::Any).expect("insert /32");
    let mut sub = net;
    sub[4] = 0xab;
    routes.insert(&LpmKey::new(40, sub), &40, Update::Any).expect("insert /40");
    let mut host = sub;
    host[15] = 1;
    assert_eq!(routes.longest_match(host).expect("lookup"), Some(40));
    host[4] = 0xac;
    assert_eq!(routes.longest_match(host).expect("lookup"), Some(32));
    assert_eq!(routes.longest_match([0xfe; 16]).expect("lookup"), None);
    assert_eq!(routes.iter().count(), 2);
}
