//! `MmapArray`: the typed view of an `mmapable` array, read and written in place.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, AtomicU64};

use super::MapRef;
use crate::mapped::{self, Mmap, Protection, ReadOnly, Writable};
use crate::rules::{MapFlags, MapType};
use crate::{Error, HostLimits, Map, Pod};

/// What a view borrows (the map) and stands for (its value type and protection).
type Borrows<'m, V, P> = PhantomData<(&'m Map, fn() -> V, P)>;

/// The values of an `mmapable` array, read and written in place with no syscall.
///
/// Obtained from [`ArrayMap::mmap`](crate::ArrayMap::mmap) (read-write) or
/// [`ArrayMap::mmap_read_only`](crate::ArrayMap::mmap_read_only) (a [`ReadOnly`] view, for
/// frozen and `rdonly_prog` arrays); the mapping lives as long as the view. Element `i` sits
/// at `i * round_up(size_of::<V>(), 8)`.
///
/// **Concurrency.** Programs may write the same memory at any time, so the view never hands out
/// `&V`: [`get`](MmapArray::get) copies a value out and [`set`](MmapArray::set) copies one in,
/// each as relaxed atomic pieces (see [`mapped`](crate::mapped) for the memory model). Views
/// are `Send` and `Sync`, and several views of one array may coexist. A value wider than 8
/// bytes may be read half-updated (torn) if someone writes it meanwhile. For counters that
/// programs update with atomic instructions (`__sync_fetch_and_add`), use
/// [`atomic_u64`](MmapArray::atomic_u64) or [`atomic_u32`](MmapArray::atomic_u32).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "array", max_entries = 256, flags = "mmapable")]
/// struct Counters { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let view = maps.get::<Counters>().mmap()?;
/// view.set(3, 7);
/// assert_eq!(view.get(3), Some(7));
/// let hits = view.atomic_u64(3).unwrap();
/// hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
/// assert_eq!(view.get(3), Some(8));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct MmapArray<'m, V, P = Writable> {
    mmap: Mmap,
    len: u32,
    _map: Borrows<'m, V, P>,
}

impl<'m, V: Pod, P: Protection> MmapArray<'m, V, P> {
    const STRIDE: usize = size_of::<V>().next_multiple_of(8);

    /// Maps `map`, an `mmapable` array of `V`-sized values, as the kernel reports it.
    pub(crate) fn new(map: MapRef<'m>) -> Result<MmapArray<'m, V, P>, Error> {
        let mismatch = |what: String| Error::Mismatch { map: map.label(), what };
        // The mapping's length comes from the kernel's report, not from a definition.
        let info = map.info()?;
        if info.map_type != MapType::ARRAY || info.value_size as usize != size_of::<V>() {
            return Err(mismatch(format!(
                "an mmap view of `{}` needs an array of {}-byte values, and the kernel reports a {} of {}-byte values",
                core::any::type_name::<V>(),
                size_of::<V>(),
                info.map_type,
                info.value_size
            )));
        }
        if !info.flags.contains(MapFlags::MMAPABLE) {
            return Err(mismatch(
                "only an array created with `flags = \"mmapable\"` can be mapped".to_string(),
            ));
        }
        let page = HostLimits::current().page_size as usize;
        let bytes = (info.max_entries as usize)
            .checked_mul(Self::STRIDE)
            .and_then(|b| b.checked_next_multiple_of(page))
            .ok_or_else(|| {
                mismatch(format!("{} elements do not fit this address space", info.max_entries))
            })?;
        let mmap = Mmap::new(&map, bytes, 0, P::WRITABLE, 0)?;
        Ok(MmapArray { mmap, len: info.max_entries, _map: PhantomData })
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

    /// The address of element `index`, if it is one.
    #[inline]
    fn slot(&self, index: u32) -> Option<*mut u8> {
        // SAFETY: `index < len`, and the mapping holds `len` slots of STRIDE bytes (its length
        // was computed from the kernel's max_entries and rounded up), so the offset is in it.
        (index < self.len).then(|| unsafe { self.mmap.ptr().add(index as usize * Self::STRIDE) })
    }

    /// A copy of element `index`, or `None` past the end.
    #[inline]
    pub fn get(&self, index: u32) -> Option<V> {
        // SAFETY: the slot is in the mapping (`slot`), 8-aligned (page-aligned mapping, STRIDE a
        // multiple of 8), holds size_of::<V>() bytes, and the view only accesses it atomically.
        self.slot(index).map(|p| unsafe { mapped::load::<V>(p) })
    }

    /// Every element, copied out in index order.
    pub fn iter(&self) -> MmapIter<'_, V> {
        MmapIter { next: self.mmap.ptr(), left: self.len as usize, _view: PhantomData }
    }

    /// The start of the mapping, for code that needs raw access (which is then bound by the
    /// same memory model: see [`mapped`](crate::mapped)).
    pub fn as_ptr(&self) -> *const u8 {
        self.mmap.ptr()
    }

    /// The size of the mapping in bytes.
    pub fn mapped_len(&self) -> usize {
        self.mmap.len()
    }
}

impl<V: Pod> MmapArray<'_, V, Writable> {
    /// Writes element `index`; `false` past the end. Takes `&self`: the view is shared
    /// memory, and writes are atomic pieces like every other access.
    #[inline]
    pub fn set(&self, index: u32, value: V) -> bool {
        match self.slot(index) {
            // SAFETY: as in `get`; the mapping is writable (a `Writable` view is mapped with
            // PROT_WRITE or not made at all).
            Some(p) => {
                unsafe { mapped::store(p, &value) };
                true
            }
            None => false,
        }
    }

    /// Element `index` as an atomic, for 8-byte values that programs update atomically.
    /// `None` past the end or for values of another size.
    pub fn atomic_u64(&self, index: u32) -> Option<&AtomicU64> {
        if size_of::<V>() != 8 {
            return None;
        }
        // SAFETY: an 8-byte, 8-aligned slot of writable shared memory that lives as long as
        // `self`; the view's own copies of an 8-byte value are one 8-byte atomic access too,
        // so accesses never mix sizes.
        self.slot(index).map(|p| unsafe { AtomicU64::from_ptr(p.cast()) })
    }

    /// Element `index` as an atomic, for 4-byte values that programs update atomically.
    /// `None` past the end or for values of another size.
    pub fn atomic_u32(&self, index: u32) -> Option<&AtomicU32> {
        if size_of::<V>() != 4 {
            return None;
        }
        // SAFETY: a 4-byte slot at an 8-aligned address, as in `atomic_u64`.
        self.slot(index).map(|p| unsafe { AtomicU32::from_ptr(p.cast()) })
    }
}

impl<V, P> core::fmt::Debug for MmapArray<'_, V, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MmapArray").field("len", &self.len).field("mapped_len", &self.mmap.len()).finish()
    }
}

/// The elements of an [`MmapArray`], copied out one by one (no syscall).
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "array", max_entries = 64, flags = "mmapable")]
/// struct Slots { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let view = maps.get::<Slots>().mmap()?;
/// let busy = view.iter().filter(|&v| v != 0).count();
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct MmapIter<'a, V> {
    next: *mut u8,
    left: usize,
    _view: PhantomData<&'a [V]>,
}

impl<V: Pod> Iterator for MmapIter<'_, V> {
    type Item = V;

    #[inline]
    fn next(&mut self) -> Option<V> {
        if self.left == 0 {
            return None;
        }
        // SAFETY: `left` slots remain from `next` within the mapping that the borrowed view
        // keeps alive; the slot is 8-aligned and only accessed atomically, as in `get`.
        let value = unsafe { mapped::load::<V>(self.next) };
        self.left -= 1;
        // SAFETY: at most one past the last slot, within or one past the mapping.
        self.next = unsafe { self.next.add(MmapArray::<V>::STRIDE) };
        Some(value)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V: Pod> ExactSizeIterator for MmapIter<'_, V> {}

/// A read-only view: [`MmapArray`] with [`ReadOnly`], mapped without `PROT_WRITE` (the only
/// view a frozen or `rdonly_prog` array allows).
///
/// ```no_run
/// use bpfmap::{bpf_map, MmapArrayReadOnly};
///
/// #[bpf_map(type = "array", max_entries = 64, flags = "mmapable")]
/// struct Config { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let config = maps.get::<Config>();
/// config.freeze()?;                                   // no more writes from user space
/// let view: MmapArrayReadOnly<'_, u64> = config.mmap_read_only()?;
/// println!("{:?}", view.get(0));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub type MmapArrayReadOnly<'m, V> = MmapArray<'m, V, ReadOnly>;
