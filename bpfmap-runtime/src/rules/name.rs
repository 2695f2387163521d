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

/// The kernel name `#[bpf_map]` gives a struct declared without `name = "..."`: its name in
/// snake_case (`FlowStats` → `flow_stats`, `HTTPRequests` → `http_requests`).
///
/// ```
/// assert_eq!(bpfmap::rules::default_map_name("Ipv4Routes"), "ipv4_routes");
/// ```
pub fn default_map_name(rust_name: &str) -> String {
    let chars: Vec<char> = rust_name.chars().collect();
    let mut out = String::with_capacity(rust_name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && chars[i - 1] != '_' && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod default_name_tests {
    use super::default_map_name;

    #[test]
    fn snake_case_names() {
        assert_eq!(default_map_name("Flows"), "flows");
        assert_eq!(default_map_name("FlowStats"), "flow_stats");
        assert_eq!(default_map_name("HTTPRequests"), "http_requests");
        assert_eq!(default_map_name("Ipv4Routes"), "ipv4_routes");
        assert_eq!(default_map_name("already_snake"), "already_snake");
        assert_eq!(default_map_name("A"), "a");
    }
}
