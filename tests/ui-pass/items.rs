//! The declared struct keeps its visibility, doc comments and other attributes, and works
//! from a module, through a renamed crate and with `crate = ...`.

extern crate bpfmap as maps_crate;

mod maps {
    use bpfmap::bpf_map;

    /// Packet counts by source port.
    #[bpf_map(type = "hash", max_entries = 100)]
    #[derive(Debug, Default, Clone, Copy, PartialEq)]
    pub struct Flows {
        /// The source port.
        key: u32,
        /// The packet count.
        value: u64,
    }

    #[bpf_map(type = "array", max_entries = 4)]
    pub(crate) struct Counters {
        key: u32,
        value: u64,
    }
}

mod renamed {
    // The generated code names the runtime through `crate = ...` instead of `::bpfmap`.
    #[maps_crate::bpf_map(crate = maps_crate, type = "percpu_array", max_entries = 4)]
    pub struct Latency {
        key: u32,
        value: u64,
    }
}

// Names that the generated code must not pick up instead of its own.
#[allow(dead_code)]
mod shadowing {
    pub struct MapDef;
    pub struct Option;
    pub trait MapDecl {}

    #[bpf_map::bpf_map(type = "hash", max_entries = 8)]
    pub struct Shadowed {
        key: u32,
        value: u32,
    }

    mod bpf_map {
        pub use bpfmap::bpf_map;
    }
}

// A raw identifier: the default name is `type`, without `r#`.
#[bpfmap::bpf_map(type = "array", max_entries = 1)]
#[allow(non_camel_case_types)]
struct r#type {
    key: u32,
    value: u32,
}

use bpfmap::MapDecl;

fn main() {
    assert_eq!(format!("{:?}", maps::Flows), "Flows");
    assert_eq!(maps::Flows::default(), maps::Flows);
    assert_eq!(<maps::Counters as MapDecl>::DEF.max_entries, 4);
    assert_eq!(<renamed::Latency as MapDecl>::DEF.name.as_str(), "latency");
    assert_eq!(<shadowing::Shadowed as MapDecl>::DEF.key_size, 4);
    assert_eq!(<r#type as MapDecl>::DEF.name.as_str(), "type");
}
