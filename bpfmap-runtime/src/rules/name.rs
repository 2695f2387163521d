//! `MapName`: the name the kernel keeps for a map (`map_name[16]`).

use core::fmt;

/// A map's name, as given: at most 16 bytes are stored, the full length is remembered, and
/// [`MapDef::validate`](crate::MapDef::validate) enforces the kernel's rule (at most 15 bytes
/// of `[A-Za-z0-9_.]`).
///
/// ```
/// use bpfmap::MapName;
/// const FLOWS: MapName = MapName::new("flows");
/// assert_eq!(FLOWS.as_str(), "flows");
/// assert!(MapName::new("a_name_that_is_too_long").is_truncated());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapName {
    bytes: [u8; 16],
    len: usize,
}

impl MapName {
    /// No name.
    pub const EMPTY: MapName = MapName { bytes: [0; 16], len: 0 };

    /// The name `name`; bytes past the 16th are dropped, but counted.
    pub const fn new(name: &str) -> MapName {
        MapName::from_bytes(name.as_bytes())
    }

    /// The name made of `name`'s bytes, which need not be UTF-8 (as a name read back from the
    /// kernel or built from raw input).
    pub const fn from_bytes(name: &[u8]) -> MapName {
        let mut bytes = [0u8; 16];
        let mut i = 0;
        while i < name.len() && i < 16 {
            bytes[i] = name[i];
            i += 1;
        }
        MapName { bytes, len: name.len() }
    }

    /// The bytes kept (at most 16).
    pub const fn as_bytes(&self) -> &[u8] {
        let kept = if self.len < 16 { self.len } else { 16 };
        self.bytes.split_at(kept).0
    }

    /// The name as text; a name that is not UTF-8 (possible only from raw bytes) gives `""`.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The length as given, including bytes that were not kept.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the name is empty (the kernel allows that).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether bytes past the 16th were dropped.
    pub const fn is_truncated(&self) -> bool {
        self.len > 16
    }

    /// The bytes for `map_name` in the attribute: the name and a terminating NUL. Valid only
    /// for a name that passed validation (at most 15 bytes).
    pub(crate) const fn to_kernel(self) -> [u8; 16] {
        self.bytes
    }
}

impl Default for MapName {
    fn default() -> MapName {
        MapName::EMPTY
    }
}

impl fmt::Display for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))?;
        if self.is_truncated() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}
