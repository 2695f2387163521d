use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 65536)]
struct Log {
    key: u32,
}

fn main() {}
