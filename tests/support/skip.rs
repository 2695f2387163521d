//! Skipped tests, counted: at exit the test binary prints one line saying how many of its
//! tests skipped and why, so that `cargo test` as a normal user does not pass for full
//! coverage. (libtest shows a test's own output only when it fails; this line goes to stderr
//! after libtest is done.)

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static SKIPPED: AtomicUsize = AtomicUsize::new(0);
/// The reasons, each once, in the order first seen.
static REASONS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Notes that the running test skips, because of `why`.
pub fn skip(why: &str) {
    eprintln!("skipping: {why}");
    if SKIPPED.fetch_add(1, Ordering::Relaxed) == 0 {
        // SAFETY: `report` is an `extern "C" fn()` that lives as long as the program.
        unsafe { libc::atexit(report) };
    }
    let mut reasons = REASONS.lock().unwrap_or_else(|e| e.into_inner());
    if !reasons.iter().any(|r| r == why) {
        reasons.push(why.to_string());
    }
}

extern "C" fn report() {
    let n = SKIPPED.load(Ordering::Relaxed);
    let reasons = REASONS.lock().unwrap_or_else(|e| e.into_inner()).join("; ");
    let exe = std::env::current_exe().ok();
    let name = exe.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    // Cargo names test binaries `<target>-<16 hex digits>`: the target is what the user knows.
    let binary = match name.as_deref().and_then(|n| n.rsplit_once('-')) {
        Some((target, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("tests/{target}.rs")
        }
        _ => name.unwrap_or_else(|| "this test binary".to_string()),
    };
    let test = if n == 1 { "test" } else { "tests" };
    let line = format!("note: {n} {test} of {binary} skipped (they passed without running): {reasons}\n");
    // Straight to fd 2: at exit, std's stderr may be gone, and a panic here would abort.
    // SAFETY: writes `line`'s bytes, which live across the call.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}
