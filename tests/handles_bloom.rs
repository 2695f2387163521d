//! `BloomFilter` against the kernel: what was inserted is always found (no false negatives,
//! from Rust and from a program), and what was not is mostly not.

mod support;

use bpfmap::{Errno, bpf_map};
use support::bpf::{
    Alu, Asm, MAP_PEEK_ELEM, PROG_TYPE_SOCKET_FILTER, R1, R2, R10, Size, load_prog, test_run,
};

#[bpf_map(type = "bloom_filter", max_entries = 10000, map_extra = 3)]
struct Seen {
    value: u64,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// Scattered values, distinct for distinct `i`.
fn value(i: u64) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xabcd
}

#[test]
fn no_false_negatives_over_many_values() {
    require_kernel!();
    let maps = load();
    let seen = maps.get::<Seen>();
    assert!(!seen.contains(&value(0)).expect("contains"), "an empty filter holds nothing");
    const N: u64 = 10_000;
    for i in 0..N {
        seen.insert(&value(i)).expect("insert");
    }
    for i in 0..N {
        assert!(seen.contains(&value(i)).expect("contains"), "value {i} was inserted");
    }
    let false_positives = (N..2 * N).filter(|&i| seen.contains(&value(i)).expect("contains")).count();
    // About 3% for 3 hashes; the bound only shows that `contains` can say no.
    assert!(false_positives < N as usize / 2, "{false_positives} of {N} absent values reported present");
    // Inserting again changes nothing.
    seen.insert(&value(1)).expect("insert again");
    assert!(seen.contains(&value(1)).expect("contains"));
}

#[test]
fn a_program_finds_what_rust_inserted() {
    require_kernel!();
    let maps = load();
    let seen = maps.get::<Seen>();
    let map = maps.map::<Seen>().expect("Seen");
    // bpf_map_peek_elem on a bloom filter: 0 if the value may be present, -ENOENT if not.
    let probe = |v: u64| {
        let mut asm = Asm::new();
        asm.ld_imm64(R1, v)
            .stx_mem(Size::DW, R10, R1, -8)
            .ld_map_fd(R1, map.fd())
            .mov64_reg(R2, R10)
            .alu64_imm(Alu::Add, R2, -8)
            .call(MAP_PEEK_ELEM)
            .exit();
        let prog = load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"));
        test_run(&prog, &[0; 64]).expect("test run") as i32
    };
    assert_eq!(probe(value(7)), -libc::ENOENT);
    for i in 0..100 {
        seen.insert(&value(i)).expect("insert");
    }
    for i in [0, 7, 99] {
        assert_eq!(probe(value(i)), 0, "value {i}");
    }
}

#[test]
fn a_bloom_filter_cannot_be_read_back_or_frozen_writes_fail() {
    require_kernel!();
    let maps = load();
    let seen = maps.get::<Seen>();
    seen.insert(&1).expect("insert");
    seen.freeze().expect("freeze");
    let err = seen.insert(&2).expect_err("frozen");
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
    assert!(err.to_string().contains("frozen"), "{err}");
    assert!(seen.contains(&1).expect("reads still work"));
}
