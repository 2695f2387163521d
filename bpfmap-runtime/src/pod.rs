//! `Pod`: types whose every byte is data, so they can be copied to and from the kernel.

/// A type that is plain bytes: no padding, no pointers, and every bit pattern a valid value.
///
/// BPF maps copy keys and values as raw bytes and compare keys bytewise, so a key with padding
/// bytes (uninitialized, random) would make lookups miss, and reading a `bool` or an enum back
/// from the kernel could produce an invalid value. Implement it with `#[derive(Pod)]`, which
/// proves both properties at compile time for a `#[repr(C)]` struct:
///
/// ```
/// use bpfmap::Pod;
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct FlowKey { saddr: u32, daddr: u32, sport: u16, dport: u16 }
/// ```
///
/// A struct with padding does not compile; make the padding an explicit field instead:
///
/// ```compile_fail
/// use bpfmap::Pod;
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Pod)]
/// struct Padded { proto: u8, addr: u32 } // 3 padding bytes after `proto`
/// ```
///
/// # Safety
/// Implementors must have no padding and no invalid bit patterns, and must not contain
/// pointers or references.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Pod`, so it cannot be a BPF map key or value",
    label = "not `Pod`",
    note = "map keys and values are copied to the kernel as raw bytes: they must have no padding, no pointers, and accept any bit pattern",
    note = "for a struct of integers, add `#[repr(C)]` and `#[derive(Clone, Copy, bpfmap::Pod)]`"
)]
pub unsafe trait Pod: Copy + 'static {
    /// How BTF describes the type: the layout the kernel (and `bpftool`) sees for keys and
    /// values of this type. `#[derive(Pod)]` describes each field; a hand-written impl that
    /// does not say otherwise is `size` bytes with no further structure.
    const BTF: &'static TypeDesc = &TypeDesc::opaque(size_of::<Self>());
}

macro_rules! pod {
    ($($t:ty => $btf:ident),*) => { $(
        // SAFETY: primitive integers and floats have no padding and no invalid bit patterns.
        unsafe impl Pod for $t {
            const BTF: &'static TypeDesc = &btf::$btf;
        }
    )* };
}

// Not `usize`/`isize`: their size is the process's pointer width, which need not be the BPF
// side's (8 bytes), so a map declared with them would differ between 32- and 64-bit builds.
pod!(u8 => U8, u16 => U16, u32 => U32, u64 => U64, u128 => U128, i8 => I8, i16 => I16, i32 => I32,
     i64 => I64, i128 => I128, f32 => F32, f64 => F64);

// SAFETY: an array of padding-free elements has no padding (its stride is the element size).
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {
    const BTF: &'static TypeDesc = &TypeDesc::array(T::BTF, N);
}

// SAFETY: zero bytes. It stands for the missing key or value of queue, stack, bloom filter
// and ring buffer maps (BTF type id 0, `void`).
unsafe impl Pod for () {}

/// A `struct bpf_spin_lock`, as a field of a map value: BPF programs take it with
/// `bpf_spin_lock()`, and user space reads and writes the rest of the value under it.
///
/// The kernel finds the lock through the value's BTF (which `#[derive(Pod)]` writes), and then
/// handles of the map read and write with `BPF_F_LOCK`: a lookup copies the value while
/// holding the lock, an update writes it while holding the lock. The lock's own bytes are the
/// kernel's: they read as zero and what is written into them is ignored.
///
/// At most one per value, never in a key, and only in the values of `hash`, `array`,
/// `cgroup_storage` and the local storage maps (the rule book refuses the rest at compile
/// time).
///
/// ```no_run
/// use bpfmap::{bpf_map, Pod, SpinLock, Update};
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Default, Pod)]
/// struct Account { lock: SpinLock, owner: u32, balance: u64 }
///
/// #[bpf_map(type = "hash", max_entries = 1024)]
/// struct Accounts { key: u32, value: Account }
///
/// let maps = bpfmap::load()?;
/// let accounts = maps.get::<Accounts>();
/// accounts.insert(&7, &Account { owner: 1, balance: 100, ..Default::default() }, Update::Any)?; // under the lock
/// let account = accounts.get(&7)?.expect("inserted");                                   // under the lock
/// assert_eq!(account.balance, 100);
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SpinLock {
    val: u32,
}

impl core::fmt::Debug for SpinLock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SpinLock")
    }
}

// SAFETY: one u32, as the kernel's `struct bpf_spin_lock`: no padding, any bit pattern.
unsafe impl Pod for SpinLock {
    const BTF: &'static TypeDesc = &btf::SPIN_LOCK;
}

use crate::btf::{self, TypeDesc};

/// The bytes of a `Pod` value.
pub(crate) fn bytes_of<T: Pod>(value: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes are initialized.
    unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size_of::<T>()) }
}

/// The bytes of a slice of `Pod` values, side by side (a slice has no gaps between elements).
pub(crate) fn slice_bytes<T: Pod>(values: &[T]) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, and a slice's elements are contiguous: all
    // `size_of_val(values)` bytes are initialized.
    unsafe { core::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
}

/// A `T` copied from the first `size_of::<T>()` bytes of `bytes`; `None` if there are fewer.
pub(crate) fn read_from<T: Pod>(bytes: &[u8]) -> Option<T> {
    let bytes = bytes.get(..size_of::<T>())?;
    // SAFETY: `bytes` holds size_of::<T>() initialized bytes (the `get` above), read unaligned;
    // `T: Pod` accepts any bit pattern.
    Some(unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}
