//! `crate = path` cannot smuggle in other sizes: the sizes come from the real `MapDef`'s
//! `with_types`, and an impostor `MapDef` in the path's `__private` is not the type the
//! declaration's trait wants.
mod fake {
    pub mod __private {
        pub use bpfmap::__private::*;
        /// Claims 4096-byte values whatever the types are.
        pub struct MapDef;
        impl MapDef {
            pub const fn new(t: bpfmap::MapType, _: u32, _: u32, n: u32) -> Impostor {
                Impostor(bpfmap::MapDef::new(t, 4, 4096, n))
            }
        }
        pub struct Impostor(bpfmap::MapDef);
        impl Impostor {
            pub const fn with_types<K, V>(self) -> bpfmap::MapDef {
                self.0
            }
        }
    }
}

#[bpfmap::bpf_map(type = "hash", max_entries = 8, crate = fake)]
struct Evil {
    key: u32,
    value: u64,
}

fn main() {}
