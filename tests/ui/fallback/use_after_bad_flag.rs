use bpfmap::bpf_map;

#[bpf_map(type = "hash", max_entries = 1024, flags = "mmapable")]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {
    let maps = bpfmap::load().unwrap();
    let flows = maps.get::<Flows>();
    flows.insert(&1, &2, bpfmap::Update::Any).unwrap();
    let _: Option<u64> = flows.get(&1).unwrap();
}
