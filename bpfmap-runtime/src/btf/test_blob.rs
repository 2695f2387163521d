//! Hand-written blobs for tests: any record, valid or not, that the builder would never write.

/// A blob assembled record by record.
pub(crate) struct RawBtf {
    types: Vec<u8>,
    strings: Vec<u8>,
}

impl RawBtf {
    pub(crate) fn new() -> RawBtf {
        RawBtf { types: Vec::new(), strings: vec![0] }
    }

    /// Adds `s` to the string section; its offset.
    pub(crate) fn string(&mut self, s: &str) -> u32 {
        let offset = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        offset
    }

    /// An `INT` named `name` of `size` bytes with `encoding` (`BTF_INT_*`).
    pub(crate) fn int(mut self, name: &str, size: u32, encoding: u32) -> RawBtf {
        let name = self.string(name);
        self.raw_type(name, 1 << 24, size, &[(encoding << 24) | (size * 8)])
    }

    /// A `STRUCT` of `members` (name, type id, byte offset), not checked.
    pub(crate) fn strukt(mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> RawBtf {
        let name = self.string(name);
        let mut extra = Vec::new();
        for &(member, ty, offset) in members {
            extra.extend([self.string(member), ty, offset * 8]);
        }
        self.raw_type(name, 4 << 24 | members.len() as u32, size, &extra)
    }

    /// Any record: `struct btf_type` and the words that follow it.
    pub(crate) fn raw_type(mut self, name_off: u32, info: u32, size_or_type: u32, extra: &[u32]) -> RawBtf {
        for word in [name_off, info, size_or_type].iter().chain(extra) {
            self.types.extend_from_slice(&word.to_ne_bytes());
        }
        self
    }

    pub(crate) fn finish(&self) -> Vec<u8> {
        let (type_len, str_len) = (self.types.len() as u32, self.strings.len() as u32);
        let mut blob = 0xeb9f_u16.to_ne_bytes().to_vec();
        blob.extend([1, 0]);
        for field in [24, 0, type_len, type_len, str_len] {
            blob.extend_from_slice(&u32::to_ne_bytes(field));
        }
        blob.extend_from_slice(&self.types);
        blob.extend_from_slice(&self.strings);
        blob
    }
}
