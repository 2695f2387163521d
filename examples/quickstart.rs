//! The seed's map, declared in Rust: a hash of `u32` to `u32` with 100 entries, allocated on
//! demand. `bpfmap::load()` creates it at startup; we write it, read it back and print the
//! table of every declared map.
//!
//! Run as root (or with CAP_BPF): `cargo run --example quickstart`. Without privilege, `main`
//! returns the error, and Rust prints it: the explanation and the remedy.

use bpfmap::{Update, bpf_map};

/// Packet counts by source port.
#[bpf_map(type = "hash", max_entries = 100, flags = "no_prealloc")]
struct Flows {
    key: u32,
    value: u32,
}

fn main() -> Result<(), bpfmap::Error> {
    let maps = bpfmap::load()?;
    let flows = maps.get::<Flows>();

    for port in [22, 80, 443] {
        flows.insert(&port, &(port * 10), Update::NoExist)?;
    }
    flows.insert(&80, &1, Update::Exist)?;
    assert!(flows.remove(&22)?);

    println!("flows[80] = {:?}", flows.get(&80)?);
    println!("flows[22] = {:?}", flows.get(&22)?);
    let mut entries = flows.iter().collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    println!("entries: {entries:?}");
    println!();
    print!("{maps}");
    Ok(())
}
