//! `StackTraceMap` against the kernel: a new map has no stacks; a raw tracepoint program run
//! with `BPF_PROG_TEST_RUN` records its kernel stack with `bpf_get_stackid`, and the handle
//! lists that id and reads the frames back; removed stacks are gone.

mod support;

use bpfmap::{Error, bpf_map};
use support::bpf::{Asm, GET_STACKID, PROG_TYPE_RAW_TRACEPOINT, R2, R3, load_prog, test_run_ctx};

#[bpf_map(type = "stack_trace", max_entries = 16)]
struct Stacks {
    key: u32,
    value: [u64; 32],
}

#[bpf_map(type = "stack_trace", max_entries = 4, flags = "stack_build_id")]
struct BuildIdStacks {
    key: u32,
    value: [[u8; 32]; 4],
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

#[test]
fn a_new_map_has_no_stacks() {
    require_kernel!();
    let maps = load();
    let stacks = maps.get::<Stacks>();
    assert_eq!(stacks.ids().count(), 0);
    for id in [0, 1, 15] {
        assert_eq!(stacks.get(id).expect("get"), None, "stack {id}");
        assert_eq!(stacks.get_raw(id).expect("get_raw"), None);
    }
    assert_eq!(stacks.get(1000).expect("an id past max_entries"), None);
    assert!(!stacks.remove(0).expect("remove"));
}

#[test]
fn a_build_id_map_gives_raw_frames_only() {
    require_kernel!();
    let maps = load();
    let stacks = maps.get::<BuildIdStacks>();
    let err = stacks.get(0).expect_err("frames are build ids");
    assert!(matches!(&err, Error::Mismatch { what, .. } if what.contains("get_raw")), "{err:?}");
    assert_eq!(stacks.get_raw(0).expect("get_raw"), None);
}

#[test]
fn a_program_records_its_stack() {
    require_kernel!();
    let maps = load();
    let stacks = maps.get::<Stacks>();
    // R1 (the context) is left for the helper; flags 0: the kernel stack, no skipped frames.
    let mut asm = Asm::new();
    asm.ld_map_fd(R2, maps.map::<Stacks>().expect("Stacks").fd()).mov64_imm(R3, 0).call(GET_STACKID).exit();
    let prog = load_prog(PROG_TYPE_RAW_TRACEPOINT, asm.insns()).unwrap_or_else(|e| panic!("{e}"));
    let id = test_run_ctx(&prog, &[0; 8]).unwrap_or_else(|e| panic!("{e}")) as i32;
    assert!(id >= 0, "bpf_get_stackid failed: {id}");
    let id = id as u32;

    let ids = stacks.ids().collect::<Result<Vec<_>, _>>().expect("ids");
    assert_eq!(ids, [id], "one stack was recorded");
    let frames = stacks.get(id).expect("get").expect("the recorded stack");
    assert!(!frames.is_empty(), "a kernel stack has frames");
    assert!(frames.len() <= 32);
    assert!(frames.iter().all(|&ip| ip >= 0xffff_8000_0000_0000), "kernel addresses: {frames:x?}");
    let raw = stacks.get_raw(id).expect("get_raw").expect("the recorded stack");
    assert_eq!(raw.len(), 32 * 8);
    assert_eq!(raw[..8], frames[0].to_ne_bytes());

    assert!(stacks.remove(id).expect("remove"));
    assert_eq!(stacks.get(id).expect("get"), None);
    assert_eq!(stacks.ids().count(), 0);
}
