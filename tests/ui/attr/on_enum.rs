use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024)]
enum Flows {
    Key(u32),
    Value(u64),
}

fn main() {}
