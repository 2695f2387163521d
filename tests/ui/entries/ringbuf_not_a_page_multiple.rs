use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 4097)]
struct Log;

fn main() {}
