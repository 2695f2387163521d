//! BTF, the BPF Type Format: how maps tell the kernel (and `bpftool`) the layout of their
//! keys and values, and how clang-built objects describe their maps.
//!
//! Four parts, data only (the syscalls are in the crate's private `sys` module):
//!
//! - [`TypeDesc`] describes a Rust type as BTF sees it. Descriptions are built at compile
//!   time, as `&'static` data: the runtime has constants for the primitives ([`U32`], [`F64`],
//!   [`SPIN_LOCK`], ...) and `#[derive(Pod)]` writes one per struct. `const fn`s answer what
//!   the rule book needs in `const` context: [`size`](TypeDesc::size), whether the
//!   kernel would accept it ([`check`](TypeDesc::check)), and where and whether a
//!   `bpf_spin_lock` is ([`spin_lock_count`](TypeDesc::spin_lock_count),
//!   [`spin_lock_error`](TypeDesc::spin_lock_error)).
//! - [`BtfBuilder`] writes descriptions into one blob that `BPF_BTF_LOAD` accepts, each
//!   distinct type once, and returns the type ids to pass to `BPF_MAP_CREATE`.
//! - [`Btf::parse`] reads any blob: one the kernel returns, or the `.BTF` section of an
//!   object built by clang, with its `.maps` section and libbpf's `__uint`/`__type` encoding.
//!   It never panics, loops or allocates without bound on malformed input.
//! - [`diff_layout`] compares a description with a type of a parsed blob and names the first
//!   field where they differ: `FlowKey.sport: declared u16 at 8, found __u32 at 8`.
//!
//! # Describing generic arrays
//!
//! A trait with an associated `&'static TypeDesc` describes arrays of any element and length
//! with one impl, because the `&` of a `const`'s final value is extended to `'static`, even
//! in a generic impl (it is not promotion, which generic expressions would not get):
//!
//! ```
//! use bpfmap::btf::{TypeDesc, U32};
//!
//! trait Describe {
//!     const DESC: &'static TypeDesc;
//! }
//! impl Describe for u32 {
//!     const DESC: &'static TypeDesc = &U32;
//! }
//! impl<T: Describe, const N: usize> Describe for [T; N] {
//!     // `TypeDesc::array` refuses (at compile time) a length that does not fit in u32,
//!     // where `N as u32` would wrap silently.
//!     const DESC: &'static TypeDesc = &TypeDesc::array(T::DESC, N);
//! }
//!
//! let desc: &'static TypeDesc = <[[u32; 3]; 2]>::DESC;
//! assert_eq!(desc.size(), Some(24));
//! ```
//!
//! Struct descriptions refer to their fields' descriptions the same way
//! (`Member { name: "addr", offset: 0, ty: <[u8; 16] as Describe>::DESC }`), with the offset
//! from `core::mem::offset_of!`.
//!
//! # Kernel versions
//!
//! BTF for maps needs Linux 4.18. [`F32`] and [`F64`] are `FLOAT`s, which the kernel knows
//! since 5.13; an older kernel refuses a blob holding one (`Invalid kind`). Names are limited
//! to [`MAX_NAME_LEN`] bytes, the limit of kernels before 6.1. The kernel follows types at
//! most [`MAX_DEPTH`] deep; so do the builder and the queries, which also ends any cycle.

mod desc;
mod encode;
mod error;
mod kind;
mod layout;
mod parse;

#[cfg(test)]
mod kernel_tests;
#[cfg(test)]
mod parse_fuzz;
#[cfg(test)]
pub(crate) mod test_blob;

pub(crate) use desc::SPIN_LOCK_NAME;
pub use desc::{
    F32, F64, I8, I16, I32, I64, I128, LockError, Member, SPIN_LOCK, TypeDesc, U8, U16, U32, U64, U128,
};
pub use encode::BtfBuilder;
pub use error::{BtfError, BtfErrorKind, EncodeError};
pub use kind::{Kind, MAX_DEPTH, MAX_NAME_LEN};
pub use layout::{LayoutDiff, diff_layout};
pub use parse::{Btf, BtfMember, EnumValue, IntEncoding, Param, Type, TypeData, VarSecInfo};
