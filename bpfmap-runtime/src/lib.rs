//! The runtime of [bpfmap](https://docs.rs/bpfmap): the rule book of `BPF_MAP_CREATE`, the
//! `bpf(2)` syscall, the registry of maps declared with `#[bpf_map]`, and typed handles.
//!
//! Use it through the `bpfmap` crate, which re-exports everything here together with the
//! `#[bpf_map]` and `#[derive(Pod)]` macros.

#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
// The rule book alone leaves unused the helpers only the runtime calls (byte views of `Pod`
// values, CPU lists, the run-time object check); dead code is caught in the full build.
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

// Ring positions are the kernel's `unsigned long`, read here as 8-byte atomics; mapped memory
// is loaded in pieces of up to 8 bytes, which std allows on read-only pages only where those
// loads are native. Both hold on 64-bit targets, which is what bpfmap is built for.
#[cfg(not(target_pointer_width = "64"))]
compile_error!(
    "bpfmap supports 64-bit targets: ring buffer positions and mapped memory are read as 8-byte atomics"
);

/// The registry's section: each element a `static Declaration` that `#[bpf_map]` emits with
/// `#[used]` and this `link_section` (see `registry`). The name is a C identifier (so that the
/// linker defines `__start_`/`__stop_` symbols for it) and carries the version: two versions
/// of the runtime in one program, whose `Declaration`s may differ, each read their own. A
/// macro, because attributes take a literal (or a macro that expands to one), not a `const`.
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_section {
    () => {
        "bpfmap_declarations_0_1"
    };
}

/// The registry's section, for the macro, which writes it into every declaration.
#[doc(hidden)]
pub const REGISTRY_SECTION: &str = __registry_section!();

// The rule book: pure code, what the macro compiles for the host (without `runtime`).
pub mod btf;
mod errno;
pub mod object;
mod pod;
pub mod rules;

pub use errno::Errno;
#[cfg(feature = "runtime")]
pub use object::{check_object, check_object_file};
pub use pod::{Pod, SpinLock};
pub use rules::{
    BtfRule, Creation, HostLimits, KernelVersion, MapDef, MapFlags, MapName, MapType, Pinning, Privilege,
    RuleError, Subject, TypeRules,
};

// The runtime: the syscalls, the registry, handles, and what the generated code names.
#[cfg(feature = "runtime")]
mod access;
#[cfg(feature = "runtime")]
mod adopt;
#[cfg(feature = "runtime")]
mod claims;
#[cfg(feature = "runtime")]
mod compat;
#[cfg(feature = "runtime")]
mod cpus;
#[cfg(feature = "runtime")]
mod error;
#[cfg(feature = "runtime")]
pub mod events;
#[cfg(feature = "runtime")]
mod family;
#[cfg(feature = "runtime")]
mod handles;
#[cfg(feature = "runtime")]
mod loader;
#[cfg(feature = "runtime")]
mod map;
#[cfg(feature = "runtime")]
mod map_btf;
#[cfg(feature = "runtime")]
pub mod mapped;
#[cfg(feature = "runtime")]
mod maps;
#[cfg(feature = "runtime")]
mod pin;
#[cfg(feature = "runtime")]
pub mod probe;
#[cfg(feature = "runtime")]
pub mod registry;
#[cfg(feature = "runtime")]
mod sys;
#[cfg(feature = "runtime")]
mod token;

#[cfg(feature = "runtime")]
pub use access::Access;
#[cfg(feature = "runtime")]
pub use compat::FieldDiff;
#[cfg(feature = "runtime")]
pub use cpus::possible_cpus;
#[cfg(feature = "runtime")]
pub use error::{Cause, Error, Location, MapLabel, Op, RingProblem};
#[cfg(feature = "tokio")]
pub use events::{AsyncEvents, AsyncUserRingBufProducer, RecordStream};
#[cfg(feature = "runtime")]
pub use events::{EventPoller, EventSource, Record};
#[cfg(feature = "runtime")]
pub use handles::{
    Arena, ArenaMemory, ArrayIter, ArrayMap, BloomFilter, CgroupArray, CgroupStorage, CgroupStorageKey,
    CpuMap, DevMap, HashDrain, HashIter, HashMap, Keys, LocalStorage, LpmIter, LpmKey, LpmTrie, MapOfMaps,
    MapRef, MmapArray, MmapArrayReadOnly, MmapIter, PerCpuArray, PerCpuCgroupStorage, PerCpuDrain,
    PerCpuHashMap, PerCpuIter, PerCpuValues, PerfBufferOptions, PerfBufferReader, PerfEventArray, ProgArray,
    Queue, ReuseportSockArray, RingBuf, RingBufConsumer, SockMap, Stack, StackTraceMap, Update, UserRingBuf,
    UserRingBufProducer, WhenFull, XskMap,
};
#[cfg(feature = "runtime")]
pub use loader::{Loader, Memlock, OnMismatch, load};
#[cfg(feature = "runtime")]
pub use map::{Map, MapBtf, MapInfo, bpf_create_map, create_map, create_map_with_token};
#[cfg(feature = "runtime")]
pub use maps::{HandleOf, Maps};
#[cfg(feature = "runtime")]
pub use pin::DEFAULT_PIN_ROOT;
#[cfg(feature = "runtime")]
pub use registry::{Declaration, MapDecl, declarations};
#[cfg(feature = "runtime")]
pub use token::{Delegation, NotDelegated, TOKEN_PATH_ENV, Token, TokenProblem, Undelegated};

/// What the code `#[bpf_map]` and `#[derive(Pod)]` generate refers to. Not public API.
#[cfg(feature = "runtime")]
#[doc(hidden)]
pub mod __private {
    /// The handle families (sealed): which handle `Maps::get` returns for a declared type.
    pub mod family {
        pub use crate::family::*;
    }
    pub use crate::btf::{Member, TypeDesc};
    /// What `check_object!` refers to.
    pub mod object {
        use crate::registry::Declaration;
        use crate::rules::{MapDef, MapType};

        pub use crate::object::{Declared, Message, Numbers, ObjectMapDesc, check_map};

        /// What `check_object!` finds under a kernel name that no `#[bpf_map]` of the module
        /// declares: not a registry entry (it is in no link section), and the only
        /// declaration without a Rust name.
        pub static UNDECLARED: Declaration =
            Declaration::new(MapDef::new(MapType::UNSPEC, 0, 0, 0), "", "", "", 0, 0);

        /// The registry entry `check_object!` found under a kernel name, as it compares it.
        pub const fn declared(entry: &'static Declaration) -> Declared {
            if entry.rust_name.is_empty() {
                Declared::NONE
            } else {
                Declared::new(&entry.def, entry.rust_name)
            }
        }
    }
    pub use crate::registry::{Declaration, MapDecl};
    pub use crate::rules::{MapDef, MapFlags, MapName, MapType, Pinning, Subject};
    pub use crate::{Pod, rules};

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

    /// What the checks of `#[bpf_map]` match on: the first rule a definition breaks, as the
    /// number of its subject (`Subject as u8`, a pattern cheaper for rustc than a path) and the
    /// rule in words; [`PASSES`] for a definition that breaks none.
    pub type Verdict = (u8, &'static str);

    /// Fails the `const` evaluation that calls it, with `rule` for the message, reported where
    /// it is called (`#[track_caller]`): `#[bpf_map]` spans each call on the attribute whose
    /// rule it reports. A call rather than `panic!`, which rustc would expand in every arm of
    /// every declaration.
    #[track_caller]
    pub const fn reject(rule: &str) {
        panic!("{}", rule)
    }

    /// The verdict on a definition that breaks no rule.
    pub const PASSES: Verdict = (u8::MAX, "");

    const fn verdict_of(checked: Result<(), rules::RuleError>) -> Verdict {
        match checked {
            Err(e) => (e.subject() as u8, e.rule()),
            Ok(()) => PASSES,
        }
    }

    /// The first rule about the key or value (size, and BTF type) that `def` breaks, for
    /// declarations whose every other attribute the macro checked on its tokens: a much shorter
    /// evaluation than [`violation`] in rustc's const interpreter.
    pub const fn size_violation(def: &MapDef) -> Verdict {
        let Some(rules) = def.map_type.rules() else { return violation(def) };
        let host = &rules::HostLimits::ASSUMED;
        if let Err(e) = rules::check_btf_object(def) {
            return verdict_of(Err(e));
        }
        verdict_of(match rules::check_key(rules, def.key_size) {
            Ok(()) => match rules::check_value(rules, def.key_size, def.value_size, def.flags, host) {
                Ok(()) => rules::check_types(rules, def),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        })
    }

    /// The first rule `def` breaks: the attribute it is about, and the rule in words, for a
    /// compile-time panic spanned on that attribute.
    pub const fn violation(def: &MapDef) -> Verdict {
        verdict_of(def.validate())
    }
}
