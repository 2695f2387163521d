//! Least privilege on pins: the loader sets the mode and group of the pins it makes, never
//! widens an existing pin's, and users open pins as the mode lets them. Root pins a map with
//! mode 0640 and a group; a child running as uid 65534 in that group opens it read-only, reads
//! what root wrote and fails to write (the error names the read-only opening); a read-write
//! open, and any open by a user outside the group, is refused with the pin's mode and owner.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use bpfmap::{Access, ArrayMap, Errno, Error, Loader, Map, bpf_map};
use support::child::{self, NOBODY};

#[bpf_map(type = "array", max_entries = 4, pin = "by_name", name = "acl_config")]
struct Config {
    key: u32,
    value: u64,
}

/// The group the pins are given: any number works, no entry in /etc/group is needed.
const READERS: u32 = 4242;
/// Names the child role and the pin directory.
const ROLE: &str = "BPFMAP_PIN_ACCESS_ROLE";
const PIN: &str = "BPFMAP_PIN_ACCESS_PIN";

/// The unprivileged side: what a uid-65534 process can do with the pin, printed for the parent.
#[test]
fn pin_access_child() {
    let (Ok(role), Ok(pin)) = (std::env::var(ROLE), std::env::var(PIN)) else { return };
    let pin = Path::new(&pin);
    match Map::from_pin_with(pin, Access::ReadOnly) {
        Ok(map) => {
            println!("read-only open: ok, info access {:?}, display {map}", map.info().map(|i| i.access));
            let config = ArrayMap::<u64>::new(&map).expect("typed handle on a read-only map");
            println!("value: {:?}", config.get(1).expect("a read-only fd reads"));
            match config.set(1, &0) {
                Err(e @ Error::Access { .. }) => println!("write: {e}"),
                other => println!("write: unexpected {other:?}"),
            }
        }
        Err(e) => println!("read-only open: {e}"),
    }
    match Map::from_pin_with(pin, Access::ReadWrite) {
        Ok(_) => println!("read-write open: ok"),
        Err(e) => println!("read-write open: {:?} {e}", e.errno()),
    }
    println!("role {role} done");
}

fn run_child(role: &str, pin: &Path, groups: &[u32]) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let pin = pin.to_str().expect("UTF-8 path");
    let out = child::unprivileged(
        &exe,
        &["--exact", "pin_access_child", "--nocapture", "--test-threads=1"],
        &[(ROLE, role), (PIN, pin)],
        groups,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child {role}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("role {role} done")), "{stdout}");
    stdout
}

#[test]
fn a_group_member_reads_a_0640_pin_and_cannot_write_it_and_others_cannot_open_it() {
    require_kernel!();
    if std::env::var_os(ROLE).is_some() {
        return;
    }
    let fs = require_bpffs!();
    let maps = Loader::new().pin_root(fs.path()).pin_mode(0o640).pin_group(READERS).load().expect("load");
    maps.get::<Config>().set(1, &77).expect("root writes");
    let pin = fs.join("acl_config");
    let meta = std::fs::metadata(&pin).expect("the pin");
    assert_eq!((meta.mode() & 0o777, meta.uid(), meta.gid()), (0o640, 0, READERS), "mode and group as asked");

    let member = run_child("member", &pin, &[READERS]);
    assert!(member.contains("read-only open: ok, info access Ok(ReadOnly)"), "{member}");
    assert!(member.contains("display map `acl_config` (array), read-only"), "{member}");
    assert!(member.contains("value: Some(77)"), "the value root wrote: {member}");
    assert!(
        member.contains(
            "write: cannot update an element of map `acl_config` (array): EPERM (operation not permitted): the \
             map was opened read-only, so this fd can only read"
        ),
        "{member}"
    );
    assert!(member.contains("read-write open: Some(EACCES)"), "{member}");
    assert!(
        member.contains(&format!(
            "cannot open the map pinned at {} read-write: EACCES (permission denied): the pin is mode 0640 owned \
             by uid 0, gid {READERS}, and this process (uid {NOBODY}) may open it only read-only: ask for \
             `Access::ReadOnly`",
            pin.display()
        )),
        "{member}"
    );

    let outsider = run_child("outsider", &pin, &[]);
    assert!(
        outsider.contains(&format!(
            "read-only open: cannot open the map pinned at {} read-only: EACCES (permission denied): the pin is \
             mode 0640 owned by uid 0, gid {READERS}, and this process (uid {NOBODY}) may not open it at all",
            pin.display()
        )),
        "{outsider}"
    );
    assert_eq!(maps.get::<Config>().get(1).expect("get"), Some(77), "nobody changed it");
}

#[test]
fn reuse_narrows_a_pin_but_never_widens_it() {
    require_kernel!();
    let fs = require_bpffs!();
    let first = Loader::new().pin_root(fs.path()).pin_mode(0o640).pin_group(READERS).load().expect("first");
    let pin = fs.join("acl_config");
    let err = Loader::new().pin_root(fs.path()).pin_mode(0o644).load().map(drop).expect_err("0644 is wider");
    assert!(matches!(&err, Error::PinPermissions { mode: 0o640, asked_mode: 0o644, .. }), "{err:?}");
    assert!(err.to_string().contains("never widens a pin's permissions"), "{err}");
    let err =
        Loader::new().pin_root(fs.path()).pin_group(READERS + 1).load().map(drop).expect_err("another group");
    assert!(
        matches!(&err, Error::PinPermissions { group: READERS, asked_group, .. } if *asked_group == READERS + 1)
    );
    assert_eq!(std::fs::metadata(&pin).expect("pin").mode() & 0o777, 0o640, "untouched by the refusals");

    let second = Loader::new().pin_root(fs.path()).pin_mode(0o600).load().expect("narrower is applied");
    let meta = std::fs::metadata(&pin).expect("pin");
    assert_eq!((meta.mode() & 0o777, meta.gid()), (0o600, READERS));
    assert_eq!(second[0].id().expect("id"), first[0].id().expect("id"), "the same map, reused");
    // Without asking, a reuse leaves the pin as it is.
    Loader::new().pin_root(fs.path()).load().expect("reuse");
    assert_eq!(std::fs::metadata(&pin).expect("pin").mode() & 0o777, 0o600);
}

#[test]
fn a_read_only_fd_reads_and_its_writes_name_the_access_even_as_root() {
    require_kernel!();
    let fs = require_bpffs!();
    let maps = Loader::new().pin_root(fs.path()).load().expect("load");
    maps.get::<Config>().set(2, &5).expect("write");
    let pin = fs.join("acl_config");

    for map in [
        Map::from_pin_with(&pin, Access::ReadOnly).expect("read-only pin"),
        Map::from_id_with(maps[0].id().expect("id"), Access::ReadOnly).expect("read-only id"),
        Map::adopt_with::<Config>(&pin, Access::ReadOnly).expect("adopt read-only"),
    ] {
        assert_eq!(map.access(), Access::ReadOnly);
        assert_eq!(map.info().expect("info").access, Access::ReadOnly);
        assert!(map.to_string().ends_with(", read-only"), "{map}");
        let config = ArrayMap::<u64>::new(&map).expect("handle");
        assert_eq!(config.get(2).expect("read"), Some(5));
        assert_eq!(config.iter().count(), 4, "iteration reads");
        let err = config.set(2, &6).expect_err("a read-only fd");
        assert!(matches!(err, Error::Access { access: Access::ReadOnly, .. }), "{err:?}");
        assert_eq!(err.errno(), Some(Errno::EPERM));
        let err = map.freeze().expect_err("freezing writes");
        assert!(matches!(err, Error::Access { .. }), "{err:?}");
    }
    let write_only = Map::from_pin_with(&pin, Access::WriteOnly).expect("write-only");
    let config = ArrayMap::<u64>::new(&write_only).expect("handle");
    config.set(3, &9).expect("a write-only fd writes");
    let err = config.get(3).expect_err("and cannot read");
    assert!(matches!(err, Error::Access { access: Access::WriteOnly, .. }), "{err:?}");
    assert!(err.to_string().contains("opened write-only, so this fd can only write"), "{err}");
    let typed = Map::adopt_with::<Config>(&pin, Access::ReadOnly).expect("adopt");
    assert_eq!(typed.handle::<Config>().expect("typed").get(3).expect("read"), Some(9));
}
