use bpfmap::bpf_map;

// The kernel creates such an fd array but oopses when it frees it: the one rule stricter
// than the kernel.
#[bpf_map(type = "prog_array", max_entries = 2147483648)]
struct Jumps {
    key: u32,
    value: u32,
}

fn main() {}
