//! Runs one test of the current test binary again in a child process, after a setup that runs
//! in the child between fork and exec: for what a test must not do to its own process (hide a
//! directory in a new mount namespace, drop a capability, lower a limit) or must see fresh
//! (a cached probe).

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
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

/// The uid and gid of `nobody`: a user with no capabilities and no files.
pub const NOBODY: u32 = 65534;

/// Runs `program` with `args` (and `envs`) as uid/gid [`NOBODY`] with the supplementary
/// `groups` only: the kernel clears every capability when a root process switches to a
/// non-root uid.
///
/// The program is opened here, as root, and executed through `/proc/self/fd/N`: that path
/// leads to the file without walking its directories, so the child runs even where uid 65534
/// cannot reach the checkout (root's 0700 home, a `mktemp -d` directory).
pub fn unprivileged(program: &Path, args: &[&str], envs: &[(&str, &str)], groups: &[u32]) -> Output {
    let exe = std::fs::File::open(program).unwrap_or_else(|e| panic!("open {}: {e}", program.display()));
    let mut command = Command::new(format!("/proc/self/fd/{}", exe.as_raw_fd()));
    command.args(args).envs(envs.iter().copied());
    let groups: Vec<libc::gid_t> = groups.to_vec();
    // SAFETY: the closure runs in the child between fork and exec and only makes
    // async-signal-safe system calls (`groups` was allocated before the fork).
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setresgid(NOBODY, NOBODY, NOBODY) != 0
                || libc::setresuid(NOBODY, NOBODY, NOBODY) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // `exe` (close-on-exec) stays open in the child until the exec has found the file.
    let out = command.output().expect("spawn the unprivileged child");
    drop(exe);
    out
}
