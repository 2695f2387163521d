//! `Keys`: iteration by `BPF_MAP_GET_NEXT_KEY`, bounded so it ends when entries are deleted
//! meanwhile.

use super::MapRef;
use core::marker::PhantomData;

use super::batch::Buf;
use crate::error::Op;
use crate::pod::read_from;
use crate::rules::{Family, HostLimits, MapFlags};
use crate::sys;
use crate::{Error, Pod};

/// The keys of a hash-like map, in the kernel's order.
///
/// When the current key is deleted by someone else, a hash map's kernel code restarts from the
/// first key, so a map that changes during iteration may yield a key twice. The iterator stops
/// with [`Error::IterationAborted`] after more keys than the map can hold, so it always ends.
/// (Cgroup storage maps, which hold one entry per attached cgroup, end the walk at a deleted
/// key instead, and are not bounded.)
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 1024)]
/// struct Counts { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let mut ports: Vec<u32> = maps.get::<Counts>().keys().collect::<Result<_, _>>()?;
/// ports.sort();
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct Keys<'m, K> {
    map: MapRef<'m>,
    /// The last key read, and the next: the map's own key size each, whatever K is.
    keys: [Buf; 2],
    started: bool,
    visited: u64,
    bound: u64,
    done: bool,
    _key: PhantomData<fn() -> K>,
}

impl<'m, K: Pod> Keys<'m, K> {
    pub(crate) fn new(map: MapRef<'m>) -> Keys<'m, K> {
        let def = map.def();
        let mut bound = def.max_entries as u64;
        if def.flags.contains(MapFlags::NO_COMMON_LRU) {
            // The kernel rounds max_entries up to a multiple of the possible CPUs.
            bound += HostLimits::current().possible_cpus as u64;
        }
        if matches!(
            def.map_type.rules().map(|r| r.family),
            Some(Family::CgroupStorage | Family::PerCpuCgroupStorage)
        ) {
            // Storage maps have no capacity (max_entries 0) but one entry per attached cgroup,
            // and their next-key answers ENOENT for a deleted key instead of restarting, so
            // the walk ends without a bound.
            bound = u64::MAX;
        }
        let mut keys = [Buf::default(), Buf::default()];
        for key in &mut keys {
            key.ensure(def.key_size as usize);
        }
        Keys { map, keys, started: false, visited: 0, bound, done: false, _key: PhantomData }
    }
}

impl<K: Pod> Iterator for Keys<'_, K> {
    type Item = Result<K, Error>;

    fn next(&mut self) -> Option<Result<K, Error>> {
        if self.done {
            return None;
        }
        let [prev, next] = &mut self.keys;
        let prev = if self.started { prev.bytes().as_ptr() } else { core::ptr::null() };
        // SAFETY: both buffers hold the map's key size (`new`), which is what the kernel reads
        // from `prev` (null for the first key) and writes to `next`.
        match unsafe { sys::next_key(self.map.fd(), prev, next.ptr()) } {
            Ok(true) => {
                self.visited += 1;
                if self.visited > self.bound {
                    self.done = true;
                    return Some(Err(Error::IterationAborted {
                        map: self.map.label(),
                        visited: self.visited - 1,
                    }));
                }
                self.keys.swap(0, 1);
                self.started = true;
                let key = &self.keys[0].bytes()[..self.map.def().key_size as usize];
                match read_from(key) {
                    Some(key) => Some(Ok(key)),
                    None => {
                        self.done = true;
                        Some(Err(Error::Mismatch {
                            map: self.map.label(),
                            what: format!(
                                "keys of {} bytes read as `{}`",
                                key.len(),
                                core::any::type_name::<K>()
                            ),
                        }))
                    }
                }
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(errno) => {
                self.done = true;
                Some(Err(self.map.error(Op::NextKey, errno)))
            }
        }
    }
}
