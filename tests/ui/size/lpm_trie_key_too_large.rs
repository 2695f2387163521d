use bpfmap::bpf_map;

#[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "no_prealloc")]
struct Routes {
    key: [u8; 261],
    value: u32,
}

fn main() {}
