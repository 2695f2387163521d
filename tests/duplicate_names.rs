//! `load()` refuses two declarations with one kernel name before creating anything, naming
//! both. Its own test binary, because the duplicate would make every `load()` of the binary
//! fail.

mod support;

use bpfmap::{Error, Location};

// In one module the two would not compile (tests/ui/name/one_name_twice_in_a_module.rs); across
// modules only `load()` sees both.
const FLOWS_LINE: u32 = line!() + 6;

mod ingress {
    use bpfmap::bpf_map;

    #[bpf_map(type = "hash", max_entries = 8)]
    pub struct Flows {
        key: u32,
        value: u32,
    }
}

const OTHER_LINE: u32 = line!() + 7;

mod egress {
    use bpfmap::bpf_map;

    /// Named after the map of the other module, by mistake.
    #[bpf_map(type = "array", max_entries = 8, name = "flows")]
    pub struct OtherFlows {
        key: u32,
        value: u64,
    }
}

#[test]
fn both_declarations_are_named() {
    require_kernel!();
    let fds_before = support::open_fds();
    let err = bpfmap::load().expect_err("two maps named flows");
    assert_eq!(support::open_fds(), fds_before, "nothing was created");

    let first = Location { rust_name: "Flows", file: "tests/duplicate_names.rs", line: FLOWS_LINE };
    let second = Location { rust_name: "OtherFlows", file: "tests/duplicate_names.rs", line: OTHER_LINE };
    assert_eq!(
        err.to_string(),
        format!(
            "two declared maps are both named `flows`: `Flows` at tests/duplicate_names.rs:{FLOWS_LINE} and \
             `OtherFlows` at tests/duplicate_names.rs:{OTHER_LINE}; give one of them `name = \"...\"`"
        )
    );
    match err {
        Error::DuplicateName { name, first: a, second: b } => {
            assert_eq!(name, "flows");
            assert_eq!((a, b), (first, second));
        }
        other => panic!("expected Error::DuplicateName, got {other:?}"),
    }
    assert_eq!(bpfmap::declarations().len(), 2);
}
