//! BTF, the BPF Type Format: how maps tell the kernel (and `bpftool`) the layout of their
//! keys and values.
//!
//! - [`TypeDesc`] describes a Rust type as BTF sees it, built at compile time.
//! - [`BtfBuilder`] writes descriptions into one blob that `BPF_BTF_LOAD` accepts.
//! - [`Btf::parse`] reads any blob, from the kernel or from a clang-built object.

mod desc;
mod encode;
mod error;
mod kind;
mod parse;

#[cfg(test)]
mod test_blob;

pub use desc::{F32, F64, I8, I16, I32, I64, I128, Member, SPIN_LOCK, TypeDesc, U8, U16, U32, U64, U128};
pub use encode::BtfBuilder;
pub use error::{BtfError, BtfErrorKind, EncodeError};
pub use kind::{Kind, MAX_DEPTH, MAX_NAME_LEN};
pub use parse::{Btf, BtfMember, EnumValue, IntEncoding, Param, Type, TypeData, VarSecInfo};
