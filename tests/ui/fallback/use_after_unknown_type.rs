use bpfmap::bpf_map;

#[bpf_map(type = "hsah", max_entries = 1024)]
struct Flows {
    key: u32,
    value: u64,
}

fn main() {
    let maps = bpfmap::load().unwrap();
    let _flows = maps.get::<Flows>();
    let _def = <Flows as bpfmap::MapDecl>::DEF;
}
