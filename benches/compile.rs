//! `cargo bench --bench compile`: what bpfmap costs at compile time, against two targets.
//!
//! 1. A clean release build of a crate declaring one map with `#[bpf_map]`, against a clean
//!    release build of the same crate depending on `syn` (with the macro's features), `quote`
//!    and `proc-macro2` instead of bpfmap. Target: at most 1.3 times as long.
//! 2. 1,000 `#[bpf_map]` declarations against the same 1,000 definitions written as
//!    `const MapDef`s: a debug rebuild of each crate alone. Target: at most 1 ms more per
//!    declaration.
//!
//! The crates are generated next to the build output and built with this workspace's lock file
//! (`--offline`: no network, no privilege). Each build runs `ROUNDS` times, the two sides of a
//! comparison alternating so that both see the same machine; the medians are compared. Both
//! the wall time and the CPU time (of cargo and the compilers it ran) are printed. Part 1 is
//! judged on wall time: the build is parallel, and its wall time is what a user waits. Part 2
//! is judged on CPU time: rustc checks a crate on one thread, so its CPU time is its wall time
//! on a free core, while on a shared machine the wall time also counts the neighbours' builds.
//!
//! The baseline of part 1 takes the words literally: the same crate, with syn, quote
//! and proc-macro2 as its dependencies. They are then compiled for the target, optimized, as
//! bpfmap's runtime is. Part 1 also prints, for reference and without a target, a crate using a
//! trivial attribute macro written with them: the floor of any macro built on syn (built for
//! the host, unoptimized), which a library that also has a runtime to compile cannot reach.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MAPS: usize = 1_000;
const ROUNDS: usize = 5;
/// Part 1's target: the one-map crate's clean build over the baseline's.
const RATIO_TARGET: f64 = 1.3;
/// Part 2's target: milliseconds of CPU time per declaration over a hand-written `const`.
const PER_MAP_TARGET_MS: f64 = 1.0;

const STRUCT: &str = "pub struct Flows { key: u32, value: u64 }\n";

fn main() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let root = target.join("compile-bench");
    std::fs::create_dir_all(&root).expect("bench dir");
    let lock = workspace.join("Cargo.lock");
    let bpfmap = format!("bpfmap = {{ path = {:?} }}\n", workspace.display().to_string());
    let syn_deps = macro_dependencies(&workspace);

    // Part 1.
    let one_map = Crate::new(
        &root,
        "one_map",
        &lock,
        &bpfmap,
        &format!("#[bpfmap::bpf_map(type = \"hash\", max_entries = 1024)]\n{STRUCT}"),
    );
    let baseline = Crate::new(&root, "syn_quote_pm2", &lock, &syn_deps, STRUCT);
    let floor_macro = Crate::proc_macro(&root, "floor_macro", &lock, &syn_deps);
    let floor = Crate::new(
        &root,
        "floor",
        &lock,
        &format!("floor_macro = {{ path = {:?} }}\n", floor_macro.display().to_string()),
        &format!("#[floor_macro::bpf_map(type = \"hash\", max_entries = 1024)]\n{STRUCT}"),
    );
    let clean = |c: &Crate| c.clean_release_build(&root);
    let [ours, base, trivial] = alternate([&one_map, &baseline, &floor], clean);

    // Part 2.
    let declared = Crate::new(
        &root,
        "with_macro",
        &lock,
        &bpfmap,
        &items(|i| {
            format!(
                "#[bpfmap::bpf_map(type = \"hash\", max_entries = 100, name = \"m{i}\")]\npub struct M{i} {{ key: u32, value: u64 }}\n"
            )
        }),
    );
    let by_hand = Crate::new(
        &root,
        "by_hand",
        &lock,
        &bpfmap,
        &items(|i| {
            format!(
                "pub const M{i}: bpfmap::MapDef = bpfmap::MapDef::new(bpfmap::MapType::HASH, 4, 8, 100)\n    .with_name(bpfmap::MapName::new(\"m{i}\"));\n"
            )
        }),
    );
    let debug_target = root.join("debug-target");
    for c in [&declared, &by_hand] {
        // Dependencies first, untimed; then only the crate is rebuilt.
        c.cargo(&debug_target, &["build"]);
    }
    let rebuild = |c: &Crate| c.rebuild(&debug_target);
    let [with_macro, hand] = alternate([&declared, &by_hand], rebuild);

    let ratio = ours.wall.as_secs_f64() / base.wall.as_secs_f64();
    let per_map = |f: fn(&Sample) -> Duration| {
        (f(&with_macro).as_secs_f64() - f(&hand).as_secs_f64()) * 1000.0 / MAPS as f64
    };
    let (per_map_wall, per_map_cpu) = (per_map(|s| s.wall), per_map(|s| s.cpu));

    println!(
        "clean release build of a crate declaring one map (median of {ROUNDS})  {:>8} {:>8}",
        "wall s", "cpu s"
    );
    row("bpfmap: #[bpf_map] and its runtime", &ours);
    row("syn + quote + proc-macro2 as dependencies", &base);
    println!(
        "{:<62} {:>8.2}   target ≤ {RATIO_TARGET} (wall) {}",
        "ratio",
        ratio,
        verdict(ratio <= RATIO_TARGET)
    );
    row("for reference: a trivial attribute macro on syn", &trivial);
    println!();
    println!("debug rebuild of a crate of {MAPS} maps (median of {ROUNDS})  {:>19} {:>8}", "wall s", "cpu s");
    row(&format!("{MAPS} #[bpf_map] declarations"), &with_macro);
    row(&format!("{MAPS} hand-written const MapDef"), &hand);
    println!(
        "{:<62} {:>8.2} {:>8.2}   target ≤ {PER_MAP_TARGET_MS} (cpu) {}",
        "ms per declaration",
        per_map_wall,
        per_map_cpu,
        verdict(per_map_cpu <= PER_MAP_TARGET_MS)
    );
}

fn row(name: &str, s: &Sample) {
    println!("{name:<62} {:>8.2} {:>8.2}", s.wall.as_secs_f64(), s.cpu.as_secs_f64());
}

fn verdict(met: bool) -> &'static str {
    if met { "ok" } else { "MISS" }
}

/// `syn`, `quote` and `proc-macro2` as the workspace declares them for the macro (same
/// versions and features), as `[dependencies]` lines.
fn macro_dependencies(workspace: &Path) -> String {
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).expect("workspace manifest");
    let lines: Vec<&str> = manifest
        .lines()
        .filter(|l| ["syn =", "quote =", "proc-macro2 ="].iter().any(|dep| l.starts_with(dep)))
        .collect();
    assert_eq!(lines.len(), 3, "syn, quote and proc-macro2 in [workspace.dependencies]");
    lines.join("\n") + "\n"
}

fn items(item: impl Fn(usize) -> String) -> String {
    (0..MAPS).map(item).collect()
}

/// The median wall and CPU times of `ROUNDS` runs of `run` on each crate, the crates taking
/// turns within each round.
fn alternate<const N: usize>(crates: [&Crate; N], run: impl Fn(&Crate) -> Sample) -> [Sample; N] {
    let mut samples: [Vec<Sample>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..ROUNDS {
        for (c, s) in crates.iter().zip(&mut samples) {
            s.push(run(c));
        }
    }
    samples.map(|mut s| {
        let median = |mut d: Vec<Duration>| {
            d.sort();
            d[d.len() / 2]
        };
        let wall = median(s.iter().map(|s| s.wall).collect());
        let cpu = median(s.drain(..).map(|s| s.cpu).collect());
        Sample { wall, cpu }
    })
}

struct Sample {
    wall: Duration,
    /// User and system time of cargo and every process it waited for.
    cpu: Duration,
}

/// A generated crate.
struct Crate {
    dir: PathBuf,
}

impl Crate {
    /// A binary crate with `dependencies` (manifest lines) and `items` before `fn main() {}`.
    fn new(root: &Path, name: &str, lock: &Path, dependencies: &str, items: &str) -> Crate {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("src")).expect("crate dir");
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{dependencies}\n[workspace]\n"
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
        std::fs::write(dir.join("src/main.rs"), format!("#![allow(dead_code)]\n\n{items}\nfn main() {{}}\n"))
            .expect("source");
        // The workspace's lock file: the same dependency versions, built offline.
        std::fs::copy(lock, dir.join("Cargo.lock")).expect("lock file");
        Crate { dir }
    }

    /// An attribute macro `bpf_map` that parses the struct with syn and emits it back with
    /// quote, all the baseline's dependencies at work; the crate's directory.
    fn proc_macro(root: &Path, name: &str, lock: &Path, dependencies: &str) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("src")).expect("crate dir");
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\nproc-macro = true\n\n[dependencies]\n{dependencies}"
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
        let source = "use proc_macro::TokenStream;\n\n\
            #[proc_macro_attribute]\n\
            pub fn bpf_map(_args: TokenStream, item: TokenStream) -> TokenStream {\n    \
                let input: syn::DeriveInput = syn::parse_macro_input!(item);\n    \
                let tokens: proc_macro2::TokenStream = quote::quote!(#input);\n    \
                tokens.into()\n\
            }\n";
        std::fs::write(dir.join("src/lib.rs"), source).expect("source");
        std::fs::copy(lock, dir.join("Cargo.lock")).expect("lock file");
        dir
    }

    fn cargo(&self, target: &Path, args: &[&str]) -> Sample {
        let before = children_cpu();
        let start = Instant::now();
        let status = Command::new(env!("CARGO"))
            .args(args)
            .args(["--offline", "--quiet"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(&self.dir)
            .status()
            .expect("run cargo");
        let wall = start.elapsed();
        assert!(status.success(), "cargo {args:?} failed in {}", self.dir.display());
        Sample { wall, cpu: children_cpu() - before }
    }

    /// A release build from nothing, in a target directory of its own.
    fn clean_release_build(&self, root: &Path) -> Sample {
        let name = self.dir.file_name().expect("crate name").to_string_lossy();
        let target = root.join(format!("clean-{name}"));
        let _ = std::fs::remove_dir_all(&target);
        self.cargo(&target, &["build", "--release"])
    }

    /// A rebuild of the crate alone: a new modification time makes cargo rebuild it and
    /// nothing else.
    fn rebuild(&self, target: &Path) -> Sample {
        let main = self.dir.join("src/main.rs");
        let source = std::fs::read(&main).expect("read");
        std::fs::write(&main, source).expect("touch");
        self.cargo(target, &["build"])
    }
}

/// The user and system time of every child process waited for so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes the struct it is given, which is plain data.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0, "getrusage");
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}
