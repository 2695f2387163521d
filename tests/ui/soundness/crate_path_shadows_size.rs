//! `crate = path` cannot smuggle in other sizes: a `__private` that computes a 4096-byte value
//! for a `u64` fails the assertion that the definition's sizes are its types' sizes.
mod fake {
    pub mod __private {
        pub use bpfmap::__private::*;
        pub const fn size_u32(_: usize) -> u32 {
            4096
        }
    }
}

#[bpfmap::bpf_map(type = "hash", max_entries = 8, crate = fake)]
struct Evil {
    key: u32,
    value: u64,
}

fn main() {}
