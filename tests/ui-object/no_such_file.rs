//! An object that is not there.
bpfmap::check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/nothing.bpf.o"));

fn main() {}
