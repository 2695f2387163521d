use bpfmap::bpf_map;

#[bpf_map(type = "cgroup_storage")]
struct PerCgroup {
    key: [u32; 3],
    value: u64,
}

fn main() {}
