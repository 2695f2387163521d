//! The path must be known to the macro: a literal, `env!`, or `concat!` of those.
const OBJECT: &str = "prog.bpf.o";
bpfmap::check_object!(OBJECT);

fn main() {}
