//! What the kernel says of the blobs the builder writes: `BPF_BTF_LOAD` accepts them and
//! reports its reading in the log, the object reads back byte for byte and parses to the
//! same layouts; a broken blob fails with EINVAL and a log that says why.
//!
//! Run as root (or with `CAP_BPF`); where `bpf()` is refused they skip with a message, or
//! fail when `BPFMAP_REQUIRE_KERNEL=1`. Miri cannot make syscalls: it skips them.

use std::os::fd::AsFd;
use std::sync::OnceLock;

use super::test_blob::RawBtf;
use super::{
    Btf, BtfBuilder, F32, F64, I8, I16, I32, I64, I128, Member, SPIN_LOCK, TypeDesc, U8, U16, U32, U64, U128,
    diff_layout,
};
use crate::{Errno, MapDef, MapType, sys};

/// Whether this process can use `bpf()`: the same probe and policy as `tests/support`.
fn kernel_available() -> bool {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    match AVAILABLE.get_or_init(|| {
        crate::create_map(&MapDef::new(MapType::ARRAY, 4, 4, 1)).map(drop).map_err(|e| e.to_string())
    }) {
        Ok(()) => true,
        Err(why) if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") => {
            panic!("BPFMAP_REQUIRE_KERNEL=1 but bpf() is refused here: {why}")
        }
        Err(why) => {
            eprintln!("skipping kernel test: bpf() is refused here ({why}); run as root or with CAP_BPF");
            false
        }
    }
}

macro_rules! require_kernel {
    () => {
        if !kernel_available() {
            return;
        }
    };
}

static PORT: TypeDesc = TypeDesc::Typedef { name: "Port", ty: &U16 };

static FLOW_KEY: TypeDesc = TypeDesc::Struct {
    name: "FlowKey",
    size: 12,
    members: &[
        Member { name: "saddr", offset: 0, ty: &U32 },
        Member { name: "daddr", offset: 4, ty: &U32 },
        Member { name: "sport", offset: 8, ty: &PORT },
        Member { name: "dport", offset: 10, ty: &PORT },
    ],
};

/// Every kind the builder writes: integers, a float, a nested struct, arrays, a typedef,
/// opaque bytes and a spin lock.
static FLOW_STATE: TypeDesc = TypeDesc::Struct {
    name: "FlowState",
    size: 64,
    members: &[
        Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
        Member { name: "rate", offset: 4, ty: &F32 },
        Member { name: "key", offset: 8, ty: &FLOW_KEY },
        Member { name: "history", offset: 20, ty: &TypeDesc::Array { elem: &I8, len: 4 } },
        Member { name: "mean", offset: 24, ty: &F64 },
        Member { name: "delta", offset: 32, ty: &I16 },
        Member { name: "raw", offset: 34, ty: &TypeDesc::Opaque { size: 6 } },
        Member { name: "bytes", offset: 40, ty: &I64 },
        Member { name: "total", offset: 48, ty: &U128 },
    ],
};

fn text(log: &[u8]) -> String {
    String::from_utf8_lossy(log).into_owned()
}

#[test]
#[cfg_attr(miri, ignore)]
fn loads_reads_back_and_parses_to_the_same_layouts() {
    require_kernel!();
    let descs: [&'static TypeDesc; 9] =
        [&FLOW_KEY, &FLOW_STATE, &U8, &U64, &I32, &I128, &PORT, &SPIN_LOCK, &F64];
    let mut builder = BtfBuilder::new();
    let ids: Vec<u32> = descs.iter().map(|d| builder.add(d).unwrap()).collect();
    let blob = builder.finish();

    let mut log = Vec::new();
    let fd = sys::btf_load(&blob, &mut log).unwrap_or_else(|e| panic!("{e}:\n{}", text(&log)));
    let log = text(&log);
    assert!(log.starts_with("magic: 0xeb9f\n"), "{log}");
    assert!(log.contains("] STRUCT FlowState size=64 vlen=9"), "{log}");
    assert!(log.contains("] STRUCT bpf_spin_lock size=4 vlen=1"), "{log}");
    assert!(log.contains("] FLOAT f32 size=4"), "{log}");
    assert!(log.contains("] INT u8 size=1 bits_offset=0 nr_bits=8 encoding=(none)"), "{log}");
    assert!(log.contains("] INT i128 size=16 bits_offset=0 nr_bits=128 encoding=SIGNED"), "{log}");

    let object = sys::btf_info(fd.as_fd()).unwrap();
    assert!(object.id > 0);
    assert!(!object.kernel_btf);
    assert_eq!(object.name, "");
    assert_eq!(object.data, blob, "the kernel keeps the blob as loaded");

    let by_id = sys::btf_fd_by_id(object.id).unwrap();
    let again = sys::btf_info(by_id.as_fd()).unwrap();
    assert_eq!(again.id, object.id);
    let btf = Btf::parse(&again.data).unwrap();
    for (desc, id) in descs.iter().zip(ids) {
        assert_eq!(diff_layout(desc, &btf, id), None, "{desc:?}");
        assert_eq!(btf.size_of(id), Ok(desc.size().unwrap()));
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_member_past_its_struct_fails_with_einval_and_the_reason() {
    require_kernel!();
    // `b` starts inside the struct's 6 bytes and ends past them; the builder refuses this.
    let blob = RawBtf::new().int("u32", 4, 0).strukt("Broken", 6, &[("a", 1, 0), ("b", 1, 4)]).finish();
    let mut log = Vec::new();
    let err = sys::btf_load(&blob, &mut log).unwrap_err();
    let log = text(&log);
    assert_eq!(err, Errno::EINVAL, "{log}");
    assert!(
        log.contains(
            "[2] STRUCT Broken size=6 vlen=2\n\tb type_id=1 bits_offset=32 Member exceeds struct_size"
        ),
        "{log}"
    );

    // A member starting past the end is caught earlier, in the kernel's first pass.
    let blob = RawBtf::new().int("u32", 4, 0).strukt("Broken", 6, &[("a", 1, 0), ("b", 1, 8)]).finish();
    let mut log = Vec::new();
    assert_eq!(sys::btf_load(&blob, &mut log).map(drop), Err(Errno::EINVAL));
    assert!(text(&log).contains("Member bits_offset exceeds its struct size"), "{}", text(&log));
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_log_larger_than_its_buffer_is_retried_whole() {
    require_kernel!();
    let mut builder = BtfBuilder::new();
    builder.add(&FLOW_STATE).unwrap();
    let blob = builder.finish();
    let mut log = Vec::new();
    sys::btf_load_with(&blob, &mut log, 128).unwrap_or_else(|e| panic!("{e}:\n{}", text(&log)));
    let log = text(&log);
    assert!(log.len() > 128, "{log}");
    assert!(log.starts_with("magic: 0xeb9f\n"), "the whole log, not its tail: {log}");
    assert!(log.contains("STRUCT FlowState"), "{log}");
}

#[test]
#[cfg_attr(miri, ignore)]
fn the_kernel_recognises_spin_lock_by_name_and_size() {
    require_kernel!();
    // Two locks side by side: the kernel checks structs that hold a `bpf_spin_lock` at load,
    // and refuses a second one in the same struct.
    static TWO_LOCKS: TypeDesc = TypeDesc::Struct {
        name: "TwoLocks",
        size: 8,
        members: &[
            Member { name: "a", offset: 0, ty: &SPIN_LOCK },
            Member { name: "b", offset: 4, ty: &SPIN_LOCK },
        ],
    };
    let error = TWO_LOCKS.spin_lock_error().expect("two locks");
    assert_eq!(error.load_errno, Some(Errno::E2BIG), "the rule book knows the load refuses it");
    let mut builder = BtfBuilder::new();
    builder.add(&TWO_LOCKS).unwrap();
    let mut log = Vec::new();
    assert_eq!(sys::btf_load(&builder.finish(), &mut log).map(drop), Err(Errno::E2BIG), "{}", text(&log));

    // Among other maps, its definition stays out of their object: theirs loads, and it is
    // refused by the rule book with the load's errno.
    static LOCKED: TypeDesc = TypeDesc::Struct {
        name: "Locked",
        size: 8,
        members: &[
            Member { name: "lock", offset: 0, ty: &SPIN_LOCK },
            Member { name: "n", offset: 4, ty: &U32 },
        ],
    };
    let with = |value: &'static TypeDesc| {
        let mut def = MapDef::new(MapType::HASH, 4, 8, 1);
        (def.key_type, def.value_type) = (Some(&U32), Some(value));
        def
    };
    let (good, bad) = (with(&LOCKED), with(&TWO_LOCKS));
    let btf = crate::map_btf::MapsBtf::load([&good, &bad], None);
    assert!(btf.refusal().is_none(), "the object of the good map loads");
    assert!(btf.ids(0).is_some() && btf.ids(1).is_none());
    let err = bad.validate().expect_err("two locks");
    assert_eq!(err.errno(), Errno::E2BIG, "{err}");

    // The same struct under another name holds no locks: it loads.
    static NOT_LOCKS: TypeDesc = TypeDesc::Struct {
        name: "not_a_lock",
        size: 4,
        members: &[Member { name: "val", offset: 0, ty: &U32 }],
    };
    static TWO_OTHERS: TypeDesc = TypeDesc::Struct {
        name: "TwoOthers",
        size: 8,
        members: &[
            Member { name: "a", offset: 0, ty: &NOT_LOCKS },
            Member { name: "b", offset: 4, ty: &NOT_LOCKS },
        ],
    };
    let mut builder = BtfBuilder::new();
    builder.add(&TWO_OTHERS).unwrap();
    let mut log = Vec::new();
    sys::btf_load(&builder.finish(), &mut log).unwrap_or_else(|e| panic!("{e}:\n{}", text(&log)));
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_large_object_loads_in_one_call_without_a_log() {
    require_kernel!();
    // 600 distinct structs: their level-1 log is about 100 KiB, more than the first buffer,
    // which would make a logged load answer ENOSPC and start again.
    let names: Vec<&'static str> = (0..600).map(|i| &*Box::leak(format!("S{i}").into_boxed_str())).collect();
    let descs: Vec<&'static TypeDesc> = names
        .iter()
        .map(|name| {
            let members: &'static [Member] = Box::leak(Box::new([
                Member { name: "a", offset: 0, ty: &U32 },
                Member { name: "b", offset: 4, ty: &U32 },
            ]));
            &*Box::leak(Box::new(TypeDesc::Struct { name, size: 8, members }))
        })
        .collect();
    let mut builder = BtfBuilder::new();
    for desc in &descs {
        builder.add(desc).unwrap();
    }
    let blob = builder.finish();
    let mut log = Vec::new();
    let fd = sys::btf_load_quiet(&blob, &mut log, None).unwrap_or_else(|e| panic!("{e}:\n{}", text(&log)));
    assert!(log.is_empty(), "no log for a good object");
    assert_eq!(sys::btf_info(fd.as_fd()).unwrap().data, blob);
    // A refused one is loaded again, with the log that says why.
    let mut bad = blob.clone();
    bad[0] ^= 0xff;
    assert_eq!(sys::btf_load_quiet(&bad, &mut log, None).map(drop), Err(Errno::EINVAL));
    assert!(text(&log).contains("magic"), "{}", text(&log));
}
