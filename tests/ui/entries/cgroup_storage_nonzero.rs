use bpfmap::bpf_map;

#[bpf_map(type = "cgroup_storage", max_entries = 1)]
struct PerCgroup {
    key: u64,
    value: u64,
}

fn main() {}
