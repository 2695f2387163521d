use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024)]
fn flows() {}

fn main() {}
