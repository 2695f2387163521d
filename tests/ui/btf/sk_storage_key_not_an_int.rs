//! Local storage needs BTF, and the kernel takes only a 32-bit integer as its key's type.
use bpfmap::bpf_map;

#[bpf_map(type = "sk_storage", flags = "no_prealloc")]
struct Storage {
    key: [u8; 4],
    value: u64,
}

fn main() {}
