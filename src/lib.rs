//! bpfmap: Linux eBPF maps declared as Rust structs and checked against the kernel's rules at
//! compile time.
#![doc = include_str!("../README.md")]

extern crate self as bpfmap;

pub use bpfmap_derive::{Pod, bpf_map};
pub use bpfmap_runtime::*;
