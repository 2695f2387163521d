//! The registry of declared maps: one ELF section that every `#[bpf_map]` adds a
//! [`Declaration`] to at link time, read as a slice between the linker's `__start_` and
//! `__stop_` symbols. No code runs before `main`.
//!
//! Written here rather than with `linkme`, which does the same on Linux, because it was
//! measured to cost what #14's targets forbid (`cargo bench --bench compile`, 2026-12-01, one
//! run each): with linkme a declaration cost 1.59 ms of rustc time and a clean release build of
//! a one-map crate 1.50 times the bare syn/quote build; without it, 0.92 ms and 1.24. Its
//! attribute is a second proc macro run on every declaration (with a type-check function and
//! two closures each), and its proc macro made the runtime wait for `syn` in every build. The
//! price is the one `unsafe` block below, and Linux/Android linkers only, where bpfmap runs.

use crate::error::Location;
use crate::{MapDef, Pod};

unsafe extern "Rust" {
    // Defined by the linker around the section; zero-length, so never read.
    #[link_name = concat!("__start_", crate::__registry_section!())]
    static START: [Declaration; 0];
    #[link_name = concat!("__stop_", crate::__registry_section!())]
    static STOP: [Declaration; 0];
}

// The section exists, and so do its bounds, in a program that declares no map. `#[used]`
// keeps it (and every declaration) through the linker's section garbage collection.
#[used]
#[unsafe(link_section = crate::__registry_section!())]
static ANCHOR: [Declaration; 0] = [];

/// Every declared map of the program, in link order.
pub(crate) fn registry() -> &'static [Declaration] {
    let start = (&raw const START).cast::<Declaration>();
    let stop = (&raw const STOP).cast::<Declaration>();
    let len = (stop as usize - start as usize) / size_of::<Declaration>();
    // The linker places the section's input sections, each a `Declaration` static aligned as
    // one (and sized a multiple of its alignment), side by side between the two symbols;
    // nothing else is placed in the section (its name is ours).
    // SAFETY: `len` whole, immutable `Declaration`s from `start`, alive for the whole program.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// A map declared with `#[bpf_map]`: its definition and where it was written.
///
/// ```
/// use bpfmap::{bpf_map, MapDecl};
///
/// #[bpf_map(type = "hash", max_entries = 16)]
/// struct Flows { key: u32, value: u64 }
///
/// let decl = Flows::declaration();
/// assert_eq!((decl.rust_name, decl.def.name.as_str()), ("Flows", "flows"));
/// assert_eq!((decl.def.key_size, decl.def.value_size), (4, 8));
/// assert!(bpfmap::declarations().iter().any(|d| std::ptr::eq(*d, decl)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Declaration {
    /// The definition.
    pub def: MapDef,
    /// The struct's name.
    pub rust_name: &'static str,
    /// The struct's module.
    pub module_path: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The line of the struct.
    pub line: u32,
    /// The column of the struct.
    pub column: u32,
}

impl Declaration {
    #[doc(hidden)]
    pub const fn new(
        def: MapDef,
        rust_name: &'static str,
        module_path: &'static str,
        file: &'static str,
        line: u32,
        column: u32,
    ) -> Declaration {
        Declaration { def, rust_name, module_path, file, line, column }
    }

    /// Where it was declared.
    pub fn location(&self) -> Location {
        Location { rust_name: self.rust_name, file: self.file, line: self.line }
    }
}

/// Every map declared with `#[bpf_map]` in this program, in declaration order (by file, then
/// line): the order in which [`load`](crate::load) creates them.
pub fn declarations() -> &'static [&'static Declaration] {
    // The registry is fixed at link time: sort it once.
    static SORTED: std::sync::OnceLock<Vec<&'static Declaration>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut all: Vec<&'static Declaration> = registry().iter().collect();
        all.sort_by_key(|d| (d.file, d.line, d.column));
        all
    })
}

/// The position of a declaration in the registry slice (which is not declaration order).
pub(crate) fn slot_of(decl: &'static Declaration) -> Option<usize> {
    let all = registry();
    let offset = (decl as *const Declaration as usize).checked_sub(all.as_ptr() as usize)?;
    let slot = offset / size_of::<Declaration>();
    (slot < all.len() && core::ptr::eq(&all[slot], decl)).then_some(slot)
}

/// A struct declared with `#[bpf_map]`: the marker type that names a map.
///
/// The attribute implements it; write `maps.get::<Flows>()` to reach the map it declares.
///
/// # Safety
///
/// Only `#[bpf_map]` implements this trait, and no other code should: the attribute proves at
/// compile time what an implementation promises, and a hand-written `unsafe impl` takes on
/// the proof. An implementation promises that `DEF.key_size` and `DEF.value_size` are
/// `size_of::<Key>()` and `size_of::<Value>()`, that `Family` is the rule book's family of
/// `DEF.map_type`, and that `declaration()` is the registry entry whose definition is `DEF`.
///
/// The runtime does not rely on these promises for memory safety: every typed handle checks
/// the created map's key and value sizes against its own `K` and `V` before it is handed out
/// (a lying implementation gets [`Error::Mismatch`](crate::Error::Mismatch)). The trait is
/// `unsafe` so that the promise is visible where it is made.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a #[bpf_map] struct",
    label = "not declared with #[bpf_map]",
    note = "`maps.get::<T>()` and `inner = T` take a struct declared with #[bpf_map(...)]"
)]
pub unsafe trait MapDecl: 'static {
    /// The key type (`()` for types without a key).
    type Key: Pod;
    /// The value type (`()` for types without a value).
    type Value: Pod;
    /// The handle family of the map type.
    type Family: crate::family::Family;
    /// The definition.
    const DEF: MapDef;
    /// Its entry in the registry.
    fn declaration() -> &'static Declaration;
}
