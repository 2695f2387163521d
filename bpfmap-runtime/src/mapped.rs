//! Memory shared with the kernel and BPF programs: `mmapable` arrays, ring buffers and arenas.
//!
//! # The memory model
//!
//! A mapped map is memory that others write while this process reads it: BPF programs on any
//! CPU, the kernel, other processes that map the same map, and other views in this process.
//! Rust's rules for such memory are the rules for data shared between threads, so bpfmap keeps
//! to these, everywhere:
//!
//! 1. **No Rust reference to memory another writer may change at the same time.** No `&V`,
//!    `&mut V` or `&[u8]` is ever made to an element of an array or arena that a program may
//!    write. Elements are copied in and out.
//! 2. **Every copy is atomic, word by word.** An element is read and written as a sequence of
//!    relaxed atomic loads or stores of naturally aligned 8-, 4-, 2- and 1-byte pieces, the
//!    same pieces for the same element every time ([`MmapArray::atomic_u64`] hands out the
//!    one 8-byte piece of an 8-byte element). Two threads of this process that use one view
//!    therefore never race in Rust's sense; a value wider than 8 bytes may still be read
//!    *torn* (half old, half new) if someone writes it meanwhile, which is a property of the
//!    data, not undefined behaviour. For memory programs update with atomic instructions
//!    (`__sync_fetch_and_add`), use the atomics.
//! 3. **A slice only where the protocol proves the bytes are ours.** A ring buffer record
//!    that the kernel committed is not written again until the consumer position passes it,
//!    and only the one consumer of this process moves that position
//!    ([`RingBuf::consumer`](crate::RingBuf::consumer) refuses a second one): the record is
//!    lent as `&[u8]` until the next record is asked for. Overwrite-mode rings
//!    (`rb_overwrite`), where the kernel reuses space the consumer has not released, get no
//!    consumer. A perf buffer's sample is lent the same way, until its reader writes
//!    `data_tail` past it; the reader owns its perf events' fds, so nobody else moves it.
//! 4. **Every length or offset read from mapped memory is checked against the mapping**
//!    before it becomes a pointer: a ring record's length against the ring and the producer
//!    position, the positions against each other; a perf record's size and its sample's raw
//!    size against `data_head` and the ring. Sizes of mappings come from the kernel's
//!    own report of the map (`BPF_OBJ_GET_INFO_BY_FD`), not from a declaration.
//! 5. **Read-only where the kernel says so.** A frozen array, or one that programs may only
//!    read (`rdonly_prog`), is mapped without `PROT_WRITE`, as a [`ReadOnly`] view with no way
//!    to write.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::error::Op;
use crate::{Errno, Error, Map, Pod};

pub use crate::handles::{MmapArray, MmapIter};

/// A view that can write ([`ArrayMap::mmap`](crate::ArrayMap::mmap)).
///
/// ```no_run
/// use bpfmap::{bpf_map, MmapArray};
/// use bpfmap::mapped::Writable;
///
/// #[bpf_map(type = "array", max_entries = 8, flags = "mmapable")]
/// struct Knobs { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let knobs: MmapArray<'_, u64, Writable> = maps.get::<Knobs>().mmap()?;
/// knobs.set(0, 1);                        // programs see it at once, no syscall
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Debug)]
pub enum Writable {}

/// A view that can only read ([`ArrayMap::mmap_read_only`](crate::ArrayMap::mmap_read_only)):
/// mapped without `PROT_WRITE`, for frozen and `rdonly_prog` arrays.
///
/// ```no_run
/// use bpfmap::{bpf_map, MmapArray};
/// use bpfmap::mapped::ReadOnly;
///
/// #[bpf_map(type = "array", max_entries = 8, flags = "mmapable")]
/// struct Stats { key: u32, value: u64 }
///
/// let maps = bpfmap::load()?;
/// let stats: MmapArray<'_, u64, ReadOnly> = maps.get::<Stats>().mmap_read_only()?;
/// println!("{:?}", stats.get(0));
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Debug)]
pub enum ReadOnly {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Writable {}
    impl Sealed for super::ReadOnly {}
}

/// [`Writable`] or [`ReadOnly`]: how a view is mapped.
///
/// ```
/// use bpfmap::mapped::{Protection, ReadOnly, Writable};
///
/// fn describe<P: Protection>() -> &'static str {
///     if P::WRITABLE { "read-write" } else { "read-only" }
/// }
/// assert_eq!((describe::<Writable>(), describe::<ReadOnly>()), ("read-write", "read-only"));
/// ```
pub trait Protection: sealed::Sealed + 'static {
    /// Whether the mapping has `PROT_WRITE`.
    const WRITABLE: bool;
}

impl Protection for Writable {
    const WRITABLE: bool = true;
}

impl Protection for ReadOnly {
    const WRITABLE: bool = false;
}

/// A shared mapping of a map's fd, unmapped on drop.
pub(crate) struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is shared memory, owned by this value until drop; every access to it
// goes through the copies below (or the ring protocol), which are sound from any thread.
unsafe impl Send for Mmap {}
// SAFETY: as above.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Maps `len` bytes of `map` at `offset`, read-write or read-only, at the address `at` if
    /// it is not 0 (never replacing a mapping there).
    pub(crate) fn new(
        map: &Map,
        len: usize,
        offset: usize,
        writable: bool,
        at: usize,
    ) -> Result<Mmap, Error> {
        let prot = if writable { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ };
        let flags = if at != 0 { libc::MAP_SHARED | libc::MAP_FIXED_NOREPLACE } else { libc::MAP_SHARED };
        let offset = libc::off_t::try_from(offset).map_err(|_| map.error(Op::Mmap, Errno::EINVAL))?;
        // SAFETY: a new shared mapping of a map fd creates memory and touches none of ours;
        // the kernel checks the length, offset and protection against the map, and
        // MAP_FIXED_NOREPLACE fails rather than replace an existing mapping.
        let ptr = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                len,
                prot,
                flags,
                std::os::fd::AsRawFd::as_raw_fd(&map.fd()),
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(map.error(Op::Mmap, Errno::last()));
        }
        match NonNull::new(ptr.cast::<u8>()) {
            Some(ptr) => Ok(Mmap { ptr, len }),
            // Only with MAP_FIXED at address 0, which is never asked for.
            None => Err(map.error(Op::Mmap, Errno::EINVAL)),
        }
    }

    /// Maps the first `len` bytes of `fd` (not a map: a perf event's ring), shared and
    /// read-write.
    pub(crate) fn of_fd(fd: std::os::fd::BorrowedFd<'_>, len: usize) -> Result<Mmap, Errno> {
        // SAFETY: a new shared mapping of an fd creates memory and touches none of ours; the
        // kernel checks the length and protection against the fd.
        let ptr = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        // Never null: the address was not fixed.
        NonNull::new(ptr.cast::<u8>()).map(|ptr| Mmap { ptr, len }).ok_or(Errno::EINVAL)
    }

    /// The start of the mapping.
    #[inline]
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length and is unmapped once; no
        // reference into it outlives `self` (views and records borrow their owner).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// Loads the `T` at `src`, piece by piece with relaxed atomic loads (see the module docs).
///
/// # Safety
/// `src` is valid for reads of `size_of::<T>()` bytes for the duration of the call, in memory
/// that is only ever accessed atomically (or outside this process), and is 8-byte aligned. It
/// is `*mut` because atomics are made from pointers that may write (the mapping's own
/// pointer); a mapping without `PROT_WRITE` is allowed, since only relaxed atomic loads of at
/// most 8 bytes are made, which std permits on read-only memory on 64-bit targets (the crate
/// builds for no others).
#[inline(always)]
pub(crate) unsafe fn load<T: Pod>(src: *mut u8) -> T {
    let mut out = core::mem::MaybeUninit::<T>::uninit();
    let dst = out.as_mut_ptr().cast::<u8>();
    let len = size_of::<T>();
    let mut i = 0;
    // SAFETY (each piece): `src + i` is in bounds (i + piece <= len), aligned to the piece
    // (src is 8-aligned and the pieces go 8s, then 4, 2, 1), and only accessed atomically;
    // `dst + i` is in `out`, written unaligned.
    unsafe {
        while len - i >= 8 {
            let v = AtomicU64::from_ptr(src.add(i).cast()).load(Relaxed);
            dst.add(i).cast::<u64>().write_unaligned(v);
            i += 8;
        }
        if len - i >= 4 {
            let v = AtomicU32::from_ptr(src.add(i).cast()).load(Relaxed);
            dst.add(i).cast::<u32>().write_unaligned(v);
            i += 4;
        }
        if len - i >= 2 {
            let v = AtomicU16::from_ptr(src.add(i).cast()).load(Relaxed);
            dst.add(i).cast::<u16>().write_unaligned(v);
            i += 2;
        }
        if len - i >= 1 {
            let v = AtomicU8::from_ptr(src.add(i)).load(Relaxed);
            dst.add(i).write(v);
        }
        // Every byte of `out` was written above; `T: Pod` accepts any bytes.
        out.assume_init()
    }
}

/// Stores `value` at `dst`, piece by piece with relaxed atomic stores (see the module docs).
///
/// # Safety
/// `dst` is valid for writes of `size_of::<T>()` bytes for the duration of the call, in
/// writable memory that is only ever accessed atomically (or outside this process), and is
/// 8-byte aligned.
#[inline(always)]
pub(crate) unsafe fn store<T: Pod>(dst: *mut u8, value: &T) {
    let src = (value as *const T).cast::<u8>();
    let len = size_of::<T>();
    let mut i = 0;
    // SAFETY (each piece): as in `load`, with `dst` writable; `src + i` is in `value`, whose
    // bytes are all initialized (`T: Pod` has no padding), read unaligned.
    unsafe {
        while len - i >= 8 {
            AtomicU64::from_ptr(dst.add(i).cast()).store(src.add(i).cast::<u64>().read_unaligned(), Relaxed);
            i += 8;
        }
        if len - i >= 4 {
            AtomicU32::from_ptr(dst.add(i).cast()).store(src.add(i).cast::<u32>().read_unaligned(), Relaxed);
            i += 4;
        }
        if len - i >= 2 {
            AtomicU16::from_ptr(dst.add(i).cast()).store(src.add(i).cast::<u16>().read_unaligned(), Relaxed);
            i += 2;
        }
        if len - i >= 1 {
            AtomicU8::from_ptr(dst.add(i)).store(src.add(i).read(), Relaxed);
        }
    }
}

/// Copies `len` bytes from shared memory at `src` to `dst`, one relaxed atomic byte load
/// each: for memory with no element structure (an arena), where callers may read and write
/// overlapping ranges at any offset and only equal-sized atomics keep them from racing.
///
/// # Safety
/// `src` is valid for reads of `len` bytes, in memory only ever accessed atomically (or outside
/// this process), and derived from a pointer that may write (as in [`load`]); `dst` is valid
/// for writes of `len` bytes and does not overlap it.
pub(crate) unsafe fn load_bytes(dst: *mut u8, src: *mut u8, len: usize) {
    for i in 0..len {
        // SAFETY: in bounds of both per the contract; a byte is always aligned.
        unsafe { dst.add(i).write(AtomicU8::from_ptr(src.add(i)).load(Relaxed)) };
    }
}

/// Copies `len` bytes from `src` to shared memory at `dst`, one relaxed atomic byte store each
/// (see [`load_bytes`]).
///
/// # Safety
/// `dst` is valid for writes of `len` bytes, in writable memory only ever accessed atomically
/// (or outside this process); `src` is valid for reads of `len` initialized bytes.
pub(crate) unsafe fn store_bytes(dst: *mut u8, src: *const u8, len: usize) {
    for i in 0..len {
        // SAFETY: in bounds of both per the contract; a byte is always aligned.
        unsafe { AtomicU8::from_ptr(dst.add(i)).store(src.add(i).read(), Relaxed) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Odd {
        a: u64,
        b: u32,
        c: u16,
        d: u8,
        e: u8,
    }
    // SAFETY: 8 + 4 + 2 + 1 + 1 = 16 bytes, no padding, integers only.
    unsafe impl Pod for Odd {}

    #[test]
    fn copies_round_trip_every_shape() {
        let mut buf = [0u64; 8];
        let ptr: *mut u8 = buf.as_mut_ptr().cast();
        let value = Odd { a: u64::MAX - 1, b: 0xdead_beef, c: 0xbeef, d: 7, e: 9 };
        // SAFETY: the buffer holds 64 bytes, 8-aligned, accessed only through these copies.
        unsafe {
            store(ptr.add(16), &value);
            assert_eq!(load::<Odd>(ptr.add(16)), value);
            store(ptr, &[1u8, 2, 3, 4, 5, 6, 7]);
            assert_eq!(load::<[u8; 7]>(ptr), [1, 2, 3, 4, 5, 6, 7]);
            store(ptr.add(40), &0x0102_0304u32);
            assert_eq!(load::<u32>(ptr.add(40)), 0x0102_0304);
            assert_eq!(load::<[u8; 3]>(ptr.add(48)), [0, 0, 0]);
        }
        assert_eq!(buf[2], u64::MAX - 1);
    }

    #[test]
    fn byte_copies_round_trip_at_any_offset() {
        let mut shared = [0u8; 16];
        let value = 0x1122_3344_5566_7788u64;
        // SAFETY: 16 bytes, accessed only through these copies; offset 3 + 8 is in bounds.
        unsafe {
            store_bytes(shared.as_mut_ptr().add(3), (&value as *const u64).cast(), 8);
            let mut out = 0u64;
            load_bytes((&mut out as *mut u64).cast(), shared.as_mut_ptr().add(3), 8);
            assert_eq!(out, value);
        }
        assert_eq!(shared[3], value.to_ne_bytes()[0]);
    }

    #[test]
    fn copies_from_two_threads_do_not_race() {
        /// The buffer's address, handed to the writer thread.
        struct Shared(*mut u8);
        // SAFETY: the buffer outlives the scope, and both threads access it atomically only.
        unsafe impl Send for Shared {}
        unsafe impl Sync for Shared {}
        impl Shared {
            fn ptr(&self) -> *mut u8 {
                self.0
            }
        }

        let mut buf = [0u64; 4];
        let shared = Shared(buf.as_mut_ptr().cast());
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..100u64 {
                    // SAFETY: 32 bytes, 8-aligned, live for the scope, only accessed atomically.
                    unsafe { store(shared.ptr(), &[i, i, i, i]) };
                }
            });
            for _ in 0..100 {
                // SAFETY: as above.
                let v = unsafe { load::<[u64; 4]>(shared.ptr()) };
                assert!(v.iter().all(|&x| x < 100));
            }
        });
    }
}
