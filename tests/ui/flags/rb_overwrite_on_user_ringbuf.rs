use bpfmap::bpf_map;

#[bpf_map(type = "user_ringbuf", max_entries = 65536, flags = "rb_overwrite")]
struct Log;

fn main() {}
