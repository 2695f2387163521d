use bpfmap::bpf_map;

#[bpf_map(type = "ringbuffer", max_entries = 65536)]
struct Log;

fn main() {}
