//! Runs one test of the current test binary again in a child process, after a setup that runs
//! in the child between fork and exec: for what a test must not do to its own process (hide a
//! directory in a new mount namespace, drop a capability, lower a limit) or must see fresh
//! (a cached probe).

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

/// Names the test the child runs.
pub const ENV: &str = "BPFMAP_TEST_CHILD";

/// Whether this process is the child that runs the test `name`; every other run of that test
/// returns at once.
pub fn is(name: &str) -> bool {
    std::env::var(ENV).as_deref() == Ok(name)
}

/// Runs the test `name` of this binary in a child process, `setup` first; panics with the
/// child's output unless it passed.
pub fn run(name: &str, setup: impl FnMut() -> std::io::Result<()> + Send + Sync + 'static) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command.args(["--exact", name, "--nocapture", "--test-threads=1"]).env(ENV, name);
    // SAFETY: `setup` runs in the child between fork and exec; the callers' setups only make
    // async-signal-safe system calls.
    unsafe { command.pre_exec(setup) };
    let out = command.output().expect("spawn the child test");
    assert!(
        out.status.success(),
        "the child test `{name}` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether the child printed `text` (a test's own `println!`, among libtest's words).
pub fn printed(out: &Output, text: &str) -> bool {
    String::from_utf8_lossy(&out.stdout).contains(text)
}
