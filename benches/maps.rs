//! `cargo bench --bench maps`: what bpfmap costs on top of the kernel.
//!
//! Every workload runs twice in this process, through bpfmap and through `bpf(2)` written out
//! here with `libc::syscall`, interleaved round by round so that both see the same machine
//! state; the table reports the median ns/op of each and their ratio. `--json` (or
//! `BPFMAP_BENCH_JSON=1`) also prints one JSON object per workload; any other argument filters
//! workloads by name. Run as root.
//!
//! The harness is our own (about a hundred lines) rather than criterion or divan: they measure
//! one function at a time, while a ratio needs the two sides interleaved in one run, and they
//! would add dozens of crates for what `Instant` and a median do here.

mod raw;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bpfmap::{ArrayMap, HashMap, MapDef, MapFlags, MapType, PerCpuArray, PerCpuValues, Update, create_map};

/// The rounds each side runs; the median is reported.
const ROUNDS: usize = 9;
/// Entries of the single-element workloads.
const N: u32 = 100_000;
/// Entries of the iteration workload.
const BIG: u32 = 1_000_000;

// 1,000 declared maps for the `load` workload: `load()` creates every map of the registry.
// Empty names keep them out of the duplicate-name check, which only sees named maps.
macro_rules! ten {
    ($($m:ident)*) => { $(
        #[bpfmap::bpf_map(type = "hash", max_entries = 100, name = "")]
        pub struct $m { key: u32, value: u64 }
    )* };
}
macro_rules! hundred {
    ($($m:ident)*) => { $( pub mod $m { ten!(A B C D E F G H I J); } )* };
}
macro_rules! thousand {
    ($($m:ident)*) => { $( pub mod $m { hundred!(a b c d e f g h i j); } )* };
}
#[allow(dead_code)]
mod declared {
    thousand!(a b c d e f g h i j);
}

/// A group of workloads that share a map.
type Workload = fn() -> Vec<Result>;

/// One measured workload: the median time of each side and how many operations it did.
struct Result {
    name: &'static str,
    ours: Duration,
    ours_ops: u64,
    raw: Duration,
    raw_ops: u64,
    /// What the raw side does.
    against: &'static str,
}

impl Result {
    fn ours_ns(&self) -> f64 {
        self.ours.as_nanos() as f64 / self.ours_ops as f64
    }

    fn raw_ns(&self) -> f64 {
        self.raw.as_nanos() as f64 / self.raw_ops as f64
    }
}

/// Runs `ours` and `raw` alternately for `ROUNDS` rounds after one warm-up round each; each
/// call performs `ops` operations. Returns the medians.
fn measure(
    name: &'static str,
    against: &'static str,
    ops: u64,
    ours: impl FnMut(),
    raw: impl FnMut(),
) -> Result {
    measure_uneven(name, against, (ops, ops), || {}, ours, raw)
}

/// As `measure`, where the two sides do different numbers of operations per call, and
/// `reset` (not timed) restores the map before every call.
fn measure_uneven(
    name: &'static str,
    against: &'static str,
    (ours_ops, raw_ops): (u64, u64),
    mut reset: impl FnMut(),
    mut ours: impl FnMut(),
    mut raw: impl FnMut(),
) -> Result {
    reset();
    ours();
    reset();
    raw();
    let mut a = Vec::with_capacity(ROUNDS);
    let mut b = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // Alternate which side goes first, so neither always inherits the other's caches.
        let mut time = |f: &mut dyn FnMut()| {
            reset();
            // Let the kernel finish freeing what the other side dropped (map frees are
            // deferred to a worker) so that neither side pays for the other.
            std::thread::sleep(Duration::from_millis(20));
            let start = Instant::now();
            f();
            start.elapsed()
        };
        if round % 2 == 0 {
            a.push(time(&mut ours));
            b.push(time(&mut raw));
        } else {
            b.push(time(&mut raw));
            a.push(time(&mut ours));
        }
    }
    a.sort();
    b.sort();
    Result { name, ours: a[ROUNDS / 2], ours_ops, raw: b[ROUNDS / 2], raw_ops, against }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json =
        args.iter().any(|a| a == "--json") || std::env::var("BPFMAP_BENCH_JSON").is_ok_and(|v| v == "1");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));

    if let Err(e) = create_map(&MapDef::new(MapType::ARRAY, 4, 4, 1)) {
        eprintln!("bench needs bpf(): {e}");
        std::process::exit(1);
    }

    let workloads: [(&str, Workload); 7] = [
        ("create", bench_create),
        ("hash", bench_hash),
        ("array", bench_array),
        ("percpu", bench_percpu),
        ("iterate", bench_iterate),
        ("mmap", bench_mmap),
        ("load", bench_load),
    ];
    let mut results = Vec::new();
    for (name, run) in workloads {
        if wanted(name) {
            results.extend(run());
        }
    }

    println!("{:<34} {:>12} {:>12} {:>8}  raw side", "workload", "bpfmap ns/op", "raw ns/op", "ratio");
    for r in &results {
        let (ours, raw) = (r.ours_ns(), r.raw_ns());
        // A ratio far below 1 reads better as "1/N".
        let ratio = match ours / raw {
            x if x < 0.1 => format!("1/{:.0}", raw / ours),
            x => format!("{x:.3}"),
        };
        println!("{:<34} {:>12.2} {:>12.2} {:>8}  {}", r.name, ours, raw, ratio, r.against);
    }
    if json {
        for r in &results {
            let (ours, raw) = (r.ours_ns(), r.raw_ns());
            println!(
                "{{\"workload\":\"{}\",\"bpfmap_ns_per_op\":{:.3},\"raw_ns_per_op\":{:.3},\"ratio\":{:.4},\"raw\":\"{}\"}}",
                r.name,
                ours,
                raw,
                ours / raw,
                r.against
            );
        }
    }
}

fn bench_create() -> Vec<Result> {
    let def = MapDef::new(MapType::HASH, 4, 8, 100);
    const TIMES: u64 = 2_000;
    vec![measure(
        "create hash (100 entries)",
        "BPF_MAP_CREATE + close",
        TIMES,
        || {
            for _ in 0..TIMES {
                black_box(create_map(&def).expect("create"));
            }
        },
        || {
            for _ in 0..TIMES {
                black_box(raw::create(1, 4, 8, 100, 0));
            }
        },
    )]
}

fn bench_hash() -> Vec<Result> {
    let map = create_map(&MapDef::new(MapType::HASH, 4, 8, N)).expect("create");
    let hash = HashMap::<u32, u64>::new(&map).expect("handle");
    let fd = raw::fd(&map);
    let mut out = Vec::new();
    out.push(measure(
        "hash insert",
        "BPF_MAP_UPDATE_ELEM",
        N as u64,
        || (0..N).for_each(|k| hash.insert(&k, &(k as u64), Update::Any).expect("insert")),
        || (0..N).for_each(|k| raw::update(fd, &k, &(k as u64), 0)),
    ));
    out.push(measure(
        "hash get",
        "BPF_MAP_LOOKUP_ELEM",
        N as u64,
        || (0..N).for_each(|k| _ = black_box(hash.get(&k).expect("get"))),
        || (0..N).for_each(|k| _ = black_box(raw::lookup::<u32, u64>(fd, &k))),
    ));
    // Each side deletes every key, then puts them back untimed, so both delete from a full map.
    let (keys, ones): (Vec<u32>, Vec<u64>) = (0..N).map(|k| (k, 1)).unzip();
    let refill = || {
        hash.insert_batch(&keys, &ones, Update::Any).expect("refill");
    };
    out.push(measure_uneven(
        "hash remove",
        "BPF_MAP_DELETE_ELEM",
        (N as u64, N as u64),
        refill,
        || (0..N).for_each(|k| assert!(hash.remove(&k).expect("remove"))),
        || (0..N).for_each(|k| assert!(raw::delete(fd, &k))),
    ));
    out
}

fn bench_array() -> Vec<Result> {
    let map = create_map(&MapDef::new(MapType::ARRAY, 4, 8, N)).expect("create");
    let array = ArrayMap::<u64>::new(&map).expect("handle");
    let fd = raw::fd(&map);
    vec![
        measure(
            "array get",
            "BPF_MAP_LOOKUP_ELEM",
            N as u64,
            || (0..N).for_each(|i| _ = black_box(array.get(i).expect("get"))),
            || (0..N).for_each(|i| _ = black_box(raw::lookup::<u32, u64>(fd, &i))),
        ),
        measure(
            "array set",
            "BPF_MAP_UPDATE_ELEM",
            N as u64,
            || (0..N).for_each(|i| array.set(i, &(i as u64)).expect("set")),
            || (0..N).for_each(|i| raw::update(fd, &i, &(i as u64), 0)),
        ),
    ]
}

fn bench_percpu() -> Vec<Result> {
    let map = create_map(&MapDef::new(MapType::PERCPU_ARRAY, 4, 8, N)).expect("create");
    let array = PerCpuArray::<u64>::new(&map).expect("handle");
    let fd = raw::fd(&map);
    let mut values = PerCpuValues::zeroed().expect("possible CPUs");
    let mut buf = vec![0u64; values.len()];
    vec![measure(
        "percpu array get (reused buffer)",
        "BPF_MAP_LOOKUP_ELEM",
        N as u64,
        || (0..N).for_each(|i| _ = black_box(array.get_into(i, &mut values).expect("get"))),
        || (0..N).for_each(|i| _ = black_box(raw::lookup_into(fd, &i, buf.as_mut_ptr() as *mut u8))),
    )]
}

fn bench_iterate() -> Vec<Result> {
    let map = create_map(&MapDef::new(MapType::HASH, 4, 8, BIG)).expect("create");
    let hash = HashMap::<u32, u64>::new(&map).expect("handle");
    let keys: Vec<u32> = (0..BIG).collect();
    let values: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
    hash.insert_batch(&keys, &values, Update::Any).expect("fill");
    drop((keys, values));
    let fd = raw::fd(&map);
    let ours = || {
        let mut sum = 0u64;
        for entry in hash.iter() {
            sum += entry.expect("entry").1;
        }
        assert_eq!(sum, (BIG as u64 - 1) * BIG as u64 / 2);
    };
    vec![
        measure(
            "iterate 1M hash vs next_key+lookup",
            "BPF_MAP_GET_NEXT_KEY + LOOKUP_ELEM loop",
            BIG as u64,
            ours,
            || {
                black_box(raw::iterate_next_key(fd));
            },
        ),
        measure(
            "iterate 1M hash vs batch lookup",
            "BPF_MAP_LOOKUP_BATCH, 16,384 per call",
            BIG as u64,
            ours,
            || {
                black_box(raw::iterate_batch(fd, 16_384));
            },
        ),
    ]
}

fn bench_mmap() -> Vec<Result> {
    let map =
        create_map(&MapDef::new(MapType::ARRAY, 4, 8, N).with_flags(MapFlags::MMAPABLE)).expect("create");
    let array = ArrayMap::<u64>::new(&map).expect("handle");
    let view = array.mmap().expect("mmap");
    let base = view.as_ptr() as *const u64;
    let fd = raw::fd(&map);
    const PASSES: u32 = 100;
    let typed = || {
        for _ in 0..PASSES {
            let mut sum = 0u64;
            for i in 0..N {
                sum = sum.wrapping_add(view.get(i).expect("in bounds"));
            }
            black_box(sum);
        }
    };
    let scan = || {
        for _ in 0..PASSES {
            black_box(view.iter().fold(0u64, u64::wrapping_add));
        }
    };
    let pointer = || {
        for _ in 0..PASSES {
            let mut sum = 0u64;
            for i in 0..N as usize {
                // SAFETY: in bounds of the mapping the view keeps alive; volatile because
                // programs may write it, as the view's reads are.
                sum = sum.wrapping_add(unsafe { base.add(i).read_volatile() });
            }
            black_box(sum);
        }
    };
    vec![
        measure(
            "mmap read: view.iter() vs pointer",
            "read_volatile through a raw pointer",
            (N * PASSES) as u64,
            scan,
            pointer,
        ),
        measure(
            "mmap read: view.get(i) vs pointer",
            "read_volatile through a raw pointer",
            (N * PASSES) as u64,
            typed,
            || {
                for _ in 0..PASSES {
                    let mut sum = 0u64;
                    for i in 0..N as usize {
                        // SAFETY: in bounds of the mapping the view keeps alive; volatile because
                        // programs may write it, as the view's reads are.
                        sum = sum.wrapping_add(unsafe { base.add(i).read_volatile() });
                    }
                    black_box(sum);
                }
            },
        ),
        // The syscall side reads every element once, not PASSES times: its cost per element
        // is what matters, and a hundred passes of syscalls would only lengthen the run.
        measure_uneven(
            "mmap read: typed view vs syscall",
            "BPF_MAP_LOOKUP_ELEM per element",
            ((N * PASSES) as u64, N as u64),
            || {},
            typed,
            || (0..N).for_each(|i| _ = black_box(raw::lookup::<u32, u64>(fd, &i))),
        ),
    ]
}

fn bench_load() -> Vec<Result> {
    const MAPS: u64 = 1_000;
    assert_eq!(bpfmap::declarations().len(), MAPS as usize);
    let hash = (1, 4, 8, 100);
    let with_btf = || {
        let btf = raw::btf_load(&raw::btf_u32_u64());
        let fds: Vec<_> = (0..MAPS).map(|_| raw::create_with_btf(hash, &btf, 1, 2)).collect();
        black_box(fds);
    };
    // The declared maps have their types' BTF (a hash takes it), so the raw side loads one BTF
    // object and creates every map with it, as a C loader does; what BTF itself costs is the
    // raw side with it against the raw side without.
    let maps = bpfmap::load().expect("load");
    let first = maps.iter().next().expect("a map");
    assert_ne!(first.info().expect("info").btf_id, 0, "the declared maps are created with BTF");
    drop(maps);
    vec![
        // The same raw work on both sides: how far this workload's ratio strays by noise alone.
        measure("noise floor: raw creates vs themselves", "the same, again", MAPS, with_btf, with_btf),
        measure(
            "load() of 1,000 declared maps",
            "1 BPF_BTF_LOAD + 1,000 BPF_MAP_CREATE with BTF (hash, 100 entries)",
            MAPS,
            || {
                black_box(bpfmap::load().expect("load"));
            },
            with_btf,
        ),
        measure(
            "what BTF costs: raw creates with it",
            "the same 1,000 raw creates without BTF",
            MAPS,
            with_btf,
            || {
                let (t, k, v, n) = hash;
                let fds: Vec<_> = (0..MAPS).map(|_| raw::create(t, k, v, n, 0)).collect();
                black_box(fds);
            },
        ),
    ]
}
