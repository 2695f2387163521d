//! What `tests/bpf/count.bpf.c` does to its maps, checked the same way whichever loader ran it
//! (`tests/loader_libbpf_rs.rs`, `tests/loader_aya.rs`).

use bpfmap::{ArrayMap, HashMap, Pod};

/// The value of `stats`, as `struct pkt_stats` in count.bpf.c.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod)]
pub struct PktStats {
    pub packets: u64,
    pub bytes: u64,
    pub min_len: u32,
    pub max_len: u32,
}

/// `counts` keys: packets and bytes.
pub const PACKETS: u32 = 0;
pub const BYTES: u32 = 1;
/// What the program returns.
pub const XDP_PASS: u32 = 2;

/// Runs the loaded program through `run(packet length, repeat)` (its return value) on
/// `counts` that start with 1000 packets, and checks through bpfmap's handles what it wrote;
/// then writes through them and checks the program saw it.
pub fn check_runs(
    counts: &HashMap<'_, u32, u64>,
    stats: &ArrayMap<'_, PktStats>,
    mut run: impl FnMut(usize, u32) -> u32,
) {
    // Three runs on a 64-byte packet, one on a 128-byte one.
    assert_eq!(run(64, 3), XDP_PASS);
    assert_eq!(run(128, 1), XDP_PASS);

    let mut all: Vec<(u32, u64)> = counts.iter().collect::<Result<_, _>>().unwrap();
    all.sort_unstable();
    assert_eq!(all, [(PACKETS, 1000 + 4), (BYTES, 3 * 64 + 128)]);
    assert_eq!(
        stats.get(0).unwrap(),
        Some(PktStats { packets: 4, bytes: 3 * 64 + 128, min_len: 64, max_len: 128 })
    );

    // What bpfmap writes, the loaded program sees: reset, and run once more.
    stats.set(0, &PktStats::default()).unwrap();
    counts.remove(&BYTES).unwrap();
    assert_eq!(run(100, 1), XDP_PASS);
    assert_eq!(counts.get(&PACKETS).unwrap(), Some(1005));
    assert_eq!(counts.get(&BYTES).unwrap(), Some(100), "inserted anew by the program");
    assert_eq!(stats.get(0).unwrap(), Some(PktStats { packets: 1, bytes: 100, min_len: 100, max_len: 100 }));
}
