//! An attribute after `#[derive(Pod)]` rewrites the struct once the derive has read it: the
//! `u32`s become `u8`s, leaving 6 padding bytes. The proof reads the struct as compiled.
use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
#[bpfmap_attack_macros::shrink_u32]
struct Padded {
    a: u32,
    b: u32,
    c: u64,
}

fn main() {}
