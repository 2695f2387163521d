//! "Did you mean": the closest valid name to a misspelt one.

/// The candidate closest to `given`, if it is close enough to be what was meant.
pub(crate) fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = normalize(given);
    candidates
        .into_iter()
        .map(|c| (score(&given, c), c))
        .filter(|&(d, c)| d <= (c.len() / 3).max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Lowercase, without the uapi prefixes people paste from C (`BPF_MAP_TYPE_HASH`, `BPF_F_RDONLY`).
fn normalize(given: &str) -> String {
    let lower = given.trim().to_ascii_lowercase().replace('-', "_");
    for prefix in ["bpf_map_type_", "bpf_f_"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    lower
}

/// Edit distance, with a candidate that starts with or contains what was given counted as close
/// (`lru` → `lru_hash`, `percpu` → `percpu_hash`).
fn score(given: &str, candidate: &str) -> usize {
    let (g, c) = (given.replace('_', ""), candidate.replace('_', ""));
    if g.len() >= 3 && (c.starts_with(&g) || g.starts_with(&c)) {
        return 1;
    }
    levenshtein(given, candidate).min(levenshtein(&g, &c))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    const TYPES: [&str; 5] = ["hash", "lru_hash", "percpu_hash", "ringbuf", "array"];

    #[test]
    fn suggests_what_was_meant() {
        assert_eq!(closest("hsah", TYPES), Some("hash"));
        assert_eq!(closest("lru", TYPES), Some("lru_hash"));
        assert_eq!(closest("BPF_MAP_TYPE_RINGBUF", TYPES), Some("ringbuf"));
        assert_eq!(closest("ring_buffer", TYPES), Some("ringbuf"));
        assert_eq!(closest("arrays", TYPES), Some("array"));
        assert_eq!(closest("btree", TYPES), None);
    }
}
