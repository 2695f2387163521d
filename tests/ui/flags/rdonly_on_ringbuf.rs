use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 65536, flags = "rdonly")]
struct Log;

fn main() {}
