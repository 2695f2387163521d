//! A type macro that gives `u64` the first time and `u8` after: the proof does not expand the
//! field's type again, it reads the field of the struct as compiled.
use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Flipped {
    a: u64,
    b: bpfmap_attack_macros::flip!(),
}

fn main() {}
