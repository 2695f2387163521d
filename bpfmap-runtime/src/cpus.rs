//! The number of possible CPUs: how many values a per-CPU map holds for each key.

use std::sync::OnceLock;

use crate::Error;

/// Where the kernel lists the CPUs it may ever bring online.
const POSSIBLE: &str = "/sys/devices/system/cpu/possible";

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
