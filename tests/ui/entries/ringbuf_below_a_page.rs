use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 2048)]
struct Log;

fn main() {}
