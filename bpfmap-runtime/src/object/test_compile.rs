//! Compiles the C programs of `testdata/` with clang for the tests, so that they read objects
//! as clang writes them today and no binary object is kept in the repository.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Whether a missing clang fails the test rather than skipping it (CI sets it).
fn required() -> bool {
    std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1")
}

/// Why clang cannot be used here, if it cannot.
fn clang_missing() -> Option<String> {
    match Command::new("clang").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!("`clang --version` failed: {}", out.status)),
        Err(e) => Some(format!("`clang` cannot run: {e}")),
    }
}

/// `testdata/<name>.bpf.c` compiled with `clang -O2 -target bpf` and `args` (`-g` for BTF,
/// `-D`s, another `-target`), as the object's bytes. `None` when clang is missing and not required,
/// after saying so; a panic when it is required, or when the program does not compile.
pub(super) fn compile(name: &str, args: &[&str]) -> Option<Vec<u8>> {
    if let Some(why) = clang_missing() {
        let hint = "install clang and libbpf-dev (`apt-get install clang libbpf-dev`, as .ci/run does)";
        assert!(!required(), "BPFMAP_REQUIRE_KERNEL=1 but {why}; {hint}");
        eprintln!("skipping a test that compiles testdata/{name}.bpf.c: {why}; {hint}");
        return None;
    }
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("src/object/testdata/{name}.bpf.c"));
    let object = std::env::temp_dir().join(format!(
        "bpfmap-object-{}-{}-{name}.bpf.o",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    // `-target bpf` leaves out the host's multiarch include directory, where Debian keeps
    // `asm/types.h` (which `linux/bpf.h` includes).
    let multiarch = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let mut command = Command::new("clang");
    command.args(["-O2", "-Wall", "-Werror", "-target", "bpf", &multiarch]);
    // Later options win: a `-target` in `args` replaces `bpf`.
    command.args(args).arg("-c").arg(&source).arg("-o").arg(&object);
    let out = command.output().unwrap_or_else(|e| panic!("clang: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&object).unwrap_or_else(|e| panic!("{}: {e}", object.display()));
    let _ = std::fs::remove_file(&object);
    Some(bytes)
}
