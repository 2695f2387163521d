//! `MapDecl` is implemented by `#[bpf_map]` alone: a hand-written safe impl that borrows a real
//! declaration under other types does not compile.
use bpfmap::{bpf_map, MapDecl};

#[bpf_map(type = "hash", max_entries = 8)]
struct Real {
    key: u32,
    value: [u8; 4096],
}

struct Evil;

impl MapDecl for Evil {
    type Key = u32;
    type Value = u8;
    type Family = <Real as MapDecl>::Family;
    const DEF: bpfmap::MapDef = <Real as MapDecl>::DEF;
    fn declaration() -> &'static bpfmap::Declaration {
        <Real as MapDecl>::declaration()
    }
}

fn main() {}
