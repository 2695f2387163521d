//! An attribute after `#[derive(Pod)]` turns a `u64` field into a `&'static u64`: the proof
//! checks the field as compiled, and a reference is not `Pod`.
use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
#[bpfmap_attack_macros::u64_to_ref]
struct Forged {
    r: u64,
}

fn main() {}
