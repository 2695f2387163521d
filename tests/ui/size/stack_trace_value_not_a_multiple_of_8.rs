use bpfmap::bpf_map;

#[bpf_map(type = "stack_trace", max_entries = 1024)]
struct Stacks {
    key: u32,
    value: [u8; 12],
}

fn main() {}
