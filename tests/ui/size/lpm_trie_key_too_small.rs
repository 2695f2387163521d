use bpfmap::bpf_map;

#[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
struct Routes {
    key: u32,
    value: u32,
}

fn main() {}
