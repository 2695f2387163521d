//! BTF, the BPF Type Format: how maps tell the kernel (and `bpftool`) the layout of their
//! keys and values.
//!
//! - [`TypeDesc`] describes a Rust type as BTF sees it, built at compile time.
//! - [`BtfBuilder`] writes descriptions into one blob that `BPF_BTF_LOAD` accepts.

mod desc;
mod encode;
mod error;
mod kind;

pub use desc::{F32, F64, I8, I16, I32, I64, I128, Member, SPIN_LOCK, TypeDesc, U8, U16, U32, U64, U128};
pub use encode::BtfBuilder;
pub use error::EncodeError;
pub use kind::{Kind, MAX_DEPTH, MAX_NAME_LEN};
