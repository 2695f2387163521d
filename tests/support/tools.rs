//! The command-line tools of the interop tests (`bpftool`, `clang`), found or explained, and
//! the BPF programs in C that `clang` builds for them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where `name` is: on `PATH`, or in the sbin directories where Debian puts `bpftool` and
/// which a non-login shell may leave off `PATH`.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Every tool of `names` that is missing, with why.
pub fn missing(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter_map(|&name| match find(name) {
            None => Some(format!("`{name}` is not installed")),
            Some(path) => match Command::new(&path).arg("--version").output() {
                Ok(out) if out.status.success() => None,
                Ok(out) => Some(format!("`{} --version` failed: {}", path.display(), out.status)),
                Err(e) => Some(format!("`{}` cannot run: {e}", path.display())),
            },
        })
        .collect()
}

/// Runs `tool` with `args`; its stdout, or a panic with the command, status and stderr.
pub fn run(tool: &str, args: &[&str]) -> String {
    let path = find(tool).unwrap_or_else(|| panic!("`{tool}` is not installed"));
    let out = Command::new(&path).args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    if !out.status.success() {
        panic!(
            "`{tool} {}` failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{tool}: output not UTF-8: {e}"))
}

/// Returns from the test (skipping it) when a tool is missing, or fails it when
/// `BPFMAP_REQUIRE_KERNEL=1` (CI installs the tools: `.ci/run`).
#[macro_export]
macro_rules! require_tools {
    ($($tool:literal),+ $(,)?) => {
        let missing = $crate::support::tools::missing(&[$($tool),+]);
        if !missing.is_empty() {
            if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") {
                panic!("BPFMAP_REQUIRE_KERNEL=1 but {}; install the tools (`apt-get install bpftool clang llvm libbpf-dev`, as .ci/run does)", missing.join(", "));
            }
            $crate::support::skip::skip(&format!("{}; install the tools (`apt-get install bpftool clang llvm libbpf-dev`, as .ci/run does)", missing.join(", ")));
            return;
        }
    };
}

/// A BPF object built from `tests/bpf/<name>.bpf.c`, removed on drop.
#[derive(Debug)]
pub struct BpfObject {
    path: PathBuf,
}

impl BpfObject {
    /// Where the object file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BpfObject {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Compiles `tests/bpf/<name>.bpf.c` for the BPF target, with `-D` for each of `defines`, into
/// the tests' temporary directory (needs `clang`: check with `require_tools!("clang")`).
pub fn compile_bpf(name: &str, defines: &[&str]) -> BpfObject {
    // Tests of one binary run on threads of one process, and may build the same source at once.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bpf").join(format!("{name}.bpf.c"));
    let object =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}-{n}.bpf.o", std::process::id()));
    // `-target bpf` leaves out the host's multiarch include directory, where Debian keeps
    // `asm/types.h` (which `linux/bpf.h` includes).
    let multiarch = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let defines: Vec<String> = defines.iter().map(|d| format!("-D{d}")).collect();
    let (source_str, object_str) = (utf8(&source), utf8(&object));
    let mut args = vec!["-O2", "-g", "-Wall", "-target", "bpf", &multiarch];
    args.extend(defines.iter().map(String::as_str));
    args.extend(["-c", source_str, "-o", object_str]);
    run("clang", &args);
    BpfObject { path: object }
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
