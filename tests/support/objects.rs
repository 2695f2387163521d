//! BPF objects built by clang from `tests/bpf/check/`, for the object checks.

use std::path::PathBuf;

/// Builds `tests/bpf/check/<stem>.bpf.c` into a fresh temporary directory; the object's path,
/// or `Err` saying why it cannot be built here (no clang).
pub fn build(stem: &str) -> Result<PathBuf, String> {
    let missing = super::tools::missing(&["clang"]);
    if !missing.is_empty() {
        return Err(missing.join(", "));
    }
    let dir = super::bpffs::temp_dir("objects")?;
    let object = dir.join(format!("{stem}.bpf.o"));
    let source = format!("tests/bpf/check/{stem}.bpf.c");
    super::tools::run(
        "clang",
        &[
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-I/usr/include/x86_64-linux-gnu",
            "-c",
            &source,
            "-o",
            object.to_str().expect("a UTF-8 path"),
        ],
    );
    Ok(object)
}

/// [`build`], or skip the test (return `None`) with a message, failing instead when
/// `BPFMAP_REQUIRE_KERNEL=1` (CI has clang).
pub fn build_or_skip(stem: &str) -> Option<PathBuf> {
    match build(stem) {
        Ok(path) => Some(path),
        Err(why) if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") => {
            panic!("BPFMAP_REQUIRE_KERNEL=1 but the object cannot be built: {why}")
        }
        Err(why) => {
            super::skip::skip(&format!("a BPF object cannot be built here ({why})"));
            None
        }
    }
}
