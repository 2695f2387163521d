use bpfmap::bpf_map;

#[bpf_map(type = "lpm_trie", max_entries = 1024, flags = "rdonly_prog")]
struct Routes {
    key: [u8; 8],
    value: u32,
}

fn main() {}
