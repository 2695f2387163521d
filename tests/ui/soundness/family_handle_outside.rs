//! The handle families are not public API: the module is gone from the crate root, and the
//! sealed trait behind `__private` cannot be implemented elsewhere.
fn main() {
    let _ = <bpfmap::family::Hash as bpfmap::family::Family>::handle::<u32, u8>;
}

struct Mine;

impl bpfmap::__private::family::Family for Mine {
    type Handle<'m, K: bpfmap::Pod, V: bpfmap::Pod> = bpfmap::MapRef<'m>;
    fn handle<'m, K: bpfmap::Pod, V: bpfmap::Pod>(
        map: bpfmap::MapRef<'m>,
    ) -> Result<bpfmap::MapRef<'m>, bpfmap::Error> {
        Ok(map)
    }
}
