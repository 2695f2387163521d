//! BPF tokens (Linux 6.9+) against the kernel, set up as a container runtime sets them up: a
//! child process in a new user and mount namespace opens a bpffs (`fsopen`), the privileged
//! parent sets its delegation options (`fsconfig`) and creates it (`fsmount`), the child mounts
//! it (`move_mount`) and runs bpfmap through a token made from it. And the bad inputs: a path
//! that is no bpffs, or not its root, or missing, a bpffs of the initial user namespace or
//! without delegation, a kernel without tokens; each an explained error before any map is
//! created.

mod support;

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bpfmap::{
    ArrayMap, Cause, Errno, Error, HashMap, Loader, Map, MapDef, MapFlags, MapType, Pod, Privilege, SpinLock,
    Token, TokenProblem, Undelegated, Update, bpf_map, create_map_with_token,
};
use support::bpffs::temp_dir;
use support::child;

/// Pinned, so that a load that fails after creating it shows that it removed its pin.
#[bpf_map(type = "hash", max_entries = 16, pin = "by_name")]
struct Flows {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 4)]
struct Config {
    key: u32,
    value: u32,
}

/// Declared last: where its type is not delegated, the load fails after the maps above.
#[bpf_map(type = "ringbuf", max_entries = 4096)]
struct Events;

#[repr(C)]
#[derive(Clone, Copy, Pod)]
struct Locked {
    lock: SpinLock,
    count: u32,
}

/// The test the child process runs, and what it is told.
const CONTAINER_CHILD: &str = "container_child";
const SCENARIO: &str = "BPFMAP_TOKEN_TEST_SCENARIO";
const MOUNT_POINT: &str = "BPFMAP_TOKEN_TEST_MOUNT_POINT";
const SOCKET: &str = "BPFMAP_TOKEN_TEST_SOCKET";

// ------------------------------------------------------------------------------------------
// Bad input, in the initial user namespace.

#[test]
fn a_path_that_is_not_a_bpffs_is_refused_before_anything() {
    let tmp = std::env::temp_dir();
    let err = Token::open(&tmp).expect_err("no bpffs");
    let Error::Token { bpffs, from_env: false, problem: TokenProblem::NotBpffs { f_type } } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(bpffs.as_deref(), Some(tmp.as_path()));
    assert_ne!(*f_type, 0xcafe_4a11);
    assert_eq!(err.errno(), Some(Errno::EINVAL), "the kernel's answer for a directory that is no bpffs");
    let message = err.to_string();
    let shown = tmp.display();
    assert!(
        message.starts_with(&format!(
            "cannot make a BPF token from {shown}: {shown} is not a bpffs (f_type {f_type:#x}"
        )),
        "{message}"
    );
    assert!(
        message.contains("mount one with `mount -t bpf -o delegate_cmds=map_create:btf_load"),
        "{message}"
    );

    // The loader says the same before it creates or pins anything.
    let pins = temp_dir("token-pins").expect("a directory");
    let err = Loader::new().token(&tmp).pin_root(&pins).load().map(drop).expect_err("no bpffs");
    assert!(matches!(err, Error::Token { problem: TokenProblem::NotBpffs { .. }, .. }), "{err:?}");
    assert_eq!(std::fs::read_dir(&pins).expect("read_dir").count(), 0, "nothing was pinned");
    std::fs::remove_dir(&pins).expect("rmdir");
}

#[test]
fn a_missing_path_or_a_file_is_refused_with_what_it_is() {
    let err = Token::open("/nonexistent/bpfmap-bpffs").expect_err("missing");
    assert!(matches!(err, Error::Token { problem: TokenProblem::Open(Errno::ENOENT), .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert_eq!(
        err.to_string(),
        "cannot make a BPF token from /nonexistent/bpfmap-bpffs: it does not exist (ENOENT (no such file or \
         directory)); name the mount point of the delegating bpffs"
    );
    let exe = std::env::current_exe().expect("the test binary");
    let err = Token::open(&exe).expect_err("a file");
    assert!(matches!(err, Error::Token { problem: TokenProblem::Open(Errno::ENOTDIR), .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "it is not a directory (ENOTDIR (not a directory)); name the mount point of the delegating bpffs"
        ),
        "{err}"
    );
}

/// A child that loads with `BPFMAP_TOKEN_PATH` naming no bpffs: the error says the variable
/// named it, and a loader's own path wins over the variable.
#[test]
fn the_environment_variable_is_used_and_the_loaders_path_wins() {
    if std::env::var_os(child::ENV).is_some() {
        return;
    }
    let out = run_child("env_child", &[("BPFMAP_TOKEN_PATH", "/proc")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        after(&stdout, "env: ").expect("the error"),
        "cannot make a BPF token from /proc (named by BPFMAP_TOKEN_PATH): /proc is not a bpffs (f_type 0x9fa0); \
         mount one with `mount -t bpf -o delegate_cmds=map_create:btf_load,delegate_maps=any bpf DIR` for the \
         container's user namespace"
    );
    assert!(
        after(&stdout, "loader: ")
            .expect("the error")
            .starts_with("cannot make a BPF token from /nonexistent/bpfmap-bpffs: it does not exist"),
        "{stdout}"
    );
}

#[test]
fn env_child() {
    if !child::is("env_child") {
        return;
    }
    let err = bpfmap::load().map(drop).expect_err("BPFMAP_TOKEN_PATH names no bpffs");
    let Error::Token { bpffs, from_env: true, problem: TokenProblem::NotBpffs { .. } } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(bpffs.as_deref(), Some(Path::new("/proc")));
    println!("env: {err}");
    let err = Loader::new().token("/nonexistent/bpfmap-bpffs").load().map(drop).expect_err("missing");
    let Error::Token { bpffs, from_env: false, problem: TokenProblem::Open(Errno::ENOENT) } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(bpffs.as_deref(), Some(Path::new("/nonexistent/bpfmap-bpffs")), "the loader's path wins");
    println!("loader: {err}");
}

#[test]
fn a_bpffs_of_the_initial_user_namespace_gives_no_token() {
    let Some(fs) = bpffs_with_tokens() else { return };
    let err = Token::open(fs.path()).expect_err("the initial user namespace");
    assert!(matches!(err, Error::Token { problem: TokenProblem::InitialNamespace, .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::EOPNOTSUPP));
    let shown = fs.path().display();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot make a BPF token from {shown}: {shown} belongs to the initial user namespace, where the kernel \
             makes no tokens (EOPNOTSUPP"
        )),
        "{message}"
    );
    assert!(message.ends_with("on the host, use CAP_BPF instead"), "{message}");
    // By fd, as a runtime hands it over: the same answer, and no path to name.
    let dir = File::open(fs.path()).expect("open the bpffs");
    let err = Token::from_bpffs(&dir).expect_err("the initial user namespace");
    assert!(
        matches!(err, Error::Token { bpffs: None, problem: TokenProblem::InitialNamespace, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("cannot make a BPF token from the directory given by fd: the directory"),
        "{err}"
    );
    // An `O_PATH` fd, as `fsmount` gives (which BPF_TOKEN_CREATE refuses with EBADF), is reopened.
    let path_only = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(fs.path())
        .expect("an O_PATH fd");
    let err = Token::from_bpffs(&path_only).expect_err("the initial user namespace");
    assert!(matches!(err, Error::Token { problem: TokenProblem::InitialNamespace, .. }), "{err:?}");
    assert!(fs.entries().is_empty());
}

#[test]
fn a_directory_inside_a_bpffs_is_not_its_root() {
    let Some(fs) = bpffs_with_tokens() else { return };
    let sub = fs.join("app");
    std::fs::create_dir(&sub).expect("mkdir in bpffs");
    let err = Token::open(&sub).expect_err("not the root");
    assert!(matches!(err, Error::Token { problem: TokenProblem::NotMountRoot, .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    let shown = sub.display();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot make a BPF token from {shown}: {shown} is a directory inside a bpffs, not its root; the kernel \
             makes tokens only from the root (it would say EINVAL (invalid argument)): name the mount point"
        )
    );
}

/// A kernel without tokens answers `BPF_TOKEN_CREATE` with EINVAL; this one is made to answer
/// so for real (the `test-hooks` build sends a flag no kernel defines).
#[test]
fn a_kernel_without_tokens_is_named() {
    if std::env::var_os(child::ENV).is_some() {
        return;
    }
    let Some(fs) = bpffs_with_tokens() else { return };
    let dir = fs.path().to_str().expect("a UTF-8 path");
    let out = run_child("no_tokens_child", &[(MOUNT_POINT, dir), ("BPFMAP_TEST_NO_TOKENS", "1")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let message = after(&stdout, "no tokens: ").expect("the message");
    assert!(message.starts_with(&format!("cannot make a BPF token from {dir}: this kernel (")), "{message}");
    assert!(
        message.ends_with(
            "has no BPF tokens: BPF_TOKEN_CREATE answered EINVAL (invalid argument) (tokens came in Linux 6.9); run \
             a newer kernel, or create the maps with CAP_BPF instead of a token"
        ),
        "{message}"
    );
}

#[test]
fn no_tokens_child() {
    if !child::is("no_tokens_child") {
        return;
    }
    let dir = PathBuf::from(std::env::var_os(MOUNT_POINT).expect("the bpffs"));
    let err = Token::open(&dir).expect_err("no tokens");
    assert!(matches!(err, Error::Token { problem: TokenProblem::Unsupported, .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    println!("no tokens: {err}");
    // Alone in this process: every refusal closes what it opened.
    let before = support::open_fds();
    for _ in 0..20 {
        Token::open(&dir).expect_err("no tokens");
        Token::open(std::env::temp_dir()).expect_err("no bpffs");
        Token::open("/nonexistent/bpfmap-bpffs").expect_err("missing");
    }
    assert_eq!(support::open_fds(), before, "fds leaked by refused tokens");
}

// ------------------------------------------------------------------------------------------
// In a container.

/// Delegating map creation, BTF and four map types: `load()` through the token creates the
/// declared maps, and without the token fails with EPERM, explained.
#[test]
fn in_a_container_load_goes_through_the_token() {
    let Some(_fs) = bpffs_with_tokens() else { return };
    let Some(out) = run_in_container(
        "delegating",
        &[("delegate_cmds", "map_create:btf_load"), ("delegate_maps", "hash:array:ringbuf:devmap")],
        &[],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("through the token: flows[7]=700 config[1]=42 events=ringbuf btf=true"),
        "{stdout}"
    );
    assert!(stdout.contains("reused through Token::from_bpffs: flows[7]=700"), "{stdout}");
    assert!(stdout.contains("devmap through the token: devmap"), "{stdout}");
    let without = after(&stdout, "without a token: ").expect("the error");
    assert!(
        without.starts_with(&format!(
            "cannot create map `flows` (hash, declared as {}): EPERM (operation not permitted): no BPF token: this \
             process runs in a user namespace (a container)",
            declared("flows")
        )),
        "{without}"
    );
    assert!(without.contains(
        "set BPFMAP_TOKEN_PATH (or `Loader::token`) to a bpffs mounted with delegate_cmds=map_create"
    ));
    let lru = after(&stdout, "lru_hash: ").expect("the error");
    assert!(
        lru.ends_with(
            "the BPF token's bpffs delegates map types hash, array, devmap, ringbuf but not lru_hash; a BPF token \
             stands in for CAP_BPF only for what its bpffs delegates: the runtime that mounts it must add lru_hash \
             to delegate_maps (or set delegate_maps=any)"
        ),
        "{lru}"
    );
    let seeded = after(&stdout, "zero_seed: ").expect("the error");
    assert!(seeded.contains("needs CAP_SYS_ADMIN (CAP_BPF is not enough) in the initial user namespace: a BPF token does not stand in for it"), "{seeded}");
}

/// The declared ring buffer's type is not delegated: the load fails at it, after creating
/// (and pinning) the maps before it, and undoes them; the error says what the bpffs lacks.
#[test]
fn in_a_container_an_undelegated_map_type_is_named() {
    let Some(_fs) = bpffs_with_tokens() else { return };
    let Some(out) = run_in_container(
        "no_ringbuf",
        &[("delegate_cmds", "map_create:btf_load"), ("delegate_maps", "hash:array")],
        &[],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let message = after(&stdout, "load: ").expect("the error");
    let dir = after(&stdout, "mount point: ").expect("the mount point");
    assert_eq!(
        message,
        format!(
            "cannot create map `events` (ringbuf, declared as {}): EPERM (operation not permitted): the bpffs at \
             {dir} delegates map types hash, array but not ringbuf; a BPF token stands in for CAP_BPF only for what \
             its bpffs delegates: the runtime that mounts it must add ringbuf to delegate_maps (or set \
             delegate_maps=any)",
            declared("events")
        )
    );
    assert!(stdout.contains("pins after the failed load: []"), "{stdout}");
}

/// A bpffs that delegates map creation but not BTF: maps go without their BTF, and a map that
/// cannot is refused with what the bpffs lacks.
#[test]
fn in_a_container_without_btf_load_maps_go_without_btf() {
    let Some(_fs) = bpffs_with_tokens() else { return };
    let Some(out) =
        run_in_container("no_btf", &[("delegate_cmds", "map_create"), ("delegate_maps", "any")], &[])
    else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("without BTF: flows[1]=11 btf_id=0"), "{stdout}");
    let dir = after(&stdout, "mount point: ").expect("the mount point");
    let locked = after(&stdout, "locked: ").expect("the error");
    assert_eq!(
        locked,
        format!(
            "cannot create unnamed hash map: EPERM (operation not permitted): the bpffs at {dir} delegates commands \
             map_create but not btf_load, and this map cannot go without the BTF of its key and value (local \
             storage, or a value with a SpinLock): the runtime that mounts it must add btf_load to delegate_cmds"
        )
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not delegate btf_load (delegate_cmds: map_create)"), "{stderr}");
}

/// A bpffs made in the container without delegation options: no token, explained (ENOENT).
#[test]
fn in_a_container_a_bpffs_without_delegation_gives_no_token() {
    let Some(_fs) = bpffs_with_tokens() else { return };
    let Some(out) = run_in_container("none", &[], &[]) else { return };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let dir = after(&stdout, "mount point: ").expect("the mount point");
    let message = after(&stdout, "token: ").expect("the error");
    assert_eq!(
        message,
        format!(
            "cannot make a BPF token from {dir}: {dir} delegates nothing (ENOENT (no such file or directory)): it \
             was mounted without delegation options; the privileged runtime must set them when it creates the \
             bpffs (`delegate_cmds=map_create:btf_load,delegate_maps=any`)"
        )
    );
    assert!(stdout.contains("pins after the failed load: []"), "{stdout}");
}

/// `BPFMAP_TOKEN_PATH` names the bpffs: plain `load()` goes through its token.
#[test]
fn in_a_container_the_environment_variable_names_the_bpffs() {
    let Some(_fs) = bpffs_with_tokens() else { return };
    // The child's mount point is known only once the container runs: it reads it from its own
    // variable and the `env` scenario sets `BPFMAP_TOKEN_PATH` and `BPFMAP_PIN_ROOT` to it.
    let Some(out) = run_in_container(
        "env",
        &[("delegate_cmds", "map_create:btf_load"), ("delegate_maps", "any")],
        &[("BPFMAP_TOKEN_PATH", "@mount_point"), ("BPFMAP_PIN_ROOT", "@mount_point")],
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("load() with BPFMAP_TOKEN_PATH: flows[3]=33 pinned=true"), "{stdout}");
    assert!(stdout.contains("the loader's path wins: /proc is not a bpffs"), "{stdout}");
}

/// The test the container's process runs (selected by name and `BPFMAP_TEST_CHILD`): mounts
/// the bpffs the parent delegated, then runs its scenario.
#[test]
fn container_child() {
    if !child::is(CONTAINER_CHILD) {
        return;
    }
    let dir = PathBuf::from(std::env::var_os(MOUNT_POINT).expect("the mount point"));
    let raw: RawFd = std::env::var(SOCKET).expect("the socket").parse().expect("an fd");
    // SAFETY: the parent left this end of its socket pair open across exec for this process,
    // and nothing else in it owns the fd.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    mount_delegated_bpffs(socket.as_fd(), &dir);
    println!("mount point: {}", dir.display());
    match std::env::var(SCENARIO).expect("the scenario").as_str() {
        "delegating" => delegating(&dir),
        "no_ringbuf" => no_ringbuf(&dir),
        "no_btf" => no_btf(&dir),
        "none" => no_delegation(&dir),
        "env" => from_env(),
        other => panic!("no scenario {other}"),
    }
}

fn delegating(dir: &Path) {
    // Without the token: the capabilities of a container do not count.
    let err = Loader::new().pin_root(dir).load().map(drop).expect_err("no token, no CAP_BPF on the host");
    let Error::Create {
        map,
        errno: Errno::EPERM,
        cause:
            Cause::Privilege { needs: Privilege::Unprivileged, token: false, user_namespace: Some(true), .. },
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(map.name, "flows");
    println!("without a token: {err}");

    let token = Token::open(dir).expect("a token from the delegating bpffs");
    let delegation = token.delegation().expect("the token's fdinfo");
    assert!(delegation.map_create() && delegation.btf_load());
    assert!(delegation.map_type(MapType::HASH) && delegation.map_type(MapType::RINGBUF));
    assert!(!delegation.map_type(MapType::LRU_HASH));
    assert_eq!(
        delegation.to_string(),
        "commands map_create, btf_load; map types hash, array, devmap, ringbuf"
    );
    assert_eq!(token.bpffs(), Some(dir));
    drop(token);

    let maps = Loader::new().token(dir).pin_root(dir).load().expect("load through the token");
    let flows = maps.get::<Flows>();
    flows.insert(&7, &700, Update::Any).expect("insert");
    let config = maps.get::<Config>();
    config.set(1, &42).expect("set");
    let events = maps.map::<Events>().expect("events").info().expect("info");
    let btf = maps.map::<Flows>().expect("flows").info().expect("info").btf_id != 0;
    println!(
        "through the token: flows[7]={} config[1]={} events={} btf={btf}",
        flows.get(&7).expect("get").expect("present"),
        config.get(1).expect("get").expect("in range"),
        events.map_type,
    );
    assert!(dir.join("flows").exists(), "pinned in the container's bpffs");
    drop(maps);

    // A token made from an fd, as a runtime hands one over: the pinned map is reused, data and all.
    let token = Token::from_bpffs(File::open(dir).expect("open the bpffs")).expect("a token by fd");
    assert_eq!(token.bpffs(), None);
    let lru =
        create_map_with_token(&MapDef::new(MapType::LRU_HASH, 4, 8, 16), &token).expect_err("not delegated");
    let Error::Create { errno: Errno::EPERM, cause: Cause::NotDelegated(why), .. } = &lru else {
        panic!("{lru:?}")
    };
    assert_eq!(why.missing, Undelegated::MapType(MapType::LRU_HASH));
    assert_eq!(why.bpffs, None);
    println!("lru_hash: {lru}");
    let devmap = create_map_with_token(&MapDef::new(MapType::DEVMAP, 4, 4, 4), &token)
        .expect("CAP_NET_ADMIN, by token");
    println!("devmap through the token: {}", devmap.info().expect("info").map_type);
    let seeded = MapDef::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::ZERO_SEED);
    let err = create_map_with_token(&seeded, &token).expect_err("CAP_SYS_ADMIN is the host's");
    assert!(
        matches!(
            &err,
            Error::Create { cause: Cause::Privilege { needs: Privilege::SysAdmin, token: true, .. }, .. }
        ),
        "{err:?}"
    );
    println!("zero_seed: {err}");
    let maps = Loader::new().with_token(token).pin_root(dir).load().expect("load with a token by fd");
    let reused = maps.get::<Flows>().get(&7).expect("get").expect("kept in the pin");
    println!("reused through Token::from_bpffs: flows[7]={reused}");
    let pinned = Map::from_pin(dir.join("flows")).expect("the pin");
    assert_eq!(HashMap::<u32, u64>::new(&pinned).expect("typed").get(&7).expect("get"), Some(700));
}

fn no_ringbuf(dir: &Path) {
    let err = Loader::new().token(dir).pin_root(dir).load().map(drop).expect_err("ringbuf is not delegated");
    let Error::Create { map, errno: Errno::EPERM, cause: Cause::NotDelegated(why) } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(map.name, "events");
    assert_eq!(why.missing, Undelegated::MapType(MapType::RINGBUF));
    assert_eq!(why.bpffs.as_deref(), Some(dir));
    println!("load: {err}");
    println!("pins after the failed load: {:?}", pins(dir));
    // The types it delegates are created one by one all the same.
    let token = Token::open(dir).expect("a token");
    let map = create_map_with_token(&MapDef::new(MapType::ARRAY, 4, 4, 2).with_types::<u32, u32>(), &token)
        .expect("arrays are delegated");
    let array = ArrayMap::<u32>::new(&map).expect("typed");
    array.set(1, &5).expect("set");
    assert_eq!(array.get(1).expect("get"), Some(5));
    drop(array);
    drop((map, token));
    // Alone in this process: failed loads and dropped tokens and maps leave no fd behind.
    let before = support::open_fds();
    for _ in 0..20 {
        Loader::new().token(dir).pin_root(dir).load().map(drop).expect_err("ringbuf is not delegated");
        let token = Token::open(dir).expect("a token");
        create_map_with_token(&MapDef::new(MapType::HASH, 4, 4, 2), &token).expect("hash maps are delegated");
    }
    assert_eq!(support::open_fds(), before, "fds leaked by failed loads through a token");
    assert!(pins(dir).is_empty());
}

fn no_btf(dir: &Path) {
    let maps = Loader::new().token(dir).pin_root(dir).load().expect("load without BTF");
    let flows = maps.get::<Flows>();
    flows.insert(&1, &11, Update::Any).expect("insert");
    let btf_id = maps.map::<Flows>().expect("flows").info().expect("info").btf_id;
    println!("without BTF: flows[1]={} btf_id={btf_id}", flows.get(&1).expect("get").expect("present"));
    let token = Token::open(dir).expect("a token");
    let def = MapDef::new(MapType::HASH, 0, 0, 4).with_types::<u32, Locked>();
    let err = create_map_with_token(&def, &token).expect_err("a lock needs BTF");
    let Error::Create { errno: Errno::EPERM, cause: Cause::NotDelegated(why), .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(why.missing, Undelegated::BtfLoad);
    println!("locked: {err}");
}

fn no_delegation(dir: &Path) {
    let err = Token::open(dir).expect_err("nothing delegated");
    assert!(matches!(err, Error::Token { problem: TokenProblem::NoDelegation, .. }), "{err:?}");
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    println!("token: {err}");
    let err = Loader::new().token(dir).pin_root(dir).load().map(drop).expect_err("nothing delegated");
    assert!(matches!(err, Error::Token { problem: TokenProblem::NoDelegation, .. }), "{err:?}");
    println!("pins after the failed load: {:?}", pins(dir));
    let before = support::open_fds();
    for _ in 0..20 {
        Token::open(dir).expect_err("nothing delegated");
    }
    assert_eq!(support::open_fds(), before, "fds leaked by refused tokens");
}

fn from_env() {
    let maps = bpfmap::load().expect("load through BPFMAP_TOKEN_PATH");
    let flows = maps.get::<Flows>();
    flows.insert(&3, &33, Update::Any).expect("insert");
    let pinned = maps.map::<Flows>().expect("flows").pinned_at().is_some_and(Path::exists);
    println!(
        "load() with BPFMAP_TOKEN_PATH: flows[3]={} pinned={pinned}",
        flows.get(&3).expect("get").expect("present")
    );
    let err = Loader::new().token("/proc").load().map(drop).expect_err("the loader's path wins");
    assert!(matches!(&err, Error::Token { from_env: false, .. }), "{err:?}");
    println!("the loader's path wins: {}", err.to_string().split_once(": ").expect("a message").1);
}

/// Where the map named `name` is declared, as errors show it (`` `Flows` at tests/token.rs:28 ``).
fn declared(name: &str) -> String {
    let decl = bpfmap::declarations().iter().find(|d| d.def.name.as_str() == name).expect("declared");
    decl.location().to_string()
}

/// What a child printed after `prefix`, to the end of that line (libtest may print the test's
/// name before it on the same line).
fn after<'a>(stdout: &'a str, prefix: &str) -> Option<&'a str> {
    stdout.lines().find_map(|line| line.split_once(prefix).map(|(_, rest)| rest))
}

/// The names in the top directory of the bpffs at `dir` that are not the kernel's own.
fn pins(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the bpffs")
        .map(|e| e.expect("an entry").file_name().into_string().expect("UTF-8"))
        .filter(|name| !name.ends_with(".debug"))
        .collect();
    names.sort();
    names
}

// ------------------------------------------------------------------------------------------
// The machinery.

/// A bpffs of the test's own in the initial user namespace, if this kernel makes tokens:
/// `None` (the test skips, with a message) where it has none; where `bpf()` or mounting is
/// refused, skips or fails as `require_kernel!` and `require_bpffs!` do.
fn bpffs_with_tokens() -> Option<support::bpffs::Bpffs> {
    if !support::kernel_available() {
        return None;
    }
    let fs = match support::bpffs::Bpffs::mount() {
        Ok(fs) => fs,
        Err(why) if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") => {
            panic!("BPFMAP_REQUIRE_KERNEL=1 but a bpffs cannot be mounted here: {why}")
        }
        Err(why) => {
            support::skip::skip(&format!("a bpffs cannot be mounted here ({why}); run as root"));
            return None;
        }
    };
    match Token::open(fs.path()) {
        // The answer of a kernel with tokens, for the initial user namespace.
        Err(Error::Token { problem: TokenProblem::InitialNamespace, .. }) => Some(fs),
        Err(Error::Token { problem: TokenProblem::Unsupported, .. }) => {
            support::skip::skip("this kernel has no BPF tokens (Linux 6.9+)");
            None
        }
        other => panic!("a bpffs of the initial user namespace gave {other:?}"),
    }
}

/// Runs the test `name` of this binary again in a child process with `envs` added; panics
/// with its output unless it passed.
fn run_child(name: &str, envs: &[(&str, &str)]) -> Output {
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(child::ENV, name)
        .envs(envs.iter().copied())
        .output()
        .expect("spawn the child test");
    assert!(
        out.status.success(),
        "the child test `{name}` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `container_child` in a new user namespace (root there, mapped to this process's uid
/// and gid) and mount namespace, for `scenario`. The parent plays the container runtime: it
/// receives the child's `fsopen("bpf")` fd, sets `options` (`delegate_cmds`, ...) on it as
/// only a process privileged in the initial user namespace may, creates the bpffs and sends
/// back its `fsmount` fd, which the child mounts on a directory the parent made. An `envs`
/// value `@mount_point` stands for that directory. `None` (skipped) where user namespaces
/// cannot be made, unless `BPFMAP_REQUIRE_KERNEL=1`.
fn run_in_container(scenario: &str, options: &[(&str, &str)], envs: &[(&str, &str)]) -> Option<Output> {
    let mount_point = temp_dir("token").expect("a mount point");
    let (runtime, container) = socket_pair().expect("socketpair");
    // SAFETY: getuid and getgid only read the process's credentials.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let uid_map = format!("0 {uid} 1");
    let gid_map = format!("0 {gid} 1");
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", CONTAINER_CHILD, "--nocapture", "--test-threads=1"])
        .env(child::ENV, CONTAINER_CHILD)
        .env(SCENARIO, scenario)
        .env(MOUNT_POINT, &mount_point)
        .env(SOCKET, container.as_raw_fd().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for &(key, value) in envs {
        match value {
            "@mount_point" => command.env(key, &mount_point),
            value => command.env(key, value),
        };
    }
    let socket = container.as_raw_fd();
    // SAFETY: the closure runs in the child between fork and exec (one thread, as unshare(CLONE_NEWUSER)
    // requires) and makes only async-signal-safe system calls on memory prepared before the fork.
    unsafe { command.pre_exec(move || enter_namespaces(socket, uid_map.as_bytes(), gid_map.as_bytes())) };
    let spawned = command.spawn();
    drop(container);
    let child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = std::fs::remove_dir(&mount_point);
            let why = format!("a new user and mount namespace cannot be made here ({e})");
            if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") {
                panic!("BPFMAP_REQUIRE_KERNEL=1 but {why}");
            }
            support::skip::skip(&why);
            return None;
        }
    };
    let delegated = delegate(runtime.as_fd(), options);
    let out = child.wait_with_output().expect("wait for the container's process");
    let _ = std::fs::remove_dir(&mount_point);
    assert!(
        delegated.is_ok() && out.status.success(),
        "the container's test `{scenario}` failed ({delegated:?}):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out)
}

/// In the child, before exec: a new user namespace where it is root, then a new mount
/// namespace that it owns; `socket` stays open across exec.
fn enter_namespaces(socket: RawFd, uid_map: &[u8], gid_map: &[u8]) -> io::Result<()> {
    // SAFETY: unshare takes no pointers.
    check(unsafe { libc::unshare(libc::CLONE_NEWUSER) })?;
    // A process may map only its own ids, and its gid only once setgroups is denied.
    write_proc(c"/proc/self/setgroups", b"deny")?;
    write_proc(c"/proc/self/uid_map", uid_map)?;
    write_proc(c"/proc/self/gid_map", gid_map)?;
    // SAFETY: unshare takes no pointers.
    check(unsafe { libc::unshare(libc::CLONE_NEWNS) })?;
    // SAFETY: F_SETFD on an fd this process holds reads no memory.
    check(unsafe { libc::fcntl(socket, libc::F_SETFD, 0) })?;
    Ok(())
}

/// Writes `data` to the `/proc` file `path` in one `write`, without allocating.
fn write_proc(path: &std::ffi::CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: a NUL-terminated path that outlives the call.
    let fd = check(unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) })?;
    // SAFETY: `data` is readable for its length; `fd` was just opened.
    let written = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    let result = if written == data.len() as isize { Ok(()) } else { Err(io::Error::last_os_error()) };
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    result
}

/// The container's part: `fsopen("bpf")` in its user namespace (the bpffs belongs to it), the
/// fd to the runtime, the configured mount back, mounted at `dir`.
fn mount_delegated_bpffs(socket: BorrowedFd<'_>, dir: &Path) {
    // SAFETY: fsopen reads a NUL-terminated name and returns a new fd.
    let fs = check(unsafe { libc::syscall(libc::SYS_fsopen, c"bpf".as_ptr(), libc::FSOPEN_CLOEXEC) } as i32)
        .expect("fsopen(\"bpf\") in the user namespace");
    // SAFETY: `fs` was just returned by fsopen and nobody else owns it.
    let fs = unsafe { OwnedFd::from_raw_fd(fs) };
    send_fd(socket, fs.as_fd()).expect("send the bpffs context to the runtime");
    let mount = recv_fd(socket).expect("the runtime's mount");
    let c_dir = CString::new(dir.as_os_str().as_encoded_bytes()).expect("a path");
    // SAFETY: NUL-terminated strings that outlive the call; move_mount takes the mount fd with
    // an empty path.
    let moved = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            mount.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            c_dir.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    check(moved as i32).expect("move_mount the bpffs");
}

/// The runtime's part: sets `options` on the child's bpffs context, creates the bpffs and
/// sends its mount back.
fn delegate(socket: BorrowedFd<'_>, options: &[(&str, &str)]) -> Result<(), String> {
    let fs = recv_fd(socket).map_err(|e| format!("receive the bpffs context: {e}"))?;
    for &(key, value) in options {
        let (c_key, c_value) = (CString::new(key).expect("a key"), CString::new(value).expect("a value"));
        // SAFETY: NUL-terminated strings that outlive the call.
        let set = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fs.as_raw_fd(),
                libc::FSCONFIG_SET_STRING,
                c_key.as_ptr(),
                c_value.as_ptr(),
                0,
            )
        };
        check(set as i32).map_err(|e| format!("fsconfig {key}={value}: {e}"))?;
    }
    let null = std::ptr::null::<libc::c_char>();
    // SAFETY: FSCONFIG_CMD_CREATE reads no key or value.
    let created = unsafe {
        libc::syscall(libc::SYS_fsconfig, fs.as_raw_fd(), libc::FSCONFIG_CMD_CREATE, null, null, 0)
    };
    check(created as i32).map_err(|e| format!("fsconfig FSCONFIG_CMD_CREATE: {e}"))?;
    // SAFETY: fsmount takes no pointers and returns a new fd.
    let mount = unsafe { libc::syscall(libc::SYS_fsmount, fs.as_raw_fd(), libc::FSMOUNT_CLOEXEC, 0) };
    let mount = check(mount as i32).map_err(|e| format!("fsmount: {e}"))?;
    // SAFETY: `mount` was just returned by fsmount and nobody else owns it.
    let mount = unsafe { OwnedFd::from_raw_fd(mount) };
    send_fd(socket, mount.as_fd()).map_err(|e| format!("send the mount: {e}"))
}

fn check(ret: i32) -> io::Result<i32> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: socketpair writes two fds into the array.
    check(unsafe {
        libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr())
    })?;
    // SAFETY: both fds were just returned by socketpair and nobody else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Room for one control message of one fd, aligned as `cmsghdr` wants.
#[repr(C, align(8))]
struct FdControl([u8; 32]);

/// Sends `fd` over the Unix socket `socket` (`SCM_RIGHTS`), with one byte of data.
fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = FdControl([0; 32]);
    // SAFETY: msghdr is plain data, for which all zeros is a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is arithmetic.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
    // SAFETY: `msg` points at `control`, which has room for one header and one fd; the header
    // is written in place and the fd after it, unaligned as CMSG_DATA may be.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&msg);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd.as_raw_fd());
    }
    // SAFETY: `msg` and everything it points at live across the call.
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &msg, 0) };
    if sent == 1 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Receives one fd sent with [`send_fd`] (close-on-exec).
fn recv_fd(socket: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = FdControl([0; 32]);
    // SAFETY: msghdr is plain data, for which all zeros is a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len();
    // SAFETY: `msg` points at buffers that live across the call, of the lengths it gives.
    let received = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled `control` and `msg_controllen`; CMSG_FIRSTHDR checks the length.
    let header = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    // SAFETY: a non-null header lies within `control`, as the kernel wrote it.
    if header.is_null()
        || unsafe { ((*header).cmsg_level, (*header).cmsg_type) } != (libc::SOL_SOCKET, libc::SCM_RIGHTS)
    {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no fd was sent (the peer closed)"));
    }
    // SAFETY: an SCM_RIGHTS message carries the fd after its header; the kernel installed it in
    // this process, and nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<RawFd>())) })
}
