use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 12288)]
struct Log;

fn main() {}
