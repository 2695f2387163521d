//! The padding proof of `#[derive(Pod)]` cannot be forged: its trait lives where no other code
//! can name it, so a padded struct stays refused.
use bpfmap::Pod;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Padded {
    a: u8,
    b: u32,
}

impl NoPadding<3> for () {}

fn main() {}
