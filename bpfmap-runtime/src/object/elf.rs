//! The ELF layer: checks that the bytes are a 64-bit relocatable BPF object, and gives the map
//! readers its sections and the symbols of a section, every offset checked (by `object`).

use object::elf::{ET_REL, FileHeader64, SHT_SYMTAB, STB_LOCAL, STT_SECTION, SectionHeader64};
use object::read::elf::{FileHeader as _, SectionHeader as _, SectionTable, Sym as _};
use object::{Endianness, SectionIndex};

use super::error::{ObjectError, ObjectErrorKind};

/// `EM_BPF`.
const EM_BPF: u16 = 247;
/// `sizeof(Elf64_Ehdr)`.
const HEADER_LEN: usize = 64;

/// A checked ELF BPF object.
pub(super) struct ElfObject<'a> {
    data: &'a [u8],
    endian: Endianness,
    sections: SectionTable<'a, FileHeader64<Endianness>>,
}

/// One section of an [`ElfObject`].
#[derive(Clone, Copy)]
pub(super) struct Section<'a> {
    index: SectionIndex,
    header: &'a SectionHeader64<Endianness>,
}

/// A symbol that names something in a section.
pub(super) struct ElfSymbol<'a> {
    /// The name's bytes (not checked to be UTF-8).
    pub(super) name: &'a [u8],
    /// `st_value`: the offset in the section, in a relocatable object.
    pub(super) value: u64,
    /// `STB_LOCAL`: a `static` variable.
    pub(super) local: bool,
}

impl<'a> ElfObject<'a> {
    /// Checks the header (magic, 64-bit, a byte order, the BPF machine, a relocatable object)
    /// and reads the section table and section names.
    pub(super) fn parse(data: &'a [u8]) -> Result<ElfObject<'a>, ObjectError> {
        if !data.starts_with(b"\x7fELF") {
            return Err(ObjectError::new(ObjectErrorKind::NotElf));
        }
        let truncated = || {
            ObjectError::malformed(format!(
                "the header is truncated: the file is {} bytes, shorter than the {HEADER_LEN}-byte ELF64 \
                 header",
                data.len()
            ))
        };
        // `EI_CLASS` and `EI_DATA` are read by hand so that a 32-bit or odd file is named as
        // such, rather than as the "unsupported header" `object` would report.
        let (Some(&class), Some(&byte_order)) = (data.get(4), data.get(5)) else {
            return Err(truncated());
        };
        if class != 2 {
            return Err(ObjectError::new(ObjectErrorKind::NotElf64 { class }));
        }
        if byte_order != 1 && byte_order != 2 {
            return Err(ObjectError::malformed(format!(
                "EI_DATA is {byte_order}, neither little-endian (1) nor big-endian (2)"
            )));
        }
        if data.len() < HEADER_LEN {
            return Err(truncated());
        }
        let header = FileHeader64::<Endianness>::parse(data)
            .map_err(|e| ObjectError::malformed(format!("the header: {e}")))?;
        let endian = header.endian().map_err(|e| ObjectError::malformed(format!("the header: {e}")))?;
        // Old LLVM wrote EM_NONE; libbpf still takes it (`bpf_object__elf_init`).
        let machine = header.e_machine(endian).0;
        if machine != EM_BPF && machine != 0 {
            return Err(ObjectError::new(ObjectErrorKind::NotBpf { machine }));
        }
        let elf_type = header.e_type(endian);
        if elf_type != ET_REL {
            return Err(ObjectError::new(ObjectErrorKind::NotRelocatable { elf_type: elf_type.0 }));
        }
        let sections = header
            .sections(endian, data)
            .map_err(|e| ObjectError::malformed(format!("the section table: {e}")))?;
        let elf = ElfObject { data, endian, sections };
        // libbpf refuses an object with any unreadable section name; a lookup by name would
        // otherwise skip that section silently.
        for (index, header) in elf.sections.enumerate().skip(1) {
            if let Err(e) = elf.sections.section_name(endian, header) {
                return Err(ObjectError::malformed(format!("the name of section {}: {e}", index.0)));
            }
        }
        Ok(elf)
    }

    /// Whether the object is big-endian.
    pub(super) fn big_endian(&self) -> bool {
        self.endian == Endianness::Big
    }

    /// The u32 at the start of `bytes`, in the object's byte order.
    pub(super) fn u32_at(&self, bytes: [u8; 4]) -> u32 {
        match self.endian {
            Endianness::Little => u32::from_le_bytes(bytes),
            Endianness::Big => u32::from_be_bytes(bytes),
        }
    }

    /// The first section named `name`.
    pub(super) fn section(&self, name: &str) -> Option<Section<'a>> {
        let (index, header) = self.sections.section_by_name(self.endian, name.as_bytes())?;
        Some(Section { index, header })
    }

    /// `sh_size`: the section's size in memory (of a `NOBITS` section too).
    pub(super) fn size(&self, section: Section<'a>) -> u64 {
        section.header.sh_size(self.endian)
    }

    /// `sh_type`.
    pub(super) fn section_type(&self, section: Section<'a>) -> u32 {
        section.header.sh_type(self.endian).0
    }

    /// The section's bytes in the file (none for a `NOBITS` section).
    pub(super) fn data(&self, section: Section<'a>, name: &str) -> Result<&'a [u8], ObjectError> {
        section.header.data(self.endian, self.data).map_err(|e| {
            let (offset, size) = (section.header.sh_offset(self.endian), section.header.sh_size(self.endian));
            ObjectError::malformed(format!(
                "section `{name}` ({size} bytes at offset {offset}) is not inside the {}-byte file: {e}",
                self.data.len()
            ))
        })
    }

    /// The symbols defined in `section`, in symbol-table order, less the section's own symbol
    /// (`STT_SECTION`), as libbpf counts them. `None` when the object has no symbol table.
    pub(super) fn symbols_in(&self, section: Section<'a>) -> Result<Option<Vec<ElfSymbol<'a>>>, ObjectError> {
        let table = self
            .sections
            .symbols(self.endian, self.data, SHT_SYMTAB)
            .map_err(|e| ObjectError::malformed(format!("the symbol table: {e}")))?;
        if table.is_empty() {
            return Ok(None);
        }
        let mut symbols = Vec::new();
        for (index, symbol) in table.enumerate() {
            let in_section = table
                .symbol_section(self.endian, symbol, index)
                .map_err(|e| ObjectError::malformed(format!("symbol {}: {e}", index.0)))?;
            if in_section != Some(section.index) || symbol.st_type() == STT_SECTION {
                continue;
            }
            let name = table
                .symbol_name(self.endian, symbol)
                .map_err(|e| ObjectError::malformed(format!("the name of symbol {}: {e}", index.0)))?;
            symbols.push(ElfSymbol {
                name,
                value: symbol.st_value(self.endian),
                local: symbol.st_bind() == STB_LOCAL,
            });
        }
        Ok(Some(symbols))
    }
}
