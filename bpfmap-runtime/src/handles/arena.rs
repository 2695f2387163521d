//! `Arena`: pages of memory shared by programs and user space.

use super::MapRef;
use crate::mapped::{self, Mmap};
use crate::rules::{Family, MapFlags};
use crate::{Error, HostLimits, Pod};

/// An `arena` map: `max_entries` pages that programs allocate with `bpf_arena_alloc_pages` and
/// user space maps. Pages not allocated yet read as zero (or fault, with `segv_on_fault`).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "arena", max_entries = 16, flags = "mmapable")]
/// struct Heap;
///
/// let maps = bpfmap::load()?;
/// let heap = maps.get::<Heap>().mmap()?;
/// heap.write(64, &0xfeed_u64)?;
/// assert_eq!(heap.read::<u64>(64)?, 0xfeed);
/// assert!(heap.read::<u64>(heap.len()).is_err()); // past the end
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct Arena<'m> {
    map: MapRef<'m>,
}

impl<'m> Arena<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<Arena<'m>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_shape::<(), ()>(&map, &[Family::Arena], "Arena")?;
        Ok(Arena { map })
    }

    /// Maps the arena's pages into this process (at `map_extra` if the definition fixed an
    /// address). A program's pointers into the arena are offsets within this mapping.
    pub fn mmap(&self) -> Result<ArenaMemory<'m>, Error> {
        // The size and address come from the kernel's report of the map.
        let info = self.map.info()?;
        let len = (info.max_entries as usize)
            .checked_mul(HostLimits::current().page_size as usize)
            .ok_or_else(|| Error::Mismatch {
                map: self.map.label(),
                what: format!("{} pages do not fit this address space", info.max_entries),
            })?;
        let at = usize::try_from(info.map_extra).unwrap_or(usize::MAX);
        let mmap = Mmap::new(&self.map, len, 0, true, at)?;
        let faults = info.flags.contains(MapFlags::SEGV_ON_FAULT);
        Ok(ArenaMemory { map: self.map.clone(), mmap, faults })
    }
}

/// The arena's pages, mapped; unmapped on drop.
///
/// Programs read and write these pages at any time and at any offset, so [`read`](Self::read)
/// and [`write`](Self::write) copy byte by byte with relaxed atomics (see
/// [`mapped`](crate::mapped)): never torn below a byte, never a data race, at any offset. A
/// value wider than a byte may be read half-updated if a program writes it meanwhile.
///
/// A page that no program allocated is a zero page the kernel provides on first touch. In an
/// arena created with `segv_on_fault` it is a `SIGSEGV` instead, so there `read` and `write`
/// refuse: only the program knows which pages it allocated. (Where the kernel cannot allocate
/// that zero page, the touch is a `SIGSEGV` too, as any memory access is without memory.)
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "arena", max_entries = 16, flags = "mmapable")]   // 16 pages
/// struct Heap;
///
/// let maps = bpfmap::load()?;
/// let heap = maps.get::<Heap>().mmap()?;
/// heap.write(0, &42u64)?;                   // a program sees it at the arena's offset 0
/// assert_eq!(heap.read::<u64>(0)?, 42);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct ArenaMemory<'m> {
    map: MapRef<'m>,
    mmap: Mmap,
    /// `segv_on_fault`: touching a page that no program allocated kills the process.
    faults: bool,
}

impl ArenaMemory<'_> {
    /// A copy of the `T` at byte `offset`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] if it does not lie within the arena, or the arena has
    /// `segv_on_fault`.
    pub fn read<T: Pod>(&self, offset: usize) -> Result<T, Error> {
        let src = self.range(offset, size_of::<T>())?;
        let mut out = core::mem::MaybeUninit::<T>::uninit();
        // SAFETY: `src` holds size_of::<T>() bytes of the mapping (`range`), which this handle
        // only accesses atomically; `out` has room for them; `T: Pod` accepts any bytes.
        unsafe {
            mapped::load_bytes(out.as_mut_ptr().cast(), src, size_of::<T>());
            Ok(out.assume_init())
        }
    }

    /// Writes `value` at byte `offset`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn write<T: Pod>(&self, offset: usize, value: &T) -> Result<(), Error> {
        let dst = self.range(offset, size_of::<T>())?;
        // SAFETY: `dst` holds size_of::<T>() bytes of the writable mapping (`range`); `value`'s
        // bytes are all initialized (`T: Pod` has no padding).
        unsafe { mapped::store_bytes(dst, (value as *const T).cast(), size_of::<T>()) };
        Ok(())
    }

    /// The address of `len` bytes at `offset`, if they lie within the mapping and touching
    /// them cannot fault.
    fn range(&self, offset: usize, len: usize) -> Result<*mut u8, Error> {
        let mismatch = |what: String| Error::Mismatch { map: self.map.label(), what };
        if self.faults {
            return Err(mismatch(
                "the arena has `segv_on_fault`: a page no program allocated would kill the process, so only \
                 raw access (`as_ptr`) is offered"
                    .to_string(),
            ));
        }
        match offset.checked_add(len) {
            // SAFETY: `offset + len <= mapping length`, so the offset is within it.
            Some(end) if end <= self.mmap.len() => Ok(unsafe { self.mmap.ptr().add(offset) }),
            _ => Err(mismatch(format!(
                "{len} bytes at {offset} are past the arena's {} bytes",
                self.mmap.len()
            ))),
        }
    }

    /// The start of the mapping, for code that needs raw access (bound by the same memory
    /// model: no references to bytes a program may write).
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

impl core::fmt::Debug for ArenaMemory<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ArenaMemory").field("ptr", &self.mmap.ptr()).field("len", &self.mmap.len()).finish()
    }
}

super::common::handle_common!(Arena);
