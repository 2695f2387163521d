//! `Mmap`: a map's memory mapped into the process, and `MmapArray`, the typed view of an
//! `mmapable` array.

use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64};

use crate::error::Op;
use crate::{Errno, Error, Map, Pod};

/// A shared mapping of a map's fd, unmapped on drop.
pub(crate) struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; access rules are the owners' (see MmapArray).
unsafe impl Send for Mmap {}
// SAFETY: as above.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Maps `len` bytes of `map` at `offset`.
    pub(crate) fn new(map: &Map, len: usize, offset: usize, writable: bool) -> Result<Mmap, Error> {
        Mmap::new_at(map, len, offset, writable, 0)
    }

    /// Maps `len` bytes of `map` at `offset`, at the address `at` if it is not 0.
    pub(crate) fn new_at(
        map: &Map,
        len: usize,
        offset: usize,
        writable: bool,
        at: usize,
    ) -> Result<Mmap, Error> {
        let prot = if writable { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ };
        let flags = if at != 0 { libc::MAP_SHARED | libc::MAP_FIXED_NOREPLACE } else { libc::MAP_SHARED };
        // SAFETY: a fresh shared mapping of a map fd; the kernel checks sizes and permissions;
        // MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let ptr = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                len,
                prot,
                flags,
                std::os::fd::AsRawFd::as_raw_fd(&map.fd()),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(map.error(Op::Mmap, Errno::last()));
        }
        Ok(Mmap { ptr: NonNull::new(ptr as *mut u8).expect("mmap never returns null on success"), len })
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length and is unmapped once.
        unsafe { libc::munmap(self.ptr.as_ptr() as *mut libc::c_void, self.len) };
    }
}

/// The values of an `mmapable` array, read and written in place with no syscall.
///
/// Obtained from [`ArrayMap::mmap`](crate::ArrayMap::mmap); the mapping lives as long as the
/// view. Element `i` sits at `i * round_up(size_of::<V>(), 8)`.
///
/// **Concurrency.** Programs may write the same memory at any time, so the view never hands out
/// `&V`: [`get`](MmapArray::get) copies a value out with a volatile read and
/// [`set`](MmapArray::set) writes one with a volatile write. A value wider than 8 bytes may be
/// read half-updated (torn) if a program writes it meanwhile. For counters that programs update
/// with atomic instructions (`__sync_fetch_and_add`), use [`atomic_u64`](MmapArray::atomic_u64)
/// or [`atomic_u32`](MmapArray::atomic_u32).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "array", max_entries = 256, flags = "mmapable")]
/// struct Counters { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let mut view = maps.get::<Counters>().mmap()?;
/// view.set(3, 7);
/// assert_eq!(view.get(3), Some(7));
/// let hits = view.atomic_u64(3).unwrap();
/// hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
/// assert_eq!(view.get(3), Some(8));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct MmapArray<'m, V> {
    mmap: Mmap,
    len: u32,
    _map: PhantomData<(&'m Map, V)>,
}

impl<'m, V: Pod> MmapArray<'m, V> {
    const STRIDE: usize = size_of::<V>().next_multiple_of(8);

    pub(crate) fn new(map: &'m Map) -> Result<MmapArray<'m, V>, Error> {
        let len = map.def().max_entries;
        let page = crate::HostLimits::current().page_size as usize;
        let bytes = (len as usize * Self::STRIDE).next_multiple_of(page);
        let mmap = Mmap::new(map, bytes, 0, true)?;
        Ok(MmapArray { mmap, len, _map: PhantomData })
    }

    /// The number of elements: `max_entries`.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether there are none (never).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn slot(&self, index: u32) -> Option<*mut V> {
        // SAFETY: in bounds of the mapping, which holds `len` slots of STRIDE bytes; slots are
        // 8-byte aligned, enough for any Pod up to u64 (larger alignments are read unaligned).
        (index < self.len).then(|| unsafe { self.mmap.ptr().add(index as usize * Self::STRIDE) as *mut V })
    }

    /// A copy of element `index`, or `None` past the end.
    #[inline]
    pub fn get(&self, index: u32) -> Option<V> {
        // SAFETY: the slot is in bounds and holds initialized bytes (the kernel zeroes arrays);
        // volatile because programs may write it concurrently.
        self.slot(index).map(|p| unsafe {
            if align_of::<V>() <= 8 { p.read_volatile() } else { read_volatile_unaligned(p) }
        })
    }

    /// Writes element `index`; `false` past the end.
    #[inline]
    pub fn set(&mut self, index: u32, value: V) -> bool {
        match self.slot(index) {
            Some(p) => {
                // SAFETY: in bounds and writable (mapped read-write); volatile as in `get`.
                unsafe {
                    if align_of::<V>() <= 8 {
                        p.write_volatile(value)
                    } else {
                        core::ptr::write_unaligned(p, value)
                    }
                }
                true
            }
            None => false,
        }
    }

    /// Every element, copied out in index order (one volatile read each, no bounds checks).
    pub fn iter(&self) -> MmapIter<'_, V> {
        MmapIter { next: self.mmap.ptr(), left: self.len as usize, _view: PhantomData }
    }

    /// Element `index` as an atomic, for 8-byte values that programs update atomically.
    pub fn atomic_u64(&self, index: u32) -> Option<&AtomicU64> {
        if size_of::<V>() != 8 {
            return None;
        }
        // SAFETY: an 8-byte, 8-aligned slot of shared memory that lives as long as `self`;
        // AtomicU64 has u64's layout, and every access through it is atomic.
        self.slot(index).map(|p| unsafe { AtomicU64::from_ptr(p as *mut u64) })
    }

    /// Element `index` as an atomic, for 4-byte values that programs update atomically.
    pub fn atomic_u32(&self, index: u32) -> Option<&AtomicU32> {
        if size_of::<V>() != 4 {
            return None;
        }
        // SAFETY: a 4-byte slot at an 8-aligned address, as above.
        self.slot(index).map(|p| unsafe { AtomicU32::from_ptr(p as *mut u32) })
    }

    /// The start of the mapping, for code that needs raw access.
    pub fn as_ptr(&self) -> *mut u8 {
        self.mmap.ptr()
    }

    /// The size of the mapping in bytes.
    pub fn mapped_len(&self) -> usize {
        self.mmap.len()
    }
}

/// The elements of an [`MmapArray`], copied out one by one.
pub struct MmapIter<'a, V> {
    next: *mut u8,
    left: usize,
    _view: PhantomData<&'a MmapArray<'a, V>>,
}

impl<V: Pod> Iterator for MmapIter<'_, V> {
    type Item = V;

    #[inline]
    fn next(&mut self) -> Option<V> {
        if self.left == 0 {
            return None;
        }
        let p = self.next as *const V;
        // SAFETY: `left` slots remain from `next` within the mapping the borrowed view keeps
        // alive; volatile as in `MmapArray::get`.
        let value =
            unsafe { if align_of::<V>() <= 8 { p.read_volatile() } else { read_volatile_unaligned(p) } };
        // SAFETY: at most one past the last slot.
        self.next = unsafe { self.next.add(MmapArray::<V>::STRIDE) };
        self.left -= 1;
        Some(value)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V: Pod> ExactSizeIterator for MmapIter<'_, V> {}

/// A volatile read of a value whose alignment the slot may not meet.
///
/// # Safety
/// `p` is valid for reads of `size_of::<V>()` bytes.
unsafe fn read_volatile_unaligned<V: Pod>(p: *const V) -> V {
    let mut out = core::mem::MaybeUninit::<V>::uninit();
    let src = p as *const u8;
    let dst = out.as_mut_ptr() as *mut u8;
    for i in 0..size_of::<V>() {
        // SAFETY: both in bounds per the contract and `out`'s size.
        unsafe { dst.add(i).write(src.add(i).read_volatile()) };
    }
    // SAFETY: every byte was written; any bytes are a valid V.
    unsafe { out.assume_init() }
}
