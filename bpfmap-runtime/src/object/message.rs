//! A text built in `const` context: the compile-time checks of `check_object!` say what differs
//! with numbers and names in it, where a `const` panic takes only a `&str`. The run-time check
//! writes its field values with the same functions, so both say the same words.

use crate::rules::{MapFlags, MapType};

/// Bytes of text a [`Message`] holds; what does not fit ends in `…`.
const CAPACITY: usize = 4096;
const ELLIPSIS: &str = "…";

/// A text of at most 4 KiB, written in `const fn`s.
pub struct Message {
    buf: [u8; CAPACITY],
    len: usize,
    /// Whether something did not fit (then the text ends in `…`).
    cut: bool,
}

impl Message {
    /// An empty text.
    pub const fn new() -> Message {
        Message { buf: [0; CAPACITY], len: 0, cut: false }
    }

    /// Appends `s`; what does not fit is cut at a character boundary.
    pub const fn str(&mut self, s: &str) {
        if self.cut {
            return;
        }
        let bytes = s.as_bytes();
        // Room for the ellipsis stays free until the text is cut.
        let room = CAPACITY - ELLIPSIS.len() - self.len;
        if bytes.len() <= room {
            self.copy(bytes, bytes.len());
            return;
        }
        let mut end = room;
        // Back to a character boundary: UTF-8 continuation bytes are 0b10xx_xxxx.
        while end > 0 && (bytes[end] & 0xc0) == 0x80 {
            end -= 1;
        }
        self.copy(bytes, end);
        self.copy(ELLIPSIS.as_bytes(), ELLIPSIS.len());
        self.cut = true;
    }

    const fn copy(&mut self, bytes: &[u8], n: usize) {
        let mut i = 0;
        while i < n {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
    }

    /// Appends `n` in decimal.
    pub const fn num(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let (_, tail) = digits.split_at(i);
        if let Ok(s) = core::str::from_utf8(tail) {
            self.str(s)
        }
    }

    /// Appends `n` in hexadecimal, `0x` first.
    const fn hex(&mut self, n: u32) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 10];
        out[0] = b'0';
        out[1] = b'x';
        let mut len = 2;
        let mut shift = 32;
        let mut started = false;
        while shift > 0 {
            shift -= 4;
            let d = ((n >> shift) & 0xf) as usize;
            if d != 0 || started || shift == 0 {
                out[len] = DIGITS[d];
                len += 1;
                started = true;
            }
        }
        let (head, _) = out.split_at(len);
        if let Ok(s) = core::str::from_utf8(head) {
            self.str(s)
        }
    }

    /// Appends a map type's attribute name (`lru_hash`), or `type 99` for a number no kernel
    /// has.
    pub const fn map_type(&mut self, raw: u32) {
        match MapType::from_raw(raw).name() {
            Some(name) => self.str(name),
            None => {
                self.str("type ");
                self.num(raw as u64);
            }
        }
    }

    /// Appends flags by their attribute names (`no_prealloc|rdonly_prog`), unknown bits in hex,
    /// or `none`.
    pub const fn flags(&mut self, bits: u32) {
        if bits == 0 {
            self.str("none");
            return;
        }
        let mut rest = MapFlags::from_bits_retain(bits);
        let mut first = true;
        while !rest.is_empty() {
            let flag = rest.lowest();
            rest = rest.difference(flag);
            if !first {
                self.str("|");
            }
            first = false;
            match flag.name() {
                Some(name) => self.str(name),
                None => self.hex(flag.bits()),
            }
        }
    }

    /// The text.
    pub const fn as_str(&self) -> &str {
        let (head, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(head) {
            Ok(s) => s,
            // Only whole characters are ever copied (`str` cuts at a boundary).
            Err(_) => "",
        }
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_flags_read_as_the_runtime_writes_them() {
        let mut m = Message::new();
        m.num(0);
        m.str(" ");
        m.num(u64::MAX);
        m.str(" ");
        m.map_type(MapType::LRU_HASH.raw());
        m.str(" ");
        m.map_type(99);
        m.str(" ");
        m.flags(MapFlags::NO_PREALLOC.union(MapFlags::RDONLY_PROG).bits());
        m.str(" ");
        m.flags(1 << 30);
        m.str(" ");
        m.flags(0);
        assert_eq!(
            m.as_str(),
            "0 18446744073709551615 lru_hash type 99 no_prealloc|rdonly_prog 0x40000000 none"
        );
        let both = MapFlags::NO_PREALLOC.union(MapFlags::RDONLY_PROG);
        assert_eq!(both.to_string(), "no_prealloc|rdonly_prog", "the same words as Display");
    }

    #[test]
    fn a_text_too_long_is_cut_at_a_character_with_an_ellipsis() {
        let mut m = Message::new();
        for _ in 0..CAPACITY {
            m.str("é");
        }
        m.str("never written");
        let text = m.as_str();
        assert!(text.ends_with('…'), "{}", &text[text.len() - 10..]);
        assert!(text.len() <= CAPACITY);
        assert!(!text.contains("never"));
    }

    #[test]
    fn it_works_in_const_context() {
        const TEXT: Message = {
            let mut m = Message::new();
            m.str("value_size: declared ");
            m.num(4);
            m.str(", object ");
            m.num(8);
            m
        };
        assert_eq!(TEXT.as_str(), "value_size: declared 4, object 8");
    }
}
