//! UI tests: every definition the kernel would refuse fails to compile with an error on the
//! offending token that names the rule, and every valid definition compiles.
//!
//! The `.stderr` files pin each message and its span; after a deliberate change, regenerate them
//! with `TRYBUILD=overwrite cargo test --test compiletest` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/**/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
