//! The number of possible CPUs: how many values a per-CPU map holds for each key; and the
//! online CPUs, on each of which a perf buffer reader opens a perf event.

use std::sync::OnceLock;

use crate::Error;

/// Where the kernel lists the CPUs it may ever bring online.
const POSSIBLE: &str = "/sys/devices/system/cpu/possible";
/// Where the kernel lists the CPUs online now.
const ONLINE: &str = "/sys/devices/system/cpu/online";

/// The number of possible CPUs (not online ones): a per-CPU map copies one value per possible
/// CPU, each `round_up(value_size, 8)` bytes, in every lookup and update. Read once from
/// `/sys/devices/system/cpu/possible`; the first successful read is kept.
///
/// ```no_run
/// let cpus = bpfmap::possible_cpus()?;
/// println!("per-CPU maps hold {cpus} values per key");
/// # Ok::<(), bpfmap::Error>(())
/// ```
///
/// # Errors
/// [`Error::PossibleCpus`] when the list cannot be read or parsed (a container that hides
/// `/sys/devices/system/cpu`): the count is never guessed, since a buffer sized for too few
/// CPUs is one the kernel writes past.
pub fn possible_cpus() -> Result<usize, Error> {
    static CPUS: OnceLock<usize> = OnceLock::new();
    if let Some(&cpus) = CPUS.get() {
        return Ok(cpus);
    }
    let list = std::fs::read_to_string(POSSIBLE)
        .map_err(|e| Error::PossibleCpus { problem: format!("{POSSIBLE} cannot be read ({e})") })?;
    match crate::rules::host::cpu_list_len(&list) {
        Some(cpus) if cpus > 0 => Ok(*CPUS.get_or_init(|| cpus as usize)),
        _ => Err(Error::PossibleCpus {
            problem: format!("{POSSIBLE} holds {:?}, which is not a CPU list", list.trim()),
        }),
    }
}

/// The CPUs online now, ascending, read from `/sys/devices/system/cpu/online` at every call
/// (CPUs come and go).
///
/// # Errors
/// [`Error::OnlineCpus`] when the list cannot be read or parsed.
pub(crate) fn online_cpus() -> Result<Vec<u32>, Error> {
    let list = std::fs::read_to_string(ONLINE)
        .map_err(|e| Error::OnlineCpus { problem: format!("{ONLINE} cannot be read ({e})") })?;
    expand(&list).ok_or_else(|| Error::OnlineCpus {
        problem: format!("{ONLINE} holds {:?}, which is not a CPU list", list.trim()),
    })
}

/// Every CPU of a kernel CPU list (`0,2-3` is 0, 2, 3), ascending; `None` for a list that is
/// not one, or is empty.
fn expand(list: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for (lo, hi) in crate::rules::host::cpu_list(list)? {
        if hi < lo || hi - lo >= 1 << 16 {
            return None;
        }
        cpus.extend(lo..=hi);
    }
    cpus.sort_unstable();
    cpus.dedup();
    (!cpus.is_empty()).then_some(cpus)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn cpu_lists_expand() {
        assert_eq!(expand("0-1\n"), Some(vec![0, 1]));
        assert_eq!(expand("0,2-3"), Some(vec![0, 2, 3]));
        assert_eq!(expand("5"), Some(vec![5]));
        assert_eq!(expand("3-1"), None);
        assert_eq!(expand(""), None);
        assert_eq!(expand("x"), None);
    }
}
