//! Hand-written ELF objects for tests that run without clang (and under Miri): any section,
//! symbol or header field, valid or not.

/// `SHT_PROGBITS`.
pub(super) const PROGBITS: u32 = 1;
/// `SHT_NOBITS`.
pub(super) const NOBITS: u32 = 8;

struct TestSection {
    name: String,
    sh_type: u32,
    data: Vec<u8>,
}

struct TestSymbol {
    name: Vec<u8>,
    section: u16,
    value: u64,
    global: bool,
}

/// An ELF64 relocatable object, assembled section by section.
pub(super) struct TestElf {
    pub(super) big_endian: bool,
    pub(super) machine: u16,
    pub(super) elf_type: u16,
    sections: Vec<TestSection>,
    symbols: Vec<TestSymbol>,
}

impl TestElf {
    /// A little-endian BPF relocatable object with no sections yet.
    pub(super) fn new() -> TestElf {
        TestElf { big_endian: false, machine: 247, elf_type: 1, sections: Vec::new(), symbols: Vec::new() }
    }

    /// Adds a section; its index in the section table (the null section is 0).
    pub(super) fn section(&mut self, name: &str, sh_type: u32, data: Vec<u8>) -> u16 {
        self.sections.push(TestSection { name: name.to_owned(), sh_type, data });
        self.sections.len() as u16
    }

    /// Adds an `STT_OBJECT` symbol at `value` in section `section`.
    pub(super) fn symbol(&mut self, name: &[u8], section: u16, value: u64, global: bool) {
        self.symbols.push(TestSymbol { name: name.to_vec(), section, value, global });
    }

    /// `words` in the object's byte order.
    pub(super) fn words(&self, words: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &w in words {
            out.extend_from_slice(&if self.big_endian { w.to_be_bytes() } else { w.to_le_bytes() });
        }
        out
    }

    fn put(&self, out: &mut Vec<u8>, value: u64, len: usize) {
        let bytes = if self.big_endian { value.to_be_bytes() } else { value.to_le_bytes() };
        if self.big_endian {
            out.extend_from_slice(&bytes[8 - len..]);
        } else {
            out.extend_from_slice(&bytes[..len]);
        }
    }

    /// The file: header, section contents, then the section table (so that cutting the end
    /// cuts the table).
    pub(super) fn finish(&self) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        for symbol in &self.symbols {
            let name = strtab.len() as u64;
            strtab.extend_from_slice(&symbol.name);
            strtab.push(0);
            self.put(&mut symtab, name, 4);
            // st_info: bind << 4 | STT_OBJECT.
            symtab.push(u8::from(symbol.global) << 4 | 1);
            symtab.push(0);
            self.put(&mut symtab, symbol.section.into(), 2);
            self.put(&mut symtab, symbol.value, 8);
            self.put(&mut symtab, 0, 8);
        }
        let user = self.sections.len() as u64;
        // Sections after the user's: .strtab, .symtab (when there are symbols), .shstrtab.
        let mut all: Vec<(&str, u32, &[u8], u64, u64)> =
            self.sections.iter().map(|s| (s.name.as_str(), s.sh_type, &s.data[..], 0, 0)).collect();
        let strtab_index = user + 1;
        all.push((".strtab", 3, &strtab, 0, 0));
        if !self.symbols.is_empty() {
            all.push((".symtab", 2, &symtab, strtab_index, 24));
        }
        let mut shstrtab = vec![0u8];
        let mut names = Vec::new();
        for (name, ..) in &all {
            names.push(shstrtab.len() as u64);
            shstrtab.extend_from_slice(name.as_bytes());
            shstrtab.push(0);
        }
        names.push(shstrtab.len() as u64);
        shstrtab.extend_from_slice(b".shstrtab\0");
        all.push((".shstrtab", 3, &shstrtab, 0, 0));

        let mut out = vec![0u8; 64];
        let mut placed = Vec::new();
        for (_, sh_type, data, ..) in &all {
            out.resize(out.len().next_multiple_of(8), 0);
            placed.push(out.len() as u64);
            if *sh_type != NOBITS {
                out.extend_from_slice(data);
            }
        }
        out.resize(out.len().next_multiple_of(8), 0);
        let shoff = out.len() as u64;
        out.extend_from_slice(&[0u8; 64]);
        for (i, (_, sh_type, data, link, entsize)) in all.iter().enumerate() {
            self.put(&mut out, names[i], 4);
            self.put(&mut out, (*sh_type).into(), 4);
            self.put(&mut out, 0, 8); // flags
            self.put(&mut out, 0, 8); // addr
            self.put(&mut out, placed[i], 8);
            self.put(&mut out, data.len() as u64, 8);
            self.put(&mut out, *link, 4);
            self.put(&mut out, 0, 4); // info
            self.put(&mut out, 8, 8); // addralign
            self.put(&mut out, *entsize, 8);
        }

        let mut header = b"\x7fELF".to_vec();
        header.extend([2, if self.big_endian { 2 } else { 1 }, 1, 0]);
        header.resize(16, 0);
        self.put(&mut header, self.elf_type.into(), 2);
        self.put(&mut header, self.machine.into(), 2);
        self.put(&mut header, 1, 4); // e_version
        self.put(&mut header, 0, 8); // e_entry
        self.put(&mut header, 0, 8); // e_phoff
        self.put(&mut header, shoff, 8);
        self.put(&mut header, 0, 4); // e_flags
        self.put(&mut header, 64, 2); // e_ehsize
        self.put(&mut header, 0, 2); // e_phentsize
        self.put(&mut header, 0, 2); // e_phnum
        self.put(&mut header, 64, 2); // e_shentsize
        self.put(&mut header, all.len() as u64 + 1, 2);
        self.put(&mut header, all.len() as u64, 2); // e_shstrndx: the last
        out[..64].copy_from_slice(&header);
        out
    }

    /// Where section `index`'s header starts in `file` (as [`finish`](Self::finish) lays it
    /// out, little-endian), to edit its fields: `+ 24` is `sh_offset`, `+ 32` `sh_size`.
    pub(super) fn section_header(file: &[u8], index: u16) -> usize {
        let shoff = u64::from_le_bytes(file[40..48].try_into().unwrap());
        shoff as usize + 64 * usize::from(index)
    }
}
