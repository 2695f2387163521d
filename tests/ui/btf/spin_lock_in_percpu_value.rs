//! Per-CPU maps take no lock: each CPU has its own value.
use bpfmap::{bpf_map, Pod, SpinLock};

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Counter {
    lock: SpinLock,
    count: u32,
}

#[bpf_map(type = "percpu_hash", max_entries = 64)]
struct Counts {
    key: u32,
    value: Counter,
}

fn main() {}
