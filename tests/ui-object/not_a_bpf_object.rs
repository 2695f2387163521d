//! An ELF program for this machine, not for BPF.
bpfmap::check_object!(concat!(env!("BPFMAP_TEST_OBJECTS"), "/x86.bpf.o"));

fn main() {}
