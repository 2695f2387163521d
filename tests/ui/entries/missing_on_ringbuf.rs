use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf")]
struct Log;

fn main() {}
