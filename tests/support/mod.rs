//! Shared by the kernel tests: whether `bpf()` works here, and what to do when it does not.
#![allow(dead_code)]

pub mod bpf;
pub mod bpffs;
pub mod cgroup;
pub mod child;
pub mod count_program;
pub mod objects;
pub mod skip;
pub mod tools;

use std::sync::OnceLock;

/// Whether this process can create BPF maps. When it cannot, a kernel test skips with a
/// message, or fails if `BPFMAP_REQUIRE_KERNEL=1` (as CI sets it).
pub fn kernel_available() -> bool {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    match AVAILABLE.get_or_init(probe) {
        Ok(()) => true,
        Err(why) if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") => {
            panic!("BPFMAP_REQUIRE_KERNEL=1 but bpf() is refused here: {why}")
        }
        Err(why) => {
            skip::skip(&format!("bpf() is refused here ({why}); run as root or with CAP_BPF"));
            false
        }
    }
}

fn probe() -> Result<(), String> {
    let def = bpfmap::MapDef::new(bpfmap::MapType::ARRAY, 4, 4, 1);
    bpfmap::create_map(&def).map(drop).map_err(|e| e.to_string())
}

/// Returns from the test (skipping it) when `bpf()` is refused.
#[macro_export]
macro_rules! require_kernel {
    () => {
        if !$crate::support::kernel_available() {
            return;
        }
    };
}

/// The number of fds this process has open: leak checks compare it before and after.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").count()
}

/// Serializes the tests of one binary that count fds (any test creating maps meanwhile would
/// change the count).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The number of possible CPUs, read here independently of the code under test: the count of
/// CPUs in `/sys/devices/system/cpu/possible` (`0-1` is 2, `0,2-3` is 3).
pub fn possible_cpus() -> usize {
    let list = std::fs::read_to_string("/sys/devices/system/cpu/possible").expect("the CPU list");
    list.trim()
        .split(',')
        .map(|range| match range.split_once('-') {
            Some((a, b)) => b.parse::<usize>().expect("a CPU") - a.parse::<usize>().expect("a CPU") + 1,
            None => 1,
        })
        .sum()
}
