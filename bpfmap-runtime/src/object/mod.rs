//! The maps of a clang-built BPF object: read from its ELF sections, to be compared with the
//! maps declared in Rust (`bpfmap::check_object!` at compile time, `bpfmap::check_object` at
//! run time).
//!
//! Two encodings are read, as libbpf reads them:
//!
//! - BTF-defined maps: each a global `VAR` of the `.maps` `DATASEC`, of an anonymous struct
//!   whose members are libbpf's `__uint(name, N)` (a pointer to an array of `N` ints),
//!   `__type(name, T)` (a pointer to `T`), `__ulong(name, N)` (an enum holding `N`) and
//!   `__array(values, struct inner)` (the template of a map-of-maps);
//! - legacy maps: `struct bpf_map_def` records in a section named `maps`, named by the symbols
//!   that point into it.
//!
//! The object's own data sections (`.bss`, `.data`, `.rodata`, `.kconfig`, ...) are global
//! data, not maps to declare, and are skipped. Nothing here panics, loops or allocates without
//! bound on malformed input.
//!
//! What libbpf does at load time rather than in the object is not done here: a ring buffer's
//! `max_entries` is the object's number, not rounded up to a power-of-2 multiple of the page
//! size, and `.maps` is read in the order of its `DATASEC` (libbpf sorts it by the symbols'
//! offsets; clang writes both in the same order). libbpf 1.0 refuses legacy `maps` sections;
//! they are read as libbpf 0.8 read them.

mod btf_maps;
#[cfg(feature = "runtime")]
mod check;
mod compare;
mod elf;
mod error;
mod legacy;
mod message;
mod suggest;

#[cfg(test)]
mod compiled_tests;
#[cfg(test)]
mod in_memory_tests;
#[cfg(test)]
mod parse_fuzz;
#[cfg(test)]
mod test_compile;
#[cfg(test)]
mod test_elf;
#[cfg(test)]
mod test_objects;

use object::elf::SHT_PROGBITS;

use crate::btf::Btf;

use self::elf::{ElfObject, Section};
pub use self::error::{ObjectError, ObjectErrorKind};
#[cfg(feature = "runtime")]
pub use check::{ObjectProblem, check_object, check_object_file};
pub use compare::MapDiff;
#[doc(hidden)]
pub use compare::{Declared, Numbers, ObjectMapDesc, check_map};
#[doc(hidden)]
pub use message::Message;
pub use suggest::suggest_declaration;

/// A parsed BPF object: its maps, in the order the object lists them, and its BTF.
///
/// ```no_run
/// use bpfmap::object::Object;
///
/// let bytes = std::fs::read("bpf/count.bpf.o").expect("built by clang -target bpf");
/// let object = Object::parse(&bytes)?;
/// for map in object.maps() {
///     println!("{} ({:?}): type {}, {}+{} bytes", map.name, map.source, map.map_type, map.key_size, map.value_size);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Object {
    maps: Vec<ObjectMap>,
    btf: Option<Btf>,
}

/// One map of an object, as the object defines it. Numbers the object leaves out are 0, as
/// libbpf takes them.
///
/// ```no_run
/// use bpfmap::object::Object;
///
/// let object = Object::parse(&std::fs::read("bpf/count.bpf.o")?)?;
/// if let Some(counts) = object.map("counts") {
///     println!("max_entries {}, flags {:#x}", counts.max_entries, counts.flags);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMap {
    /// The kernel name: the variable's (or legacy symbol's) name.
    pub name: String,
    /// `type`: the raw `BPF_MAP_TYPE_*` number.
    pub map_type: u32,
    /// `key_size`, or the size of the `key` type.
    pub key_size: u32,
    /// `value_size`, or the size of the `value` type.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u32,
    /// `pinning`: 0 (`LIBBPF_PIN_NONE`) or 1 (`LIBBPF_PIN_BY_NAME`).
    pub pinning: u32,
    /// `numa_node`.
    pub numa_node: u32,
    /// `map_extra`.
    pub map_extra: u64,
    /// The BTF type id (in [`Object::btf`]) of `__type(key, T)`, if the object names one.
    pub key_type: Option<u32>,
    /// The BTF type id of `__type(value, T)`, if the object names one.
    pub value_type: Option<u32>,
    /// The template of a map-of-maps (`__array(values, struct inner)`).
    pub inner: Option<Box<ObjectMap>>,
    /// Where the object defines it.
    pub source: MapSource,
}

impl ObjectMap {
    /// The name the kernel gives the map when a loader creates it: the object's name cut to
    /// 15 bytes, as libbpf passes it (`BPF_OBJ_NAME_LEN`). Declarations are matched on it.
    pub fn kernel_name(&self) -> &str {
        let mut end = self.name.len().min(15);
        while !self.name.is_char_boundary(end) {
            end -= 1;
        }
        &self.name[..end]
    }
}

/// Where an object defines a map.
///
/// ```no_run
/// use bpfmap::object::{MapSource, Object};
///
/// let object = Object::parse(&std::fs::read("old.bpf.o")?)?;
/// if object.maps().iter().any(|m| m.source == MapSource::Legacy) {
///     println!("this object still uses `struct bpf_map_def SEC(\"maps\")`");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapSource {
    /// A `VAR` of the `.maps` section, described by BTF.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section.
    Legacy,
}

impl Object {
    /// Reads the maps of the ELF BPF object `bytes` (as `clang -O2 -g -target bpf -c` writes
    /// it): those of `.maps` (which needs the object's `.BTF`), then those of a legacy `maps`
    /// section.
    ///
    /// ```no_run
    /// use bpfmap::object::Object;
    ///
    /// let bytes = std::fs::read("prog.bpf.o")?;
    /// let object = Object::parse(&bytes)?;
    /// for map in object.maps() {
    ///     println!("{}: type {}, {} entries", map.name, map.map_type, map.max_entries);
    /// }
    /// if let (Some(flows), Some(btf)) = (object.map("flows"), object.btf()) {
    ///     let key = flows.key_type.expect("declared with __type(key, ...)");
    ///     println!("key: {} ({} bytes)", btf.name(btf.resolve(key)?)?, flows.key_size);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ObjectError`] saying what is wrong: not ELF, not BPF, a truncated or malformed
    /// section, BTF that does not parse, a map definition libbpf would refuse, a map type
    /// number no kernel has. The BTF is read in this machine's byte order only: an object of
    /// the other byte order with a `.BTF` section is refused
    /// ([`ForeignByteOrder`](ObjectErrorKind::ForeignByteOrder)).
    pub fn parse(bytes: &[u8]) -> Result<Object, ObjectError> {
        let elf = ElfObject::parse(bytes)?;
        let btf = match elf.section(".BTF") {
            Some(section) => Some(read_btf(&elf, section)?),
            None => None,
        };
        let mut maps = Vec::new();
        // As libbpf, the ELF section decides whether there are BTF-defined maps; BTF then
        // describes them.
        if let Some(section) = elf.section(".maps") {
            let btf = btf.as_ref().ok_or_else(|| ObjectError::new(ObjectErrorKind::NoBtf))?;
            maps = btf_maps::read(btf, elf.size(section))?;
        }
        if let Some(section) = elf.section("maps") {
            maps.extend(legacy::read(&elf, section)?);
        }
        Ok(Object { maps, btf })
    }

    /// The maps, in the order the object lists them (`.maps` first, then legacy `maps`).
    pub fn maps(&self) -> &[ObjectMap] {
        &self.maps
    }

    /// The map named `name`.
    pub fn map(&self, name: &str) -> Option<&ObjectMap> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The object's BTF (its `.BTF` section), which the key and value type ids refer to.
    pub fn btf(&self) -> Option<&Btf> {
        self.btf.as_ref()
    }
}

/// The `.BTF` section, parsed.
fn read_btf(elf: &ElfObject<'_>, section: Section<'_>) -> Result<Btf, ObjectError> {
    if elf.big_endian() != cfg!(target_endian = "big") {
        return Err(ObjectError::new(ObjectErrorKind::ForeignByteOrder { big_endian: elf.big_endian() }));
    }
    // libbpf refuses any other type (`bpf_object__elf_collect`).
    let sh_type = elf.section_type(section);
    if sh_type != SHT_PROGBITS.0 {
        return Err(ObjectError::malformed(format!(
            "the .BTF section is of type {sh_type}, not PROGBITS (1)"
        )));
    }
    Btf::parse(elf.data(section, ".BTF")?).map_err(|e| ObjectError::new(ObjectErrorKind::Btf(e)))
}
