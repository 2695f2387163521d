//! `Arena`: pages of memory shared by programs and user space.

use super::mmap::Mmap;
use crate::rules::Family;
use crate::{Error, HostLimits, Map};

/// An `arena` map: `max_entries` pages that programs allocate with `bpf_arena_alloc_pages` and
/// user space maps. Pages not allocated yet read as zero (or fault, with `segv_on_fault`).
pub struct Arena<'m> {
    map: &'m Map,
}

impl<'m> Arena<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: &'m Map) -> Result<Arena<'m>, Error> {
        super::check_family(map, &[Family::Arena], "Arena")?;
        Ok(Arena::new_unchecked(map))
    }

    pub(crate) fn new_unchecked(map: &'m Map) -> Arena<'m> {
        Arena { map }
    }

    /// Maps the arena's pages into this process (at `map_extra` if the definition fixed an
    /// address). A program's pointers into the arena are offsets within this mapping.
    pub fn mmap(&self) -> Result<ArenaMemory<'m>, Error> {
        let len = self.map.def().max_entries as usize * HostLimits::current().page_size as usize;
        let mmap = Mmap::new_at(self.map, len, 0, true, self.map.def().map_extra as usize)?;
        Ok(ArenaMemory { mmap, _map: core::marker::PhantomData })
    }
}

/// The arena's pages, mapped; unmapped on drop.
pub struct ArenaMemory<'m> {
    mmap: Mmap,
    _map: core::marker::PhantomData<&'m Map>,
}

impl ArenaMemory<'_> {
    /// The start of the mapping.
    pub fn as_ptr(&self) -> *mut u8 {
        self.mmap.ptr()
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.mmap.len()
    }

    /// Whether it is empty (never).
    pub fn is_empty(&self) -> bool {
        self.mmap.len() == 0
    }
}

super::common::handle_common!(Arena);
