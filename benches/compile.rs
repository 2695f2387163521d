//! `cargo bench --bench compile`: what `#[bpf_map]` costs at compile time.
//!
//! Generates two crates next to the build output, one declaring 1,000 maps with `#[bpf_map]`
//! and one writing the same 1,000 definitions as hand-written `const MapDef`s, builds each
//! (dependencies first, untimed), then times rebuilding just the crate, several times, and
//! prints the medians and their ratio. It also times a clean build of `bpfmap-derive` with
//! its dependencies (syn, quote, proc-macro2 and the runtime it checks rules with). Needs no
//! privilege and no network (`--offline`: the dependencies are the workspace's).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MAPS: usize = 1_000;
const ROUNDS: usize = 3;

fn main() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let root = target.join("compile-bench");
    std::fs::create_dir_all(&root).expect("bench dir");

    let with_macro = generate(&root, "with_macro", &workspace, |i| {
        format!(
            "#[bpfmap::bpf_map(type = \"hash\", max_entries = 100, name = \"m{i}\")]\npub struct M{i} {{ key: u32, value: u64 }}\n"
        )
    });
    let by_hand = generate(&root, "by_hand", &workspace, |i| {
        format!(
            "pub const M{i}: bpfmap::MapDef = bpfmap::MapDef::new(bpfmap::MapType::HASH, 4, 8, 100)\n    .with_name(bpfmap::MapName::new(\"m{i}\"));\n"
        )
    });

    let macro_time = rebuild_median(&with_macro, &target);
    let hand_time = rebuild_median(&by_hand, &target);
    let derive_time = clean_build_of_derive(&workspace, &root);

    println!("{:<46} {:>10}", "compile time", "seconds");
    println!(
        "{:<46} {:>10.2}",
        format!("crate with {MAPS} #[bpf_map] declarations"),
        macro_time.as_secs_f64()
    );
    println!(
        "{:<46} {:>10.2}",
        format!("crate with {MAPS} hand-written const MapDef"),
        hand_time.as_secs_f64()
    );
    println!(
        "{:<46} {:>10.2}x  ({:.2} ms per map)",
        "ratio",
        macro_time.as_secs_f64() / hand_time.as_secs_f64(),
        (macro_time.as_secs_f64() - hand_time.as_secs_f64()) * 1000.0 / MAPS as f64
    );
    println!("{:<46} {:>10.2}", "clean build of bpfmap-derive and its deps", derive_time.as_secs_f64());
}

/// A binary crate depending on this workspace's `bpfmap`, with `item(i)` for i in 0..MAPS.
fn generate(root: &Path, name: &str, workspace: &Path, item: impl Fn(usize) -> String) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("src")).expect("crate dir");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nbpfmap = {{ path = {:?} }}\n\n[workspace]\n",
        workspace.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    let mut source = String::from("#![allow(dead_code)]\n\n");
    for i in 0..MAPS {
        source.push_str(&item(i));
    }
    source.push_str("\nfn main() {}\n");
    std::fs::write(dir.join("src/main.rs"), source).expect("source");
    // Share the workspace's lock file so the same dependency versions build offline.
    let _ = std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"));
    dir
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(args)
        .args(["--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target.join("compile-bench-target"))
        .current_dir(dir)
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo {args:?} failed in {}", dir.display());
    start.elapsed()
}

/// Builds once (dependencies included), then times `ROUNDS` rebuilds of the crate alone.
fn rebuild_median(dir: &Path, target: &Path) -> Duration {
    cargo(dir, target, &["build"]);
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            // A new modification time makes cargo rebuild this crate and nothing else.
            let main = dir.join("src/main.rs");
            let source = std::fs::read(&main).expect("read");
            std::fs::write(&main, source).expect("touch");
            cargo(dir, target, &["build"])
        })
        .collect();
    times.sort();
    times[ROUNDS / 2]
}

fn clean_build_of_derive(workspace: &Path, root: &Path) -> Duration {
    let target = root.join("derive-clean");
    let _ = std::fs::remove_dir_all(&target);
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "-p", "bpfmap-derive"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(workspace)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building bpfmap-derive failed");
    start.elapsed()
}
