use bpfmap::bpf_map;

#[bpf_map(type = "cgroup_storage")]
struct PerCgroup {
    key: u64,
    value: [u8; 65408],
}

fn main() {}
