//! A file that is not an ELF object.
bpfmap::check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/text.bpf.o"));

fn main() {}
