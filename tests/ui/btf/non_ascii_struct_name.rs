//! BTF names are C identifiers: a Rust name outside ASCII cannot be described.
use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Zähler {
    n: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Counts {
    größe: u64,
}

fn main() {}
