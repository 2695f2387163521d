//! UI tests: every definition the kernel would refuse fails to compile with an error on the
//! offending token that names the rule, and every valid definition compiles. `check_object!`
//! has its own cases, against BPF objects that clang builds here first (`tests/bpf/check/`).
//!
//! The `.stderr` files pin each message and its span; after a deliberate change, regenerate them
//! with `TRYBUILD=overwrite cargo test --test compiletest` and read the diff.

mod support;

use std::path::PathBuf;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/**/*.rs");
    t.pass("tests/ui-pass/*.rs");
}

#[test]
fn object_checks() {
    let missing = support::tools::missing(&["clang"]);
    if !missing.is_empty() {
        assert!(
            std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() != Ok("1"),
            "BPFMAP_REQUIRE_KERNEL=1 but {}",
            missing.join(", ")
        );
        support::skip::skip(&format!("the check_object! UI tests need {}", missing.join(", ")));
        return;
    }
    let objects = build_objects();
    // The cases name their objects as `concat!(env!("BPFMAP_TEST_OBJECTS"), "/maps.bpf.o")`:
    // the macro reads the variable when trybuild's cargo compiles them.
    // SAFETY: set before trybuild spawns cargo, and read by nothing else of this process.
    unsafe { std::env::set_var("BPFMAP_TEST_OBJECTS", &objects) };
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui-object/*.rs");
    t.pass("tests/ui-object-pass/*.rs");
}

/// Compiles every `tests/bpf/check/*.bpf.c` into `<target>/bpf-objects/`; the directory.
fn build_objects() -> PathBuf {
    // The test binary is `<target>/debug/deps/compiletest-<hash>`.
    let exe = std::env::current_exe().expect("the test binary");
    let target = exe.ancestors().nth(3).expect("the target directory");
    let out = target.join("bpf-objects");
    std::fs::create_dir_all(&out).expect("create the objects directory");
    let sources = std::fs::read_dir("tests/bpf/check").expect("tests/bpf/check");
    for source in sources.map(|e| e.expect("an entry").path()) {
        let Some(name) = source.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(stem) = name.strip_suffix(".bpf.c") else { continue };
        let object = out.join(format!("{stem}.bpf.o"));
        support::tools::run(
            "clang",
            &[
                "-O2",
                "-g",
                "-target",
                "bpf",
                "-I/usr/include/x86_64-linux-gnu",
                "-c",
                source.to_str().expect("a UTF-8 path"),
                "-o",
                object.to_str().expect("a UTF-8 path"),
            ],
        );
    }
    // Two files that are no BPF object: text, and an ELF program for this machine.
    std::fs::write(out.join("text.bpf.o"), "// not an object\n").expect("write");
    std::fs::copy("/bin/true", out.join("x86.bpf.o")).expect("copy /bin/true");
    out
}
