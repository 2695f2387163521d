use bpfmap::bpf_map;

#[bpf_map(type = "ringbuf", max_entries = 65536)]
struct Log {
    value: u64,
}

fn main() {}
