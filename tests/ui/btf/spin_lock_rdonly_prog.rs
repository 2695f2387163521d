//! Programs must be able to take the lock: `rdonly_prog` and `wronly_prog` are refused.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Config {
    lock: SpinLock,
    limit: u32,
}

#[bpf_map(type = "array", max_entries = 1, flags = "rdonly_prog")]
struct Settings {
    key: u32,
    value: Config,
}

fn main() {}
