//! The macros never panic: random attribute arguments and items, built from a vocabulary of
//! the tokens users write (and mistype), always expand to either a declaration or
//! `compile_error!`s.
//!
//! Bounded for CI: `BPFMAP_FUZZ_CASES` cases (default 20,000; a few seconds).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use proc_macro2::TokenStream;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Attribute tokens, valid and not.
const ARG_TOKENS: &[&str] = &[
    "type",
    "max_entries",
    "flags",
    "name",
    "pin",
    "numa_node",
    "map_extra",
    "inner",
    "crate",
    "key",
    "value",
    "colour",
    "max_entrie",
    "=",
    "=",
    ",",
    ",",
    "\"hash\"",
    "\"array\"",
    "\"lru_hash\"",
    "\"percpu_array\"",
    "\"ringbuf\"",
    "\"queue\"",
    "\"lpm_trie\"",
    "\"array_of_maps\"",
    "\"arena\"",
    "\"sk_storage\"",
    "\"hsah\"",
    "\"\"",
    "\"no_prealloc\"",
    "\"no_prealloc | rdonly_prog\"",
    "\"mmapable\"",
    "\"a||b\"",
    "\"|\"",
    "\"by_name\"",
    "\"caf\u{e9}\"",
    "\"a-b\"",
    "\"0123456789abcdefg\"",
    "0",
    "1",
    "8",
    "4096",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "-1",
    "1.5",
    "'c'",
    "true",
    "1 << 20",
    "N",
    "u32::MAX",
    "Template",
    "::bpfmap",
    "crate::x",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ":",
    "::",
    "!",
    "#",
    "+",
    "as",
    "usize",
];

/// Items the attribute may land on.
const ITEMS: &[&str] = &[
    "struct S { key: u32, value: u64 }",
    "pub struct S { key: u32, value: u64 }",
    "struct S { value: u64 }",
    "struct S;",
    "struct S { key: u32 }",
    "struct S { key: u32, value: u64, other: u8 }",
    "struct S { key: u32, key: u32 }",
    "struct S(u32, u64);",
    "struct S<T> { key: T, value: u64 }",
    "struct S where u32: Copy { key: u32, value: u64 }",
    "enum S { A }",
    "union S { key: u32 }",
    "fn s() {}",
    "struct S { key: [u8; 4], value: [u64; 2] }",
    "struct r#type { key: u32, value: u32 }",
    "#[doc = \"x\"] struct S { #[allow(dead_code)] key: u32, value: u32 }",
    "",
    "struct",
];

fn expands_without_panic(args: &str, item: &str) -> Result<(), TestCaseError> {
    // Strings that do not lex are not token streams, and rustc never hands them to a macro.
    let (Ok(args), Ok(item)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return Ok(());
    };
    let out = catch_unwind(AssertUnwindSafe(|| crate::expand::bpf_map(args, item.clone())))
        .map_err(|_| TestCaseError::fail("bpf_map panicked"))?
        .to_string();
    prop_assert!(
        out.contains("compile_error") || out.contains("MapDecl"),
        "neither an error nor a declaration: {out}"
    );
    let pod = catch_unwind(AssertUnwindSafe(|| crate::pod::derive(item)))
        .map_err(|_| TestCaseError::fail("derive(Pod) panicked"))?;
    let pod = pod.to_string();
    prop_assert!(pod.contains("compile_error") || pod.contains("Pod"), "{pod}");
    Ok(())
}

fn cases() -> u32 {
    std::env::var("BPFMAP_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000)
}

#[test]
fn random_attributes_never_panic() {
    let args = prop::collection::vec(prop::sample::select(ARG_TOKENS), 0..16).prop_map(|t| t.join(" "));
    let item = prop::sample::select(ITEMS);
    let mut runner =
        TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    runner
        .run(&(args, item), |(args, item)| expands_without_panic(&args, item))
        .expect("no panic on any input");
}

#[test]
fn random_text_never_panics() {
    // Arbitrary printable text: mostly not tokens at all, sometimes odd ones.
    let text = "[ -~]{0,40}";
    let mut runner =
        TestRunner::new(Config { cases: cases() / 4, failure_persistence: None, ..Config::default() });
    runner
        .run(&(text, text), |(args, item)| {
            expands_without_panic(&args, &item)?;
            expands_without_panic(&args, "struct S { key: u32, value: u64 }")
        })
        .expect("no panic on any input");
}
