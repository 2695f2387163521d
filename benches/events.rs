//! `cargo bench --bench events`: what reading program events costs through bpfmap, against a
//! raw loop over the same shared memory and against libbpf-rs and aya.
//!
//! A section is one kind of event map: `ringbuf` (`bpf_ringbuf_output`) and `perf`
//! (`bpf_perf_event_output`). Each round, for every record size, every reader in turn is made
//! (untimed), a BPF program then submits the same number of records (`BPF_PROG_TEST_RUN` with
//! `repeat`, timed apart as "produce"), and the reader drains them, timed alone; the order of
//! the readers rotates from round to round so that none always runs first or last. The reader
//! is made before the records because a perf buffer's samples go to the perf events that the
//! map holds when they are sent, which each reader opens for itself. Every drain is checked
//! (count, length and bytes of the records; for ring buffers, the consumer position at the
//! next production proves the reader released them all; for perf buffers, no sample was
//! lost). The table gives the median ns/record of each reader and bpfmap's ratios to the
//! others; `--json` (or `BPFMAP_BENCH_JSON=1`) adds one JSON object per section and size; any
//! other argument filters sections by name. Run as root.
//!
//! Adding a section: a module under `benches/events/` with its producer and one [`Consumer`]
//! per reader, a `bench_*` function that calls [`measure`], and an entry in `main`'s
//! `sections`. [`RATIOS`] applies to any section whose readers carry those names.

#[path = "../tests/support/bpf.rs"]
#[allow(dead_code)] // The tests' loader: this bench uses a few of its instructions.
mod bpf;
#[path = "events/perf.rs"]
mod perf;
#[path = "events/ring.rs"]
mod ring;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bpfmap::{Map, MapDef, MapType, create_map};

/// Measured rounds, after one warm-up round; a multiple of the five readers of each section,
/// so that each takes every place in the order equally often.
const ROUNDS: usize = 10;
/// Records per ring-buffer drain.
const RECORDS: u64 = 100_000;
/// Ring-buffer record sizes, in bytes.
const RING_SIZES: [usize; 3] = [16, 64, 512];
/// The ring: room for one drain of the largest records (100,000 of 520 bytes, with headers).
const RING_BYTES: u32 = 64 << 20;
const _: () = assert!(RECORDS * ring::footprint(ring::MAX_RECORD) <= RING_BYTES as u64);
/// Perf-buffer sample sizes (the bytes the program sends; the kernel pads each sample).
const PERF_SIZES: [usize; 3] = [16, 64, 512];
/// Samples per perf drain: fewer than ring records, because each sample costs the producer
/// microseconds (a perf wake-up per sample, which every reader asks for, libbpf and aya with no
/// other choice: a self-IPI, slow in a VM), and every reader drains every size every round.
/// Enough that a drain's fixed costs (the async reader's entry into its runtime: microseconds
/// on caches that the production left cold) stay small per sample.
const PERF_RECORDS: u64 = 30_000;
/// Each CPU's perf ring: room for one drain of the largest samples (30,000 of 528 bytes, with
/// headers and padding: 15.8 MB), so that none is lost. Only the pinned CPU's fills; every
/// reader maps one per online CPU.
const PERF_RING_BYTES: usize = 16 << 20;
// The kernel refuses a sample that would fill the ring to the last byte: keep a record free.
const _: () = assert!((PERF_RECORDS + 1) * perf::footprint(perf::MAX_SAMPLE) <= PERF_RING_BYTES as u64);

/// bpfmap's ratio to another reader (`numerator / denominator`) and the target it has.
const RATIOS: [(&str, &str, f64); 4] = [
    ("bpfmap", "raw", 1.05),
    ("bpfmap", "libbpf-rs", 1.0),
    ("bpfmap", "aya", 1.0),
    // Reported once the async reader exists (see `async_ring_consumers`); its target is set at
    // 64-byte records.
    ("bpfmap async", "bpfmap", 1.2),
];

/// What a reader saw in one drain. Every reader hands each record to [`Tally::visit`], so
/// they all do the same work per record.
#[derive(Clone, Copy, Debug)]
pub struct Tally {
    records: u64,
    /// The sum of each record's first and last byte: the bytes are read, not just the header.
    ends: u64,
    shortest: usize,
    longest: usize,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally { records: 0, ends: 0, shortest: usize::MAX, longest: 0 }
    }
}

impl Tally {
    #[inline(always)]
    pub fn visit(&mut self, record: &[u8]) {
        // Opaque to the optimizer: it cannot know the record's length or hoist its reads.
        let record = black_box(record);
        self.records += 1;
        self.shortest = self.shortest.min(record.len());
        self.longest = self.longest.max(record.len());
        if let (Some(&first), Some(&last)) = (record.first(), record.last()) {
            self.ends += u64::from(first) + u64::from(last);
        }
    }

    /// A perf sample whose first `sent` bytes are the program's, followed by the kernel's
    /// padding (bytes it does not write): the length is the sample's, the bytes summed are the
    /// first and last sent. The same work as [`visit`](Self::visit), plus a bounds check.
    #[inline(always)]
    pub fn visit_sample(&mut self, sample: &[u8], sent: usize) {
        let sample = black_box(sample);
        self.records += 1;
        self.shortest = self.shortest.min(sample.len());
        self.longest = self.longest.max(sample.len());
        let sent = sample.get(..sent).unwrap_or_default();
        if let (Some(&first), Some(&last)) = (sent.first(), sent.last()) {
            self.ends += u64::from(first) + u64::from(last);
        }
    }

    /// Panics unless the drain saw exactly `records` records of `len` bytes (`size` sent), each
    /// starting and ending with `fill`.
    fn check(&self, reader: &str, size: usize, len: usize, records: u64, fill: u8) {
        assert_eq!(self.records, records, "{reader}: records of {size} bytes read");
        assert_eq!((self.shortest, self.longest), (len, len), "{reader}: record lengths");
        assert_eq!(self.ends, records * 2 * u64::from(fill), "{reader}: record bytes");
    }
}

/// One way to read a section's records. Only `consume` is timed: making a reader (mappings,
/// perf events, epoll, callbacks) is not, and it happens again before every drain, because
/// bpfmap allows one reader of a map in a process, aya's ring keeps the position it read when
/// it was made, and each perf reader puts its own events in the map.
pub trait Consumer {
    /// Its column in the table; [`RATIOS`] refers to it.
    fn name(&self) -> &'static str;
    /// Makes the reader, before the records it reads are produced; no other reader of the map
    /// lives after this.
    fn open(&mut self);
    /// Reads every record available now. `expected` is how many were produced: a reader that
    /// waits for records (an async one) stops there; the others ignore it (the harness checks).
    fn consume(&mut self, expected: u64) -> Tally;
    /// Drops what `open` made, giving the map's consumer position (or its perf event slots)
    /// back; panics if the reader saw records lost.
    fn close(&mut self);
}

/// The medians of one section at one record size.
struct Row {
    section: &'static str,
    size: usize,
    records: u64,
    /// Production of the `records` records.
    produce: Duration,
    /// Each reader's drain, per drain (divide by `records`).
    readers: Vec<(&'static str, Duration)>,
}

impl Row {
    fn produce_ns_per_record(&self) -> f64 {
        self.produce.as_nanos() as f64 / self.records as f64
    }

    fn ns_per_record(&self, reader: &str) -> Option<f64> {
        let (_, took) = self.readers.iter().find(|(name, _)| *name == reader)?;
        Some(took.as_nanos() as f64 / self.records as f64)
    }

    /// The ratios of [`RATIOS`] whose two readers this section has.
    fn ratios(&self) -> Vec<(String, f64, f64)> {
        RATIOS
            .iter()
            .filter_map(|&(num, den, target)| {
                let ratio = self.ns_per_record(num)? / self.ns_per_record(den)?;
                Some((format!("{num}/{den}"), ratio, target))
            })
            .collect()
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2 }
}

/// Runs one section: for each round (the first a warm-up) and each size, every reader in turn
/// (starting one further each round) is opened, then drains `records` records that
/// `produce(size, records)` submitted after it opened, each `record_len(size)` bytes long;
/// returns the medians.
fn measure(
    section: &'static str,
    sizes: &[usize],
    records: u64,
    fill: u8,
    record_len: fn(usize) -> usize,
    produce: &mut dyn FnMut(usize, u64) -> Duration,
    consumers: &mut [Box<dyn Consumer + '_>],
) -> Vec<Row> {
    let count = consumers.len();
    let mut produced = vec![Vec::new(); sizes.len()];
    let mut drained = vec![vec![Vec::new(); count]; sizes.len()];
    for round in 0..=ROUNDS {
        for (s, &size) in sizes.iter().enumerate() {
            for k in 0..count {
                let c = (k + round) % count;
                let consumer = &mut consumers[c];
                consumer.open();
                let production = produce(size, records);
                let start = Instant::now();
                let tally = consumer.consume(records);
                let took = start.elapsed();
                consumer.close();
                tally.check(consumer.name(), size, record_len(size), records, fill);
                if round > 0 {
                    produced[s].push(production);
                    drained[s][c].push(took);
                }
            }
        }
    }
    sizes
        .iter()
        .zip(produced.into_iter().zip(drained))
        .map(|(&size, (produced, drained))| Row {
            section,
            size,
            records,
            produce: median(produced),
            readers: consumers.iter().zip(drained).map(|(c, d)| (c.name(), median(d))).collect(),
        })
        .collect()
}

/// Records from `bpf_ringbuf_output`, read by bpfmap's `RingBufConsumer`, the raw loop,
/// libbpf-rs's `RingBuffer` and aya's `RingBuf`.
fn bench_ringbuf() -> Vec<Row> {
    let setup = ring::Setup::new(RING_BYTES, &RING_SIZES);
    let mut consumers: Vec<Box<dyn Consumer + '_>> = vec![
        Box::new(ring::Bpfmap::new(&setup.ring)),
        Box::new(ring::Raw::new(&setup.ring)),
        Box::new(ring::LibbpfRs::new(&setup.ring)),
        Box::new(ring::Aya::new(&setup.ring)),
    ];
    consumers.extend(async_ring_consumers(&setup.ring));
    measure(
        "ringbuf",
        &RING_SIZES,
        RECORDS,
        ring::FILL,
        |size| size,
        &mut |size, n| setup.produce(size, n),
        &mut consumers,
    )
}

/// bpfmap's async ring consumer (the `tokio` feature), named "bpfmap async": it reads until
/// `expected` records arrived, for the "bpfmap async/bpfmap" ratio.
fn async_ring_consumers(ring: &Map) -> Vec<Box<dyn Consumer + '_>> {
    vec![Box::new(ring::BpfmapAsync::new(ring))]
}

/// Samples from `bpf_perf_event_output`, read by bpfmap's `PerfBufferReader` (blocking and
/// async), the raw loop, libbpf-rs's `PerfBuffer` and aya's `PerfEventArrayBuffer`. The thread
/// stays on one CPU for the section, so that every production fills that CPU's ring.
fn bench_perf() -> Vec<Row> {
    let pinned = perf::Pinned::here();
    let setup = perf::Setup::new(PERF_RING_BYTES, &PERF_SIZES, &pinned);
    let mut consumers: Vec<Box<dyn Consumer + '_>> = vec![
        Box::new(perf::Bpfmap::new(&setup)),
        Box::new(perf::Raw::new(&setup)),
        Box::new(perf::LibbpfRs::new(&setup)),
        Box::new(perf::Aya::new(&setup)),
        Box::new(perf::BpfmapAsync::new(&setup)),
    ];
    measure(
        "perf",
        &PERF_SIZES,
        PERF_RECORDS,
        perf::FILL,
        perf::sample_len,
        &mut |size, n| setup.produce(size, n),
        &mut consumers,
    )
}

type Section = fn() -> Vec<Row>;

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

    let sections: [(&str, Section); 2] = [("ringbuf", bench_ringbuf), ("perf", bench_perf)];
    let mut rows = Vec::new();
    for (name, run) in sections {
        if wanted(name) {
            rows.extend(run());
        }
    }
    report(&rows);
    if json {
        for row in &rows {
            println!("{}", to_json(row));
        }
    }
}

fn report(rows: &[Row]) {
    let mut section = "";
    for row in rows {
        let ratios = row.ratios();
        if row.section != section {
            section = row.section;
            println!(
                "{section}: median ns/record of {ROUNDS} rounds, {} records per drain",
                group_thousands(row.records)
            );
            print!("{:>6} {:>9}", "size", "produce");
            for (name, _) in &row.readers {
                print!(" {name:>10}");
            }
            for (name, _, _) in &ratios {
                print!(" {name:>17}");
            }
            println!();
        }
        print!("{:>4} B {:>9.2}", row.size, row.produce_ns_per_record());
        for (name, _) in &row.readers {
            print!(" {:>10.2}", row.ns_per_record(name).expect("a reader of this row"));
        }
        for (_, ratio, target) in &ratios {
            let verdict = if *ratio <= *target { "ok" } else { "MISS" };
            print!(" {:>12.3} {verdict:>4}", ratio);
        }
        println!();
    }
    let targets: Vec<String> = RATIOS.iter().map(|(n, d, t)| format!("{n}/{d} ≤ {t}")).collect();
    println!("targets: {} (async: at 64 B)", targets.join(", "));
}

fn to_json(row: &Row) -> String {
    let readers: Vec<String> = row
        .readers
        .iter()
        .map(|(name, _)| format!("\"{name}\":{:.3}", row.ns_per_record(name).expect("a reader")))
        .collect();
    let ratios: Vec<String> = row.ratios().iter().map(|(name, r, _)| format!("\"{name}\":{r:.4}")).collect();
    format!(
        "{{\"section\":\"{}\",\"size\":{},\"records\":{},\"rounds\":{ROUNDS},\"produce_ns_per_record\":{:.3},\"ns_per_record\":{{{}}},\"ratios\":{{{}}}}}",
        row.section,
        row.size,
        row.records,
        row.produce_ns_per_record(),
        readers.join(","),
        ratios.join(",")
    )
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}
