//! The runtime of [bpfmap](https://docs.rs/bpfmap): the rule book of `BPF_MAP_CREATE`, the
//! `bpf(2)` syscall, the registry of maps declared with `#[bpf_map]`, and typed handles.
//!
//! Use it through the `bpfmap` crate, which re-exports everything here together with the
//! `#[bpf_map]` and `#[derive(Pod)]` macros.

#![deny(missing_docs, unsafe_op_in_unsafe_fn)]

// Ring positions are the kernel's `unsigned long`, read here as 8-byte atomics; mapped memory
// is loaded in pieces of up to 8 bytes, which std allows on read-only pages only where those
// loads are native. Both hold on 64-bit targets, which is what bpfmap is built for.
#[cfg(not(target_pointer_width = "64"))]
compile_error!(
    "bpfmap supports 64-bit targets: ring buffer positions and mapped memory are read as 8-byte atomics"
);

mod access;
mod adopt;
pub mod btf;
mod claims;
mod compat;
mod cpus;
mod errno;
mod error;
pub mod events;
mod family;
mod handles;
mod loader;
mod map;
mod map_btf;
pub mod mapped;
mod maps;
pub mod object;
mod pin;
mod pod;
pub mod probe;
pub mod registry;
pub mod rules;
mod sys;
mod token;

pub use access::Access;
pub use compat::FieldDiff;
pub use cpus::possible_cpus;
pub use errno::Errno;
pub use error::{Cause, Error, Location, MapLabel, Op, RingProblem};
#[cfg(feature = "tokio")]
pub use events::{AsyncEvents, AsyncUserRingBufProducer, RecordStream};
pub use events::{EventPoller, EventSource, Record};
pub use handles::{
    Arena, ArenaMemory, ArrayIter, ArrayMap, BloomFilter, CgroupArray, CgroupStorage, CgroupStorageKey,
    CpuMap, DevMap, HashDrain, HashIter, HashMap, Keys, LocalStorage, LpmIter, LpmKey, LpmTrie, MapOfMaps,
    MapRef, MmapArray, MmapArrayReadOnly, MmapIter, PerCpuArray, PerCpuCgroupStorage, PerCpuDrain,
    PerCpuHashMap, PerCpuIter, PerCpuValues, PerfBufferOptions, PerfBufferReader, PerfEventArray, ProgArray,
    Queue, ReuseportSockArray, RingBuf, RingBufConsumer, SockMap, Stack, StackTraceMap, Update, UserRingBuf,
    UserRingBufProducer, WhenFull, XskMap,
};
pub use loader::{Loader, Memlock, OnMismatch, load};
pub use map::{Map, MapBtf, MapInfo, bpf_create_map, create_map, create_map_with_token};
pub use maps::{HandleOf, Maps};
pub use object::{check_object, check_object_file};
pub use pin::DEFAULT_PIN_ROOT;
pub use pod::{Pod, SpinLock};
pub use registry::{Declaration, MapDecl, declarations};
pub use rules::{
    BtfRule, Creation, HostLimits, KernelVersion, MapDef, MapFlags, MapName, MapType, Pinning, Privilege,
    RuleError, Subject, TypeRules,
};
pub use token::{Delegation, NotDelegated, TOKEN_PATH_ENV, Token, TokenProblem, Undelegated};

/// What the code `#[bpf_map]` and `#[derive(Pod)]` generate refers to. Not public API.
#[doc(hidden)]
pub mod __private {
    /// The handle families (sealed): which handle `Maps::get` returns for a declared type.
    pub mod family {
        pub use crate::family::*;
    }
    pub use crate::btf::{Member, TypeDesc};
    /// What `check_object!` and the lookup `const` of `#[bpf_map]` refer to.
    pub mod object {
        pub use crate::object::{Declared, Message, Numbers, ObjectMapDesc, check_map};
    }
    pub use crate::registry::{DECLARATIONS, Declaration, MapDecl};
    pub use crate::rules::{MapDef, MapFlags, MapName, MapType, Pinning, Subject};
    pub use crate::{Pod, rules};
    pub use linkme;

    /// The size of a field, named by a closure that takes the struct and returns the field:
    /// the type is the field's in the struct as compiled (`#[derive(Pod)]` sums these).
    pub const fn size_of_field<S, F>(_field: fn(S) -> F) -> usize {
        size_of::<F>()
    }

    /// The BTF description of a field of the struct as compiled, which must be `Pod` (for
    /// `#[derive(Pod)]`).
    pub const fn field_btf<S, F: Pod>(_field: fn(S) -> F) -> &'static crate::btf::TypeDesc {
        F::BTF
    }

    /// A size or offset as the u32 BTF records; a struct of 4 GiB or more does not compile.
    pub const fn btf_u32(n: usize) -> u32 {
        assert!(n <= u32::MAX as usize, "BTF sizes and offsets are u32: the struct is 4 GiB or more");
        n as u32
    }

    /// Why BTF cannot describe member `index` of `desc` (for `#[derive(Pod)]`, spanned on
    /// the field).
    pub const fn btf_member_problem(desc: &crate::btf::TypeDesc, index: usize) -> Option<&'static str> {
        match desc.member_error(index) {
            Some(e) => Some(e.summary()),
            None => None,
        }
    }

    /// The lock rule a struct breaks wherever it is used (for `#[derive(Pod)]`, spanned on the
    /// struct's name): two locks, a lock misplaced, hidden in a wrapper or in an array of more
    /// than one. No map could hold it, and an object holding some of them is refused whole.
    pub const fn btf_lock_problem(desc: &crate::btf::TypeDesc) -> Option<&'static str> {
        match desc.spin_lock_error() {
            Some(e) => Some(e.rule),
            None => None,
        }
    }

    /// Why BTF cannot describe `desc` by its name (for `#[derive(Pod)]`, spanned on the
    /// struct's name).
    pub const fn btf_name_problem(desc: &crate::btf::TypeDesc) -> Option<&'static str> {
        match desc.name_error() {
            Some(e) => Some(e.summary()),
            None => None,
        }
    }

    /// The first rule about the key or value (size, and BTF type) that `def` breaks, for declarations whose
    /// every other attribute the macro checked on its tokens: a much shorter evaluation than
    /// [`violation`] in rustc's const interpreter.
    pub const fn size_violation(def: &MapDef) -> Option<(Subject, &'static str)> {
        let Some(rules) = def.map_type.rules() else { return violation(def) };
        let host = &rules::HostLimits::ASSUMED;
        if let Err(e) = rules::check_btf_object(def) {
            return Some((e.subject(), e.rule()));
        }
        let checked = match rules::check_key(rules, def.key_size) {
            Ok(()) => match rules::check_value(rules, def.key_size, def.value_size, def.flags, host) {
                Ok(()) => rules::check_types(rules, def),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match checked {
            Err(e) => Some((e.subject(), e.rule())),
            Ok(()) => None,
        }
    }

    /// The first rule `def` breaks: the attribute it is about, and the rule in words, for a
    /// compile-time panic spanned on that attribute.
    pub const fn violation(def: &MapDef) -> Option<(Subject, &'static str)> {
        match def.validate() {
            Err(e) => Some((e.subject(), e.rule())),
            Ok(()) => None,
        }
    }
}
