//! bpfmap: Linux eBPF maps declared as Rust structs and checked against the kernel's rules at
//! compile time.
#![doc = include_str!("../README.md")]

extern crate self as bpfmap;

/// Declares a BPF map: the struct becomes a zero-sized marker type that names the map, its
/// definition is checked against the kernel's rules at compile time, and [`load`] creates it
/// at startup with every other declared map.
///
/// ```no_run
/// use bpfmap::{bpf_map, Pod, Update};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// pub struct FlowKey { saddr: u32, daddr: u32, sport: u16, dport: u16 }
///
/// /// Bytes per flow.
/// #[bpf_map(type = "hash", max_entries = 10_000, flags = "no_prealloc")]
/// pub struct Flows { key: FlowKey, value: u64 }
///
/// #[bpf_map(type = "ringbuf", max_entries = 65536, name = "events")]
/// struct Events;
///
/// let maps = bpfmap::load()?;
/// let flows = maps.get::<Flows>(); // a HashMap<FlowKey, u64>
/// flows.insert(&FlowKey { saddr: 1, daddr: 2, sport: 3, dport: 4 }, &1500, Update::Any)?;
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// # The struct
///
/// Its `key` and `value` fields give the map's key and value types (each [`Pod`]), and so its
/// `key_size` and `value_size`. The map type decides which of them it has: `queue`, `stack`
/// and `bloom_filter` have only `value`; `ringbuf`, `user_ringbuf` and `arena` have neither
/// (`struct Events;`). It cannot be generic. Its attributes (docs, derives) and visibility stay
/// on the marker type.
///
/// # Keys
///
/// | key | value | meaning |
/// |---|---|---|
/// | `type` | `"hash"`, `"array"`, `"percpu_hash"`, `"lru_hash"`, `"ringbuf"`, ... | the map type: the uapi name without `BPF_MAP_TYPE_`, lowercase; see [`MapType`] |
/// | `max_entries` | an integer or a `const` expression of type `u32` | the capacity; bytes for ring buffers, pages for arenas; may be left out where it has one meaning (storage maps: 0; `perf_event_array`: one entry per possible CPU) |
/// | `flags` | `"no_prealloc"`, `"no_prealloc \| rdonly_prog"`, ... | `BPF_F_*` names without the prefix, lowercase, joined with `\|`; see [`MapFlags`] |
/// | `name` | `"flows"` | the kernel's name: at most 15 bytes of `[A-Za-z0-9_.]`; default: the struct's name in snake_case |
/// | `pin` | `"by_name"` | pin at `<pin root>/<name>` and reuse a compatible pin (see the crate docs, *Pinning*) |
/// | `numa_node` | an integer or a `const` expression | allocate on this NUMA node (sets `numa_node` in `flags`) |
/// | `map_extra` | an integer or a `const` expression of type `u64` | `bloom_filter`: the number of hash functions (1 to 15); `arena`: the user address to map it at |
/// | `inner` | another `#[bpf_map]` struct | the template of the maps an `array_of_maps` or `hash_of_maps` holds |
/// | `crate` | a path | where `bpfmap` is, for code that renames it (default `::bpfmap`) |
///
/// # Checks
///
/// Everything the kernel would refuse is a compile error: what the tokens show (type and flag
/// names, with "did you mean" suggestions; flags the type refuses; flags that exclude each
/// other; required flags; `max_entries`; `name`; `map_extra`; missing or surplus fields) on
/// the offending token, all of them reported at once; what only the types show (the key and
/// value sizes against the type's rules) by `const` evaluation of [`MapDef::validate`],
/// pointing at the type:
///
/// ```compile_fail
/// #[bpfmap::bpf_map(type = "array", max_entries = 16)]
/// struct Counters { key: u64, value: u64 } // arrays are indexed by u32: `key` must be 4 bytes
/// ```
///
/// The rules are those of [`rules`]: the same functions the runtime runs before every
/// `BPF_MAP_CREATE`.
pub use bpfmap_derive::bpf_map;

/// Implements [`Pod`] for a `#[repr(C)]` struct whose fields are all `Pod`, proving at compile
/// time that it has no padding (its size is the sum of its fields'): keys with padding would
/// make lookups miss, since the kernel compares every byte.
///
/// ```
/// use bpfmap::Pod;
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Conn { addr: u32, port: u16, proto: u8, _pad: u8 } // padding made explicit
/// ```
///
/// ```compile_fail
/// use bpfmap::Pod;
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Conn { addr: u32, port: u16, proto: u8 } // one byte of trailing padding
/// ```
pub use bpfmap_derive::Pod;
pub use bpfmap_runtime::*;

/// Checks, at compile time, the maps of a clang-built BPF object against the `#[bpf_map]`
/// declarations of the same kernel names written beside the call (in the same module).
///
/// The path is relative to the crate's directory (`CARGO_MANIFEST_DIR`), or absolute; as for
/// `include_bytes!`, it may be `env!("VAR")` or a `concat!` of such parts, for objects a build
/// script writes: `check_object!(concat!(env!("OUT_DIR"), "/count.bpf.o"))`. Cargo rebuilds the
/// crate when the object changes.
///
/// ```ignore
/// use bpfmap::{bpf_map, check_object};
///
/// #[bpf_map(type = "hash", max_entries = 1024)]
/// struct Counts { key: u32, value: u64 }
///
/// check_object!("bpf/count.bpf.o");
/// ```
///
/// For every map of the object (BTF-defined maps of `.maps`, and legacy `maps` records) the
/// declaration of its name must agree on the type, key and value sizes, `max_entries`, flags,
/// pinning, NUMA node and `map_extra`, the template of a map-of-maps, and the key and value
/// layouts where the object has their BTF: member names, offsets and types, as
/// [`btf::diff_layout`] compares them (`__u32` and `u32` agree; `struct flow_key` and
/// `FlowKey` agree when their members do). A difference is a compile error on the path that
/// names the map and each field:
///
/// ```text
/// error[E0080]: evaluation panicked: bpf/count.bpf.o: map `counts` differs from its declaration `Counts`: value_size: declared 4, object 8; max_entries: declared 100, object 1024
/// ```
///
/// A map of the object with no declaration is an error that shows one that would match. Maps
/// declared and absent from the object are fine. A file that is not a BPF object, or whose
/// maps cannot be read, is an error naming the file and what is wrong. At run time,
/// [`check_object`](fn@check_object) does the same against every declared map.
pub use bpfmap_derive::check_object;
