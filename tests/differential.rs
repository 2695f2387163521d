//! The differential test: random map definitions go both to the rule book
//! (`MapDef::validate_on`) and to the live kernel (`BPF_MAP_CREATE`), and the two must agree on
//! every definition sent: validate accepts ⇔ the kernel creates the map.
//!
//! The kernel call is written here from scratch (raw `bpf(2)`, own attr struct) rather than
//! through `bpfmap::create_map`, which validates first and so could not disagree with itself.
//!
//! Definitions with key and value types (as `#[bpf_map]` gives them) go to the kernel with
//! their BTF, as bpfmap sends it: for the maps that need it (local storage, a value with a
//! `SpinLock`) and those whose type takes it. Where bpfmap leaves BTF out (the type refuses it,
//! or the key breaks the type's BTF rule), the kernel is also asked with it, and must refuse.
//!
//! Where the two may legitimately disagree on this machine, the case is counted in one of the
//! classes of [`Exception`], each with its reason, and printed; nothing is skipped silently.
//!
//! `PROPTEST_CASES` sets the number of cases (default 10,000), `PROPTEST_RNG_SEED` replays a
//! run (the seed is printed at the start).

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use bpfmap::btf::{BtfBuilder, TypeDesc};
use bpfmap::{
    CgroupStorageKey, Errno, HostLimits, LpmKey, MapDef, MapFlags, MapName, MapType, Pod, RuleError,
    SpinLock, Subject,
};
use proptest::prelude::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{RngSeed, TestRunner};

// ------------------------------------------------------------------------------------------
// The kernel, raw.

/// The `BPF_MAP_CREATE` prefix of `union bpf_attr` (uapi `include/uapi/linux/bpf.h`); the
/// kernel zero-fills the rest of its union.
#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    map_extra: u64,
}

const _: () = {
    assert!(std::mem::offset_of!(MapCreateAttr, map_name) == 28);
    assert!(std::mem::offset_of!(MapCreateAttr, btf_vmlinux_value_type_id) == 60);
    assert!(std::mem::offset_of!(MapCreateAttr, map_extra) == 64);
    assert!(std::mem::size_of::<MapCreateAttr>() == 72);
};

/// An fd number no process has open: the kernel answers EBADF when it reads it.
const NOT_AN_FD: u32 = i32::MAX as u32;

/// The BTF a case is created with: the object's fd and the ids of the key and value types.
#[derive(Clone, Copy)]
struct RawBtf {
    fd: u32,
    key: u32,
    value: u32,
}

/// `BPF_MAP_CREATE` exactly as `def` says, with `inner_map_fd` and `btf`; the fd closes on drop.
fn raw_create(def: &MapDef, inner_map_fd: u32, btf: Option<RawBtf>) -> Result<OwnedFd, Errno> {
    let mut map_name = [0u8; 16];
    let name = def.name.as_bytes();
    map_name[..name.len()].copy_from_slice(name);
    let attr = MapCreateAttr {
        map_type: def.map_type.raw(),
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.flags.bits(),
        inner_map_fd,
        numa_node: def.numa_node,
        map_name,
        btf_fd: btf.map_or(0, |b| b.fd),
        btf_key_type_id: btf.map_or(0, |b| b.key),
        btf_value_type_id: btf.map_or(0, |b| b.value),
        map_extra: def.map_extra,
        ..Default::default()
    };
    // SAFETY: BPF_MAP_CREATE (0) reads `size` bytes of `attr`, which lives across the call and
    // holds no pointers.
    let ret = unsafe {
        libc::syscall(libc::SYS_bpf, 0, &attr as *const MapCreateAttr, size_of::<MapCreateAttr>() as u32)
    };
    if ret < 0 {
        return Err(last_errno());
    }
    // SAFETY: the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) })
}

fn last_errno() -> Errno {
    Errno::from_raw(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// The `BPF_BTF_LOAD` prefix of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct BtfLoadAttr {
    btf: u64,
    btf_log_buf: u64,
    btf_size: u32,
    btf_log_size: u32,
    btf_log_level: u32,
}

/// `BPF_BTF_LOAD` of `blob`, without a log.
fn raw_btf_load(blob: &[u8]) -> Result<OwnedFd, Errno> {
    let attr = BtfLoadAttr { btf: blob.as_ptr() as u64, btf_size: blob.len() as u32, ..Default::default() };
    // SAFETY: BPF_BTF_LOAD (18) reads `btf_size` bytes at `btf`, which `blob` holds across the
    // call, and writes no log (size 0).
    let ret = unsafe {
        libc::syscall(libc::SYS_bpf, 18, &attr as *const BtfLoadAttr, size_of::<BtfLoadAttr>() as u32)
    };
    if ret < 0 {
        return Err(last_errno());
    }
    // SAFETY: the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) })
}

/// `BPF_MAP_CREATE` of `def`, with the BTF of its types when `with_btf` (a keyless map's key
/// is id 0); the object is loaded for the call. A refused object is the verdict.
fn raw_create_typed(def: &MapDef, inner_map_fd: u32, with_btf: bool) -> Result<OwnedFd, Errno> {
    let Some(value) = def.value_type.filter(|_| with_btf) else { return raw_create(def, inner_map_fd, None) };
    let mut builder = BtfBuilder::new();
    let key = def.key_type.map_or(Ok(0), |key| builder.add(key)).expect("the pool's types encode");
    let value = builder.add(value).expect("the pool's types encode");
    let object = raw_btf_load(&builder.finish())?;
    raw_create(def, inner_map_fd, Some(RawBtf { fd: object.as_raw_fd() as u32, key, value }))
}

/// Whether bpfmap creates `def` with BTF: its types are sent where the map needs them, or its
/// type takes them (the rule book's BTF rules decide; [`compare`] checks the refusals).
fn sent_with_btf(def: &MapDef) -> bool {
    def.value_type.is_some() && (def.needs_btf() || def.takes_btf())
}

/// What the kernel says of a whole definition, inner template included.
///
/// A map-of-maps needs its template's fd, so the template is created first. When the kernel
/// refuses the template, the outer map is sent with an fd that is not open: its own
/// `map_alloc_check` runs before the kernel reads `inner_map_fd`, so any errno but EBADF is the
/// outer map's, and EBADF means the outer passed up to the template, whose errno then decides.
fn kernel_verdict(def: &MapDef) -> Result<(), Errno> {
    kernel_verdict_btf(def, sent_with_btf(def))
}

/// [`kernel_verdict`], with the types' BTF or without.
fn kernel_verdict_btf(def: &MapDef, with_btf: bool) -> Result<(), Errno> {
    let Some(inner) = def.inner else {
        // No template: fd 0 (stdin, never a map; see `ensure_std_fds`) as in a zeroed attr.
        return raw_create_typed(def, 0, with_btf).map(drop);
    };
    match raw_create_typed(inner, 0, sent_with_btf(inner)) {
        Ok(inner_fd) => raw_create_typed(def, inner_fd.as_raw_fd() as u32, with_btf).map(drop),
        Err(inner_errno) => match raw_create_typed(def, NOT_AN_FD, with_btf) {
            Err(Errno::EBADF) => Err(inner_errno),
            Err(errno) => Err(errno),
            Ok(_) => panic!("the kernel created a map-of-maps with no template: {def:?}"),
        },
    }
}

/// Fd 0 must be open and not a map, so that `inner_map_fd = 0` and `map_token_fd = 0` mean
/// "not a map / not a token" (EINVAL) whatever the harness left open, and so that no map ever
/// gets fd 0.
fn ensure_std_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the fd table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            // SAFETY: a NUL-terminated path; open returns the lowest free fd, which is `fd`.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            assert_eq!(opened, fd, "could not fill fd {fd} with /dev/null");
        }
    }
}

// ------------------------------------------------------------------------------------------
// What this kernel lacks.

const NO_PREALLOC: u32 = 1 << 0;
const NO_COMMON_LRU: u32 = 1 << 1;
const NUMA_NODE: u32 = 1 << 2;
const RDONLY: u32 = 1 << 3;
const WRONLY: u32 = 1 << 4;
const STACK_BUILD_ID: u32 = 1 << 5;
const ZERO_SEED: u32 = 1 << 6;
const RDONLY_PROG: u32 = 1 << 7;
const WRONLY_PROG: u32 = 1 << 8;
const CLONE: u32 = 1 << 9;
const MMAPABLE: u32 = 1 << 10;
const PRESERVE_ELEMS: u32 = 1 << 11;
const INNER_MAP: u32 = 1 << 12;
const LINK: u32 = 1 << 13;
const VTYPE_BTF_OBJ_FD: u32 = 1 << 15;
const SEGV_ON_FAULT: u32 = 1 << 17;
const NO_USER_CONV: u32 = 1 << 18;
const RB_OVERWRITE: u32 = 1 << 19;
const ACCESS: u32 = RDONLY | WRONLY | RDONLY_PROG | WRONLY_PROG;

fn def(map_type: u32, key: u32, value: u32, max_entries: u32, flags: u32) -> MapDef {
    MapDef::new(MapType::from_raw(map_type), key, value, max_entries)
        .with_flags(MapFlags::from_bits_retain(flags))
}

/// A definition every kernel that has the type creates (written from the uapi documentation,
/// not from the rule book), or `None` where it needs BTF bpfmap does not make (the kernel's).
fn known_good(map_type: u32) -> Option<MapDef> {
    static ARRAY: std::sync::LazyLock<MapDef> = std::sync::LazyLock::new(|| def(2, 4, 4, 1, 0));
    let good = match map_type {
        1 | 3 | 4 | 5 | 6 | 8 | 9 | 10 | 14 | 15 | 16 | 17 | 18 | 20 | 25 => def(map_type, 4, 4, 1, 0),
        2 => def(2, 4, 4, 1, 0),
        7 => def(7, 4, 8, 1, 0),
        11 => def(11, 8, 4, 1, NO_PREALLOC),
        12 | 13 => def(map_type, 4, 4, 1, 0).with_inner(&ARRAY),
        19 | 21 => def(map_type, 8, 4, 0, 0),
        22 | 23 | 30 => def(map_type, 0, 4, 1, 0),
        27 | 31 => def(map_type, 0, 0, 4096, 0),
        33 => def(33, 0, 0, 1, MMAPABLE),
        34 => def(34, 4, 8, 1, 0),
        24 | 28 | 29 | 32 => def(map_type, 4, 8, 0, NO_PREALLOC).with_types::<u32, u64>(),
        _ => return None,
    };
    Some(good)
}

/// For each flag bit, a definition that uses it and that every kernel with the flag creates;
/// `None` for the flags no standalone definition can carry (`vtype_btf_obj_fd`, `path_fd`, the
/// token).
fn known_good_with_flag(bit: u32) -> Option<MapDef> {
    let flag = 1 << bit;
    let good = match flag {
        NO_PREALLOC | NUMA_NODE | RDONLY | WRONLY | ZERO_SEED | RDONLY_PROG | WRONLY_PROG => {
            def(1, 4, 4, 1, flag)
        }
        NO_COMMON_LRU => def(9, 4, 4, 2, flag),
        STACK_BUILD_ID => def(7, 4, 32, 1, flag),
        MMAPABLE | INNER_MAP => def(2, 4, 4, 1, flag),
        PRESERVE_ELEMS => def(4, 4, 4, 1, flag),
        SEGV_ON_FAULT | NO_USER_CONV => def(33, 0, 0, 1, MMAPABLE | flag),
        RB_OVERWRITE => def(27, 0, 0, 4096, flag),
        CLONE => def(24, 4, 8, 0, NO_PREALLOC | flag).with_types::<u32, u64>(),
        _ => return None,
    };
    Some(good)
}

/// The types and flags the rule book knows but this kernel lacks, found by creating a
/// known-good definition of each.
struct Missing {
    types: Vec<u32>,
    flags: u32,
}

impl Missing {
    fn probe() -> Missing {
        let types = MapType::all()
            .map(MapType::raw)
            .filter(|&t| known_good(t).is_some_and(|d| kernel_verdict(&d).is_err()))
            .collect();
        let flags = (0..32)
            .filter(|&bit| known_good_with_flag(bit).is_some_and(|d| kernel_verdict(&d).is_err()))
            .fold(0, |acc, bit| acc | 1 << bit);
        Missing { types, flags }
    }

    /// What of `def` (or its template) this kernel lacks, in words.
    fn used_by(&self, def: &MapDef) -> Option<String> {
        let one = |d: &MapDef| {
            if self.types.contains(&d.map_type.raw()) {
                Some(format!("type {}", d.map_type))
            } else if d.flags.bits() & self.flags != 0 {
                Some(format!("flag {}", MapFlags::from_bits_retain(d.flags.bits() & self.flags)))
            } else {
                None
            }
        };
        one(def).or_else(|| def.inner.and_then(one))
    }
}

// ------------------------------------------------------------------------------------------
// Memory.

/// Definitions the rule book accepts whose estimated kernel memory exceeds this are not sent.
const MEMORY_BUDGET: u128 = 64 << 20;

/// A conservative estimate of the memory (and, for per-CPU elements, the time) that creating
/// `def` costs the kernel, in bytes, template included. Upper bounds, read from each type's
/// `map_alloc`: it only has to be large where the kernel's allocation is large.
fn memory_cost(def: &MapDef, host: &HostLimits) -> u128 {
    own_cost(def, host) + def.inner.map_or(0, |inner| own_cost(inner, host))
}

fn own_cost(def: &MapDef, host: &HostLimits) -> u128 {
    // Each per-CPU element is its own percpu allocation: slow in large numbers, so it counts
    // as more than its bytes.
    const PERCPU_ELEM: u128 = 256;
    let cpus = host.possible_cpus as u128;
    let (k, v, n) = (def.key_size as u128, def.value_size as u128, def.max_entries as u128);
    let r8 = |x: u128| x.div_ceil(8) * 8;
    let pow2 = |x: u128| x.max(1).next_power_of_two();
    let prealloc = !def.flags.contains(MapFlags::NO_PREALLOC);
    let bytes = match def.map_type.raw() {
        // Hash tables: 16-byte buckets, rounded to a power of two; preallocated elements
        // (always for LRU), plus one spare per CPU; per-CPU values apart.
        t @ (1 | 5 | 9 | 10 | 13) => {
            let percpu = matches!(t, 5 | 10);
            let elems = if prealloc || matches!(t, 9 | 10) {
                let count = n + cpus;
                let elem = 64 + r8(k) + if percpu { 8 } else { r8(v) };
                count * elem + if percpu { count * (r8(v) * cpus + PERCPU_ELEM) } else { 0 }
            } else {
                0
            };
            pow2(n) * 16 + elems
        }
        // Arrays: root skips the power-of-two rounding, but the estimate need not.
        2 => pow2(n) * r8(v),
        6 => pow2(n) * (8 + r8(v) * cpus + PERCPU_ELEM),
        // fd arrays: one pointer per entry.
        3 | 4 | 8 | 12 => pow2(n) * 8,
        // Stack traces: a power-of-two bucket table and every element preallocated.
        7 => pow2(n) * 8 + n * (r8(v) + 48),
        // Pointer tables.
        14 | 15 | 16 | 17 | 20 => n * 8,
        25 => pow2(n) * 8,
        18 => pow2(n) * 16,
        22 | 23 => (n + 1) * v,
        // Ring buffers: the data pages (mapped twice, allocated once) and their page table.
        27 | 31 => n + n / 4096 * 16,
        30 => bloom_bytes(def.max_entries, def.map_extra),
        // LPM tries and storages allocate on update; an arena reserves address space only.
        _ => 0,
    };
    bytes + 4096
}

/// The bloom filter's bit array, as `bloom_map_alloc` sizes it (at most 512 MiB).
fn bloom_bytes(max_entries: u32, map_extra: u64) -> u128 {
    let hashes = match map_extra & 0xf {
        0 => 5,
        n => n as u128,
    };
    let bits = max_entries as u128 * hashes / 5 * 7;
    let bits = if bits > 1 << 31 { 1 << 32 } else { bits.max(64).next_power_of_two() };
    bits / 8
}

// ------------------------------------------------------------------------------------------
// The exceptions: every way the rule book and this kernel may disagree, in one place.

/// A class of cases that are not counted as agreement or disagreement, with why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Exception {
    /// (a) The definition (or its template) uses a type or flag this kernel lacks.
    MissingFeature,
    /// (b) The rule book accepts the definition, but creating it would take more real memory
    /// (or time) than the budget.
    Memory,
    /// (b) The rule book refuses the definition, and the kernel might allocate it before
    /// refusing (or create it, were the rule book wrong).
    MemoryRefused,
    /// (c) The name has bytes the kernel's Latin-1 `isalnum()` accepts or bytes past a NUL,
    /// which the rule book refuses on purpose.
    StricterName,
    /// (c) The key's type holds a `SpinLock`, which the rule book refuses on purpose.
    StricterKey,
    /// (c) The types do not describe the sizes, on a map bpfmap creates without BTF (so the
    /// kernel never sees them).
    StricterTypes,
    /// (c) The value's `SpinLock` is one the kernel ignores (in an array of two), creating the
    /// map without it; the rule book refuses it on purpose.
    StricterLock,
}

impl Exception {
    const ALL: [Exception; 7] = [
        Exception::MissingFeature,
        Exception::Memory,
        Exception::MemoryRefused,
        Exception::StricterName,
        Exception::StricterKey,
        Exception::StricterTypes,
        Exception::StricterLock,
    ];

    fn reason(self) -> &'static str {
        match self {
            Exception::MissingFeature => {
                "the type or flag is newer than this kernel (found by probing a known-good definition); \
                 the kernel must refuse these, which is checked, but validate cannot know it"
            }
            Exception::Memory => {
                "validate accepts, but the kernel would allocate more than the budget of real memory \
                 or time (estimate per type); not sent"
            }
            Exception::MemoryRefused => {
                "validate refuses, but the kernel checks some rules (the name) only after allocating, \
                 and would create the map were the rule book wrong: over the budget, not sent either"
            }
            Exception::StricterName => {
                "the kernel accepts Latin-1 letters (0xC0-0xFF but 0xD7/0xF7) and ignores bytes after a \
                 NUL; the rule book keeps names to ASCII [A-Za-z0-9_.] on purpose (portable, printable)"
            }
            Exception::StricterKey => {
                "the kernel looks for locks only in values and takes a key with a SpinLock as bytes; the \
                 rule book refuses it on purpose (a lock compared byte by byte is never taken)"
            }
            Exception::StricterTypes => {
                "the key or value type has another size than the definition, on a map created without \
                 BTF, so the kernel never sees the types; the rule book refuses a definition that \
                 contradicts itself, on purpose"
            }
            Exception::StricterLock => {
                "the kernel ignores a bpf_spin_lock it cannot use (in an array of more than one) and \
                 creates the map without it, so BPF_F_LOCK fails later; the rule book refuses it on \
                 purpose (where both refuse, the rule book's errno is its own rule's: not compared)"
            }
        }
    }
}

/// Whether the kernel's `bpf_obj_name_cpy` accepts the 16 bytes sent for `name`.
fn kernel_accepts_name(name: &MapName) -> bool {
    let bytes = name.as_bytes();
    let Some(end) = bytes.iter().position(|&b| b == 0).or((bytes.len() < 16).then_some(bytes.len())) else {
        return false;
    };
    // The kernel's ctype table is Latin-1: 0xC0-0xFF are letters, except × and ÷.
    let alnum = |b: u8| b.is_ascii_alphanumeric() || (b >= 0xc0 && b != 0xd7 && b != 0xf7);
    bytes[..end].iter().all(|&b| alnum(b) || b == b'_' || b == b'.')
}

/// `def` as the kernel judges it, template included: without its name where the kernel takes
/// the name, with the lock in a key replaced by a u32 (the kernel does not look for locks in
/// keys), and without types where they are not sent. The rule book refuses these on purpose:
/// [`Exception::StricterName`], [`Exception::StricterKey`], [`Exception::StricterTypes`].
fn as_the_kernel_sees(def: &MapDef) -> MapDef {
    let one = |d: &MapDef| {
        let mut judged = if kernel_accepts_name(&d.name) { d.with_name(MapName::EMPTY) } else { *d };
        if sent_with_btf(d) {
            judged.key_type = d.key_type.map(lock_free_twin);
        } else {
            (judged.key_type, judged.value_type) = (None, None);
        }
        judged
    };
    let mut judged = one(def);
    judged.inner = def.inner.map(|inner| &*Box::leak(Box::new(one(inner))));
    judged
}

fn name_of(desc: Option<&TypeDesc>) -> String {
    desc.map_or("-".to_string(), TypeDesc::name_or_kind)
}

/// Whether the value of `def` or its template holds a lock the kernel ignores.
fn ignored_lock(def: &MapDef) -> bool {
    let ignored = |d: &MapDef| {
        d.value_type.and_then(TypeDesc::spin_lock_error).is_some_and(|error| error.load_errno.is_none())
    };
    ignored(def) || def.inner.is_some_and(ignored)
}

/// The exception of a definition the kernel creates and the rule book refuses on purpose, by
/// the rule it breaks.
fn stricter(def: &MapDef, validate: Result<(), RuleError>) -> Outcome {
    match validate {
        Err(RuleError::SpinLock { subject: Subject::Key, .. }) => {
            Outcome::Exception(Exception::StricterKey, name_of(def.key_type))
        }
        Err(RuleError::TypeSize { subject, size, described }) => Outcome::Exception(
            Exception::StricterTypes,
            format!("{subject:?} {size} bytes, described {described:?}"),
        ),
        _ => Outcome::Exception(Exception::StricterName, format!("{:?}", def.name)),
    }
}

// ------------------------------------------------------------------------------------------
// Key and value types.

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Pair {
    a: u32,
    b: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Flow {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

/// A u64 and two u32s: the size of a cgroup storage key, not its two members.
#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct ThreeMembers {
    id: u64,
    kind: u32,
    extra: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Locked {
    lock: SpinLock,
    n: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct LockedLate {
    bytes: u64,
    packets: u32,
    lock: SpinLock,
}

/// A typedef of u32, as a repr(transparent) wrapper is described.
#[repr(transparent)]
#[derive(Clone, Copy, Pod)]
struct Fd(u32);

/// A Pod type without a description of its own: opaque bytes.
#[repr(C)]
#[derive(Clone, Copy)]
struct Raw6([u8; 6]);
// SAFETY: six bytes, any bit pattern; no padding.
unsafe impl Pod for Raw6 {}

/// Two locks in one struct, and locks in an array of two: what `#[derive(Pod)]` refuses, as
/// hand-written descriptions.
static TWO_LOCKS: TypeDesc = TypeDesc::Struct {
    name: "TwoLocks",
    size: 8,
    members: &[
        bpfmap::btf::Member { name: "a", offset: 0, ty: &bpfmap::btf::SPIN_LOCK },
        bpfmap::btf::Member { name: "b", offset: 4, ty: &bpfmap::btf::SPIN_LOCK },
    ],
};
static LOCKS_IN_ARRAY: TypeDesc = TypeDesc::array(<Locked as Pod>::BTF, 2);
/// The same array as a member: the kernel looks for locks in structs only.
static LOCKS_IN_MEMBER: TypeDesc = TypeDesc::Struct {
    name: "LockPair",
    size: 16,
    members: &[bpfmap::btf::Member { name: "locks", offset: 0, ty: &LOCKS_IN_ARRAY }],
};

/// Lock-free twins of the types with a lock, member for member (a `u32` where the lock is),
/// to judge a key with a lock as the kernel does: it does not look for locks in keys.
static LOCK_TWIN: TypeDesc = TypeDesc::Struct {
    name: "LockTwin",
    size: 4,
    members: &[bpfmap::btf::Member { name: "val", offset: 0, ty: &bpfmap::btf::U32 }],
};
static LOCKED_TWIN: TypeDesc = TypeDesc::Struct {
    name: "LockedTwin",
    size: 8,
    members: &[
        bpfmap::btf::Member { name: "lock", offset: 0, ty: &LOCK_TWIN },
        bpfmap::btf::Member { name: "n", offset: 4, ty: &bpfmap::btf::U32 },
    ],
};

/// The types keys and values are drawn from: every kind the kernel's `map_check_btf` rules
/// tell apart (ints of each size, a typedef of one, arrays, structs of every key rule,
/// opaque bytes, values with a lock, and the lock rules `#[derive(Pod)]` keeps out).
fn type_pool() -> Vec<&'static TypeDesc> {
    vec![
        <u8 as Pod>::BTF,
        <u16 as Pod>::BTF,
        <u32 as Pod>::BTF,
        <i32 as Pod>::BTF,
        <u64 as Pod>::BTF,
        <Fd as Pod>::BTF,
        <[u8; 4] as Pod>::BTF,
        <[u32; 2] as Pod>::BTF,
        <[u8; 16] as Pod>::BTF,
        <Pair as Pod>::BTF,
        <Flow as Pod>::BTF,
        <ThreeMembers as Pod>::BTF,
        <CgroupStorageKey as Pod>::BTF,
        <LpmKey<[u8; 4]> as Pod>::BTF,
        <Raw6 as Pod>::BTF,
        <SpinLock as Pod>::BTF,
        <Locked as Pod>::BTF,
        <LockedLate as Pod>::BTF,
        <[Locked; 1] as Pod>::BTF,
        &LOCKS_IN_ARRAY,
        &LOCKS_IN_MEMBER,
        &TWO_LOCKS,
    ]
}

/// The pool's types a key is drawn from: those with a lock only where [`lock_free_twin`] has
/// the twin that judges them.
fn key_pool() -> Vec<&'static TypeDesc> {
    let keyless_locks =
        [<LockedLate as Pod>::BTF, <[Locked; 1] as Pod>::BTF, &LOCKS_IN_ARRAY, &LOCKS_IN_MEMBER, &TWO_LOCKS];
    type_pool().into_iter().filter(|desc| !keyless_locks.contains(desc)).collect()
}

/// `desc` with its lock replaced by a u32 ([`LOCK_TWIN`]), for the types of the pool that have
/// one in a place a key may hold it.
fn lock_free_twin(desc: &'static TypeDesc) -> &'static TypeDesc {
    if desc == <SpinLock as Pod>::BTF {
        &LOCK_TWIN
    } else if desc == <Locked as Pod>::BTF {
        &LOCKED_TWIN
    } else {
        desc
    }
}

// ------------------------------------------------------------------------------------------
// The strategy.

/// What a plausible definition of each type looks like, so that a good share of cases is
/// accepted: written from the kernel's uapi documentation, not from the rule book. Every field
/// is also drawn from generic pools, so the hints only bias.
struct Hints {
    keys: &'static [u32],
    values: &'static [u32],
    entries: &'static [u32],
    flags: u32,
    /// Flags the type needs, added to most cases.
    required: u32,
}

const HASH_FLAGS: u32 = NO_PREALLOC | NO_COMMON_LRU | NUMA_NODE | ACCESS | ZERO_SEED;
const SMALL_ENTRIES: &[u32] = &[1, 2, 3, 16, 100, 1024, 4096];

fn hints(map_type: u32) -> Hints {
    let h = |keys, values, entries, flags| Hints { keys, values, entries, flags, required: 0 };
    match map_type {
        1 | 5 | 9 | 10 => h(&[1, 2, 4, 8, 16, 64], &[1, 4, 8, 16, 64, 512], SMALL_ENTRIES, HASH_FLAGS),
        13 => h(&[1, 4, 8, 16], &[4, 8], SMALL_ENTRIES, HASH_FLAGS),
        2 | 6 => {
            h(&[4], &[1, 4, 8, 64, 4096, 32768], SMALL_ENTRIES, NUMA_NODE | ACCESS | MMAPABLE | INNER_MAP)
        }
        3 | 4 | 8 | 12 => h(&[4], &[4], &[0, 1, 2, 64], NUMA_NODE | RDONLY | WRONLY | PRESERVE_ELEMS),
        7 => h(
            &[4],
            &[8, 16, 64, 1016, 1024, 32, 4064, 4096],
            SMALL_ENTRIES,
            NUMA_NODE | RDONLY | WRONLY | STACK_BUILD_ID,
        ),
        11 => Hints {
            required: NO_PREALLOC,
            ..h(&[5, 8, 20, 260], &[1, 4, 8], SMALL_ENTRIES, NO_PREALLOC | NUMA_NODE | ACCESS)
        },
        14 | 25 => h(&[4], &[4, 8], &[1, 64, 256], NUMA_NODE | RDONLY | WRONLY),
        15 | 17 => h(&[4], &[4, 8], &[1, 64, 256], NUMA_NODE | RDONLY | WRONLY),
        18 => h(&[1, 4, 8, 512], &[4, 8], &[1, 64, 256], NUMA_NODE | RDONLY | WRONLY),
        16 => h(&[4], &[4, 8], &[1, 2, 64, 256, 257], NUMA_NODE),
        19 | 21 => h(&[8, 16], &[1, 4, 8, 4096, 32768, 65407], &[0], NUMA_NODE | ACCESS),
        20 => h(&[4], &[4, 8], SMALL_ENTRIES, NUMA_NODE | ACCESS),
        22 | 23 | 30 => h(&[0], &[1, 4, 8, 64, 4096], SMALL_ENTRIES, NUMA_NODE | ACCESS | ZERO_SEED),
        27 | 31 => h(&[0], &[0], &[4096, 8192, 65536, 1 << 20], NUMA_NODE | RB_OVERWRITE),
        33 => Hints {
            required: MMAPABLE,
            ..h(&[0], &[0], &[1, 2, 16, 1024, 1 << 20], MMAPABLE | SEGV_ON_FAULT | NO_USER_CONV)
        },
        24 | 28 | 29 | 32 => Hints { required: NO_PREALLOC, ..h(&[4], &[4, 8], &[0], NO_PREALLOC | CLONE) },
        26 => h(&[4], &[256], &[1], LINK | VTYPE_BTF_OBJ_FD),
        34 => h(&[4], &[8], &[1, 256], 0),
        _ => h(&[4, 8], &[4, 8], SMALL_ENTRIES, NO_PREALLOC | NUMA_NODE | ACCESS),
    }
}

/// Sizes every type meets: none, tiny, the common ones.
const COMMON_SIZES: &[u32] = &[0, 1, 2, 4, 5, 8, 12, 16, 32, 64];
/// The sizes where some rule changes: LPM keys (260), sockhash keys (512), per-CPU values
/// (32 KiB), storage values (65407), LPM values (4 MiB - 280), hash elements (4 MiB - 49),
/// KMALLOC_MAX_SIZE (4 MiB), INT_MAX, u32::MAX.
const EDGE_SIZES: &[u32] = &[
    0,
    1,
    4,
    5,
    8,
    12,
    16,
    32,
    260,
    261,
    512,
    513,
    32760,
    32761,
    32768,
    32769,
    65407,
    65408,
    4194024,
    4194025,
    4194251,
    4194252,
    4194255,
    4194256,
    4194304,
    4194305,
    i32::MAX as u32,
    i32::MAX as u32 + 1,
    u32::MAX,
];
/// The counts where some rule changes: bucket tables (2^27), power-of-two rounding (2^31),
/// CONFIG_NR_CPUS (256), arena pages (2^20), u32 overflow.
const EDGE_ENTRIES: &[u32] = &[
    0,
    1,
    255,
    256,
    257,
    4095,
    4096,
    4097,
    12288,
    1 << 20,
    (1 << 20) + 1,
    1 << 27,
    (1 << 27) + 1,
    1 << 31,
    (1 << 31) + 1,
    u32::MAX - 1,
    u32::MAX,
];

fn size(hinted: &'static [u32]) -> impl Strategy<Value = u32> {
    prop_oneof![
        12 => prop::sample::select(hinted),
        4 => prop::sample::select(COMMON_SIZES),
        1 => 0u32..=65536,
    ]
}

fn max_entries(hinted: &'static [u32]) -> impl Strategy<Value = u32> {
    prop_oneof![
        12 => prop::sample::select(hinted),
        6 => 0u32..=64,
        // Powers of two and page multiples, mostly affordable.
        2 => (0u32..=20).prop_map(|shift| 1 << shift),
        1 => (1u32..=64).prop_map(|pages| pages * 4096),
    ]
}

/// `(key_size, value_size, max_entries)`. Sizes and counts at their limits come apart: a
/// definition with a huge key or value gets a tiny count, and one with a huge count gets
/// the type's plausible sizes, so that most cases stay within the memory budget and each
/// limit is still reached.
fn shape(hints: Hints) -> impl Strategy<Value = (u32, u32, u32)> {
    let tiny = prop::sample::select(&[0u32, 1, 2, 3][..]);
    prop_oneof![
        16 => (size(hints.keys), size(hints.values), max_entries(hints.entries)),
        2 => (prop::sample::select(EDGE_SIZES), size(hints.values), tiny.clone()),
        2 => (size(hints.keys), prop::sample::select(EDGE_SIZES), tiny),
        1 => (size(hints.keys), size(hints.values), prop_oneof![prop::sample::select(EDGE_ENTRIES), any::<u32>()]),
    ]
}

/// A flag set: mostly none or some of the type's plausible flags, sometimes one stray bit,
/// sometimes anything in bits 0..=20 (bit 20 is no flag of any kernel).
fn flags(plausible: u32, required: u32) -> impl Strategy<Value = u32> {
    let bits = prop_oneof![
        3 => Just(0u32),
        5 => (any::<u32>(), any::<u32>()).prop_map(move |(a, b)| a & b & plausible),
        2 => (any::<u32>(), any::<u32>(), 0u32..=20).prop_map(move |(a, b, bit)| a & b & plausible | 1 << bit),
        1 => (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(a, b, c)| a & b & c & 0x1f_ffff),
    ];
    (bits, prop::bool::weighted(0.85)).prop_map(move |(bits, add)| if add { bits | required } else { bits })
}

/// `(numa_node flag, numa_node)`: mostly no flag (the node is then ignored, whatever it is),
/// else node 0 or a node that is offline here; u32::MAX is the kernel's NUMA_NO_NODE.
fn numa() -> impl Strategy<Value = (bool, u32)> {
    prop_oneof![
        8 => prop_oneof![Just(0u32), any::<u32>()].prop_map(|node| (false, node)),
        3 => Just((true, 0u32)),
        1 => prop::sample::select(&[1u32, 2, 7, 63, 64, 255, 1023, 65535, u32::MAX - 1, u32::MAX][..])
            .prop_map(|node| (true, node)),
    ]
}

fn map_extra(map_type: u32) -> BoxedStrategy<u64> {
    const GIB4: u64 = 1 << 32;
    match map_type {
        // Bloom filter: the hash count in the low 4 bits.
        30 => prop_oneof![
            6 => 0u64..=16,
            1 => any::<u64>(),
            1 => prop::sample::select(&[0x10u64, 0x11, 1 << 32, 1 << 63][..]),
        ]
        .boxed(),
        // Arena: the user address, page-aligned or not, with its range inside a 4 GiB window
        // or across one.
        33 => prop_oneof![
            3 => Just(0u64),
            3 => (1u64..=1 << 35).prop_map(|page| page * 4096),
            3 => (1u64..=64, 0u64..=4096).prop_map(|(window, pages)| window * GIB4 - pages * 4096),
            1 => (1u64..=1 << 47).prop_map(|addr| addr | 1),
            1 => any::<u64>(),
        ]
        .boxed(),
        _ => prop_oneof![
            30 => Just(0u64),
            1 => 1u64..=16,
            1 => any::<u64>(),
        ]
        .boxed(),
    }
}

/// Raw bytes: Latin-1 letters the kernel takes, × and ÷ and ª it does not, a NUL in the middle.
const RAW_NAMES: &[&[u8]] = &[b"caf\xe9", b"\xc0\xff", b"\xdf", b"a\xd7", b"b\xf7", b"ab\0junk", b"\xaa"];

fn name() -> impl Strategy<Value = MapName> {
    let ascii = |s: &'static str| MapName::new(s);
    prop_oneof![
        6 => Just(MapName::EMPTY),
        6 => prop::sample::select(&["m", "flows", "ok_name.v1", ".data", "A_9"][..]).prop_map(ascii),
        // The longest name (15 bytes), one too long (16: no room for the NUL), and longer.
        2 => "[A-Za-z0-9_.]{15}".prop_map(|s| MapName::new(&s)),
        1 => "[A-Za-z0-9_.]{16}".prop_map(|s| MapName::new(&s)),
        1 => "[a-z]{17,24}".prop_map(|s| MapName::new(&s)),
        2 => prop::sample::select(&["bad-name", "a b", "x/y", "café", "tab\t", "ü"][..]).prop_map(ascii),
        1 => prop::sample::select(RAW_NAMES).prop_map(MapName::from_bytes),
    ]
}

/// A map definition of a random type (0..=36: released types, the 6.19 type this kernel lacks,
/// and numbers no kernel has); map-of-maps get an inner template from `inner`.
fn definition(inner: Option<BoxedStrategy<MapDef>>) -> BoxedStrategy<MapDef> {
    let map_type = prop_oneof![
        30 => prop::sample::select((1u32..=33).filter(|&t| t != 26).collect::<Vec<_>>()),
        // struct_ops needs the kernel's BTF and is refused whatever the rest: fewer cases.
        1 => Just(26u32),
        2 => 34u32..=36,
        1 => Just(0u32),
    ];
    map_type
        .prop_flat_map(move |t| {
            let hints = hints(t);
            let inner = match (&inner, t) {
                (Some(inner), 12 | 13) => prop_oneof![
                    1 => Just(None),
                    12 => inner.clone().prop_map(|d| Some(&*Box::leak(Box::new(d)))),
                ]
                .boxed(),
                _ => Just(None).boxed(),
            };
            let keyless = hints.keys == [0];
            let types = types(t, keyless);
            (
                Just(t),
                flags(hints.flags, hints.required),
                shape(hints),
                numa(),
                map_extra(t),
                name(),
                inner,
                types,
            )
        })
        .prop_map(|(t, flags, (key, value, entries), (numa_flag, node), extra, name, inner, types)| {
            let mut d = def(t, key, value, entries, flags | if numa_flag { NUMA_NODE } else { 0 })
                .with_map_extra(extra)
                .with_name(name);
            d.numa_node = node;
            if let Some(inner) = inner {
                d = d.with_inner(inner);
            }
            if let Some(Types { key, value, sized }) = types {
                d.key_type = key;
                d.value_type = Some(value);
                if sized {
                    d.key_size = key.map_or(0, |k| k.size().expect("sized"));
                    d.value_size = value.size().expect("sized");
                }
            }
            d
        })
        .boxed()
}

/// The key and value types of a definition, as `#[bpf_map]` or `with_types` give them.
#[derive(Clone, Debug)]
struct Types {
    key: Option<&'static TypeDesc>,
    value: &'static TypeDesc,
    /// Whether the sizes are the types' (else the drawn sizes stay, and mostly differ).
    sized: bool,
}

/// Types for most local storage definitions and for some of every other type; keyless types
/// mostly get no key type.
fn types(map_type: u32, keyless: bool) -> BoxedStrategy<Option<Types>> {
    let typed = if matches!(map_type, 24 | 28 | 29 | 32) { 0.9 } else { 0.3 };
    let key = if keyless {
        prop_oneof![9 => Just(None), 1 => prop::sample::select(key_pool()).prop_map(Some)].boxed()
    } else {
        prop_oneof![
            // Local storage keys are fds: the 4-byte ints come often.
            2 => prop::sample::select(vec![<u32 as Pod>::BTF, <i32 as Pod>::BTF, <Fd as Pod>::BTF]).prop_map(Some),
            5 => prop::sample::select(key_pool()).prop_map(Some),
        ]
        .boxed()
    };
    let value = prop::sample::select(type_pool());
    let types =
        (key, value, prop::bool::weighted(0.85)).prop_map(|(key, value, sized)| Types { key, value, sized });
    prop::option::weighted(typed, types).boxed()
}

// ------------------------------------------------------------------------------------------
// The comparison.

/// What happened to one case.
enum Outcome {
    /// Sent; the kernel and the rule book agree. `errno`: both refused, with these errnos
    /// (rule book, kernel).
    Agree { errnos: Option<(Errno, Errno)> },
    /// Sent; they disagree.
    Disagree { kernel: Result<(), Errno> },
    /// Both accept; bpfmap creates it without its types' BTF, which the kernel takes.
    BtfTaken,
    /// Counted in an exception class, with what makes it one.
    Exception(Exception, String),
}

fn compare(def: &MapDef, host: &HostLimits, missing: &Missing) -> Outcome {
    let validate = def.validate_on(host);
    // Nothing over the budget is sent, whatever validate says: the kernel allocates before
    // some of its checks (the name comes after `map_alloc`), so a definition it refuses can
    // still cost its full size, and one the rule book wrongly refuses would be created. Such
    // a refused `perf_event_array` of 2^31+ entries (16 GiB) made 6.18 oops when freeing it
    // (`fd_array_map_free` counts entries in an `int`), leaking the memory until reboot.
    let cost = memory_cost(def, host);
    if cost > MEMORY_BUDGET {
        let class = if validate.is_ok() { Exception::Memory } else { Exception::MemoryRefused };
        return Outcome::Exception(class, format!("~{} MiB", cost >> 20));
    }
    if let Some(what) = missing.used_by(def) {
        // Sent all the same: the exception holds only if the kernel does refuse.
        return match kernel_verdict(def) {
            Err(errno) => {
                Outcome::Exception(Exception::MissingFeature, format!("{what}: kernel {}", errno.name()))
            }
            Ok(()) => Outcome::Disagree { kernel: Ok(()) },
        };
    }
    let kernel = kernel_verdict(def);
    // What the rule book refuses on purpose (names the kernel takes, locks in keys) is set
    // aside, and the rest of the definition judged: a refusal for it alone is an exception,
    // and where both refuse, the errno is the one of the rule the kernel applies.
    if ignored_lock(def) {
        return match kernel {
            Ok(()) => Outcome::Exception(Exception::StricterLock, name_of(def.value_type)),
            Err(_) if validate.is_err() => Outcome::Agree { errnos: None },
            Err(errno) => Outcome::Disagree { kernel: Err(errno) },
        };
    }
    let judged = as_the_kernel_sees(def).validate_on(host);
    match (judged, kernel) {
        (Ok(()), Ok(())) if validate.is_err() => stricter(def, validate),
        // Where bpfmap leaves the types' BTF out, it is because the kernel would refuse it:
        // asked with it, the kernel must refuse.
        (Ok(()), Ok(())) if def.value_type.is_some() && !sent_with_btf(def) => {
            match kernel_verdict_btf(def, true) {
                Ok(()) => Outcome::BtfTaken,
                Err(_) => Outcome::Agree { errnos: None },
            }
        }
        (Ok(()), Ok(())) => Outcome::Agree { errnos: None },
        (Err(rule), Err(errno)) => Outcome::Agree { errnos: Some((rule.errno(), errno)) },
        (_, kernel) => Outcome::Disagree { kernel },
    }
}

/// The name of a `RuleError` variant, to group errno disagreements.
fn rule_name(rule: &RuleError) -> String {
    let debug = format!("{rule:?}");
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

#[derive(Default)]
struct Report {
    cases: u64,
    /// Sent to the kernel (compared, or sent to confirm an exception).
    sent: u64,
    /// Sent and judged: agreements and disagreements.
    compared: u64,
    /// Of those, sent with the BTF of their types; and without, where the kernel was also
    /// asked with it and refused it.
    compared_with_btf: u64,
    btf_refusals: u64,
    agreed: u64,
    disagreements: Vec<String>,
    exceptions: BTreeMap<Exception, (u64, Vec<String>)>,
    errno_compared: u64,
    errno_agreed: u64,
    /// (type, rule broken, rule book errno, kernel errno) → count, one example.
    errno_mismatches: BTreeMap<(String, String, &'static str, &'static str), (u64, String)>,
    /// Per type: cases, time spent.
    time_by_type: BTreeMap<String, (u64, std::time::Duration)>,
}

impl Report {
    fn record(&mut self, def: &MapDef, host: &HostLimits, outcome: Outcome) {
        self.cases += 1;
        if matches!(outcome, Outcome::Agree { .. } | Outcome::Disagree { .. }) && def.value_type.is_some() {
            if sent_with_btf(def) {
                self.compared_with_btf += 1;
            } else if def.validate_on(host).is_ok() {
                self.btf_refusals += 1;
            }
        }
        match outcome {
            Outcome::Agree { errnos } => {
                self.sent += 1;
                self.compared += 1;
                self.agreed += 1;
                if let Some((rule_errno, kernel_errno)) = errnos {
                    self.errno_compared += 1;
                    if rule_errno == kernel_errno {
                        self.errno_agreed += 1;
                    } else {
                        let rule = as_the_kernel_sees(def).validate_on(host).unwrap_err();
                        let key = (
                            def.map_type.to_string(),
                            rule_name(&rule),
                            rule_errno.name(),
                            kernel_errno.name(),
                        );
                        let entry = self.errno_mismatches.entry(key).or_insert((0, format!("{def:?}")));
                        entry.0 += 1;
                    }
                }
            }
            Outcome::Disagree { kernel } => {
                self.sent += 1;
                self.compared += 1;
                let kernel = match kernel {
                    Ok(()) => "creates it".to_string(),
                    Err(errno) => format!("refuses it with {}", errno.name()),
                };
                let validate = match def.validate_on(host) {
                    Ok(()) => "accepts it".to_string(),
                    Err(e) => format!("refuses it: {e}"),
                };
                self.disagreements.push(format!("{def:?}\n    validate {validate}\n    the kernel {kernel}"));
            }
            Outcome::BtfTaken => {
                self.sent += 1;
                self.compared += 1;
                self.disagreements.push(format!(
                    "{def:?}\n    bpfmap creates it without BTF (takes_btf is false), but the kernel takes its BTF"
                ));
            }
            Outcome::Exception(class, detail) => {
                if matches!(
                    class,
                    Exception::MissingFeature | Exception::StricterName | Exception::StricterKey
                ) {
                    self.sent += 1;
                }
                let entry = self.exceptions.entry(class).or_default();
                entry.0 += 1;
                if entry.1.len() < 3 {
                    entry.1.push(format!("{detail}: {def}"));
                }
            }
        }
    }

    fn summary(&self, elapsed: std::time::Duration, missing: &Missing) -> String {
        let pct = |n: u64, d: u64| if d == 0 { 100.0 } else { n as f64 * 100.0 / d as f64 };
        let compared = self.compared;
        let mut s = String::new();
        let _ = writeln!(s, "differential test: rule book vs. kernel {}", kernel_release());
        let _ = writeln!(
            s,
            "  kernel lacks: types {:?}, flags {}",
            missing.types,
            MapFlags::from_bits_retain(missing.flags)
        );
        let _ = writeln!(s, "  cases:                 {}", self.cases);
        let _ = writeln!(s, "  sent to the kernel:    {}", self.sent);
        let _ = writeln!(
            s,
            "  agreement:             {} / {} compared ({:.2}%)",
            self.agreed,
            compared,
            pct(self.agreed, compared)
        );
        let _ = writeln!(
            s,
            "  with types:            {} compared with their BTF; {} created without, whose BTF the kernel refused",
            self.compared_with_btf, self.btf_refusals
        );
        let _ = writeln!(s, "  disagreements:         {}", self.disagreements.len());
        let _ = writeln!(s, "  exceptions:");
        for class in Exception::ALL {
            let (count, examples) = self.exceptions.get(&class).cloned().unwrap_or_default();
            let _ = writeln!(
                s,
                "    {class:?}: {count} ({:.2}% of cases): {}",
                pct(count, self.cases),
                class.reason()
            );
            for example in examples {
                let _ = writeln!(s, "      e.g. {example}");
            }
        }
        let _ = writeln!(
            s,
            "  errno agreement (both refuse): {} / {} ({:.2}%)",
            self.errno_agreed,
            self.errno_compared,
            pct(self.errno_agreed, self.errno_compared)
        );
        for ((map_type, rule, ours, theirs), (count, example)) in &self.errno_mismatches {
            let _ =
                writeln!(s, "    {count:5} {map_type}: {rule} says {ours}, kernel {theirs}; e.g. {example}");
        }
        let _ = writeln!(s, "  time: {elapsed:.1?}; slowest types:");
        let mut slowest: Vec<_> = self.time_by_type.iter().collect();
        slowest.sort_by_key(|(_, (_, t))| std::cmp::Reverse(*t));
        for (map_type, (n, t)) in slowest.iter().take(6) {
            let _ = writeln!(s, "    {map_type}: {n} cases, {t:.1?}");
        }
        s
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// `PROPTEST_CASES` if set, else 10,000; `PROPTEST_RNG_SEED` if set, else a fresh seed that is
/// printed so that a failing run can be replayed.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 10_000;
    }
    if config.rng_seed == RngSeed::Random {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        config.rng_seed = RngSeed::Fixed(nanos.as_nanos() as u64 ^ u64::from(std::process::id()));
    }
    // Cases are drawn, never shrunk (a disagreement is recorded, not failed on the spot), so
    // nothing is persisted either.
    config.failure_persistence = None;
    config
}

#[test]
fn rule_book_agrees_with_the_kernel() {
    require_kernel!();
    ensure_std_fds();
    let host = HostLimits::current();
    let missing = Missing::probe();
    let config = config();
    let cases = config.cases;
    if let RngSeed::Fixed(seed) = config.rng_seed {
        println!("differential: {cases} cases, PROPTEST_RNG_SEED={seed}");
    }
    let mut runner = TestRunner::new(config);
    let strategy = definition(Some(definition(None)));

    let start = Instant::now();
    let mut report = Report::default();
    for _ in 0..cases {
        let def = strategy.new_tree(&mut runner).expect("the strategy rejects nothing").current();
        let started = Instant::now();
        let outcome = compare(&def, host, &missing);
        let t = report.time_by_type.entry(def.map_type.to_string()).or_default();
        t.0 += 1;
        t.1 += started.elapsed();
        report.record(&def, host, outcome);
    }
    let summary = report.summary(start.elapsed(), &missing);
    println!("{summary}");

    let shown: Vec<_> = report.disagreements.iter().take(30).collect();
    assert!(
        report.disagreements.is_empty(),
        "{} definitions where the rule book and the kernel disagree (first {}):\n{}",
        report.disagreements.len(),
        shown.len(),
        shown.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    );
    // The rule book also follows the kernel's order of checks, so where both refuse, the
    // errno is the same (100% on 6.18; the mismatches are listed in the summary above).
    assert_eq!(
        report.errno_agreed, report.errno_compared,
        "the rule book and the kernel refuse with different errnos (see the summary)"
    );
}
