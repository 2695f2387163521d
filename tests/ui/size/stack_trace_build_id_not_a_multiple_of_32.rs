use bpfmap::bpf_map;

#[bpf_map(type = "stack_trace", max_entries = 1024, flags = "stack_build_id")]
struct Stacks {
    key: u32,
    value: [u64; 5],
}

fn main() {}
