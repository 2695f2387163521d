//! `StackTraceMap`: the stack traces programs collect with `bpf_get_stackid`.

use super::Keys;
use super::MapRef;
use crate::Error;
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::rules::MapFlags;
use crate::sys;

/// A `stack_trace` map: stack traces by the id `bpf_get_stackid` returned.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "stack_trace", max_entries = 1024)]
/// struct Stacks { key: u32, value: [u64; 127] }   // up to 127 frames (perf_event_max_stack)
///
/// let maps = bpfmap::load()?;
/// let stacks = maps.get::<Stacks>();
/// for id in stacks.ids() {
///     let id = id?;
///     if let Some(frames) = stacks.get(id)? {
///         println!("stack {id}: {frames:#x?}");    // instruction pointers, innermost first
///     }
/// }
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct StackTraceMap<'m> {
    map: MapRef<'m>,
}

impl<'m> StackTraceMap<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<StackTraceMap<'m>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_key::<u32>(&map, &[Family::StackTrace], "StackTraceMap", super::Size::Any)?;
        Ok(StackTraceMap { map })
    }

    /// The instruction pointers of stack `id`, innermost first, without the unused trailing
    /// slots; `None` if there is no such stack. (For maps with `stack_build_id`, use
    /// [`get_raw`](Self::get_raw): frames are 32-byte build-id records.)
    pub fn get(&self, id: u32) -> Result<Option<Vec<u64>>, Error> {
        if self.map.def().flags.contains(MapFlags::STACK_BUILD_ID) {
            return Err(Error::Mismatch {
                map: self.map.label(),
                what: "frames of a `stack_build_id` map are build ids, not addresses: use get_raw"
                    .to_string(),
            });
        }
        Ok(self.get_raw(id)?.map(|bytes| {
            let mut ips: Vec<u64> =
                bytes.chunks_exact(8).map(|c| u64::from_ne_bytes(c.try_into().expect("8 bytes"))).collect();
            while ips.last() == Some(&0) {
                ips.pop();
            }
            ips
        }))
    }

    /// The raw value of stack `id`: `value_size` bytes.
    pub fn get_raw(&self, id: u32) -> Result<Option<Vec<u8>>, Error> {
        let mut value = vec![0u8; self.map.def().value_size as usize];
        // SAFETY: the key is a u32, the map's key size (`check_key::<u32>` in
        // `StackTraceMap::new`), and `value` was allocated with the map's value size.
        let found = unsafe { sys::lookup(self.map.fd(), bytes_of(&id).as_ptr(), value.as_mut_ptr(), 0) }
            .map_err(|errno| self.map.error(Op::Lookup, errno))?;
        Ok(found.then_some(value))
    }

    /// Forgets stack `id`; `false` if there was none.
    pub fn remove(&self, id: u32) -> Result<bool, Error> {
        // SAFETY: the key is a u32, the map's key size (as in `get_raw`).
        unsafe { sys::delete(self.map.fd(), bytes_of(&id).as_ptr()) }
            .map_err(|errno| self.map.error(Op::Delete, errno))
    }

    /// The ids of the stored stacks.
    pub fn ids(&self) -> Keys<'m, u32> {
        Keys::new(self.map.clone())
    }
}

super::common::handle_common!(StackTraceMap);
