//! Failure behaviour: privilege, probes, memlock, leaks and concurrency, each asserted on the
//! outcome (the error variant, its message, the fd count, the values).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use bpfmap::{
    ArrayMap, Cause, Errno, Error, HashMap, Map, MapDef, MapFlags, MapType, Maps, Memlock, Update, bpf_map,
    probe,
};

#[bpf_map(type = "hash", max_entries = 1024, flags = "no_prealloc", name = "priv_flows")]
struct Flows {
    key: u32,
    value: u64,
}

fn unprivileged(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    support::child::unprivileged(program, args, envs, &[])
}

/// The privilege tests re-run this test binary as an unprivileged child, which runs only
/// `unprivileged_child` (selected by name and by this variable).
const CHILD: &str = "BPFMAP_FAILURES_CHILD";

#[test]
fn unprivileged_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    match bpfmap::load() {
        Ok(_) => println!("loaded"),
        Err(Error::Create { map, errno, cause: Cause::Privilege { needs, has_cap_bpf, .. } }) => {
            println!("map={} errno={} needs={needs:?} has_cap_bpf={has_cap_bpf:?}", map.name, errno.name());
        }
        Err(e) => println!("other: {e:?}"),
    }
    let err = bpfmap::load().map(drop).expect_err("unprivileged");
    println!("message={err}");
}

#[test]
fn without_privilege_load_names_the_map_and_the_remedy() {
    require_kernel!();
    let out = unprivileged(
        &std::env::current_exe().expect("test binary"),
        &["--exact", "unprivileged_child", "--nocapture", "--test-threads=1"],
        &[(CHILD, "1")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("map=priv_flows errno=EPERM needs=Unprivileged has_cap_bpf=Some(false)"),
        "{stdout}"
    );
    let message = stdout.lines().find_map(|l| l.strip_prefix("message=")).expect("message line");
    let line = <Flows as bpfmap::MapDecl>::declaration().line;
    assert!(
        message.starts_with(&format!(
            "cannot create map `priv_flows` (hash, declared as `Flows` at tests/failures.rs:{line}): EPERM \
             (operation not permitted): this process lacks CAP_BPF; run as root or grant CAP_BPF (and \
             CAP_PERFMON/CAP_NET_ADMIN for some types); see /proc/sys/kernel/unprivileged_bpf_disabled"
        )),
        "{message}"
    );
}

/// The checkout may sit where others cannot enter (root's home is 0700 on Debian, and so is a
/// `mktemp -d` directory): this binary, hard-linked into a 0700 directory, runs the privilege
/// test from there, whose unprivileged child must still start.
#[test]
fn the_privilege_test_passes_from_a_directory_others_cannot_enter() {
    require_kernel!();
    if std::env::var_os(CHILD).is_some() || std::env::var_os(PRIVATE_COPY).is_some() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("private-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("private dir");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod 0700");
    let copy = dir.join("failures");
    let exe = std::env::current_exe().expect("test binary");
    std::fs::hard_link(&exe, &copy)
        .or_else(|_| std::fs::copy(&exe, &copy).map(drop))
        .expect("link the binary");
    let out = Command::new(&copy)
        .args(["--exact", "without_privilege_load_names_the_map_and_the_remedy", "--test-threads=1"])
        .env(PRIVATE_COPY, "1")
        .current_dir(&dir)
        .output()
        .expect("run the copy");
    std::fs::remove_dir_all(&dir).expect("clean up");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the test ran: {stdout}");
}

/// Set in the copy that runs from a 0700 directory, so that it does not copy itself again.
const PRIVATE_COPY: &str = "BPFMAP_FAILURES_PRIVATE_COPY";

/// `target/debug/examples/quickstart`, built if `cargo test` did not build it already.
fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let example = profile_dir.join("examples/quickstart");
    if !example.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "quickstart"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build --example quickstart");
        assert!(status.success());
    }
    example
}

#[test]
fn the_quickstart_without_privilege_prints_the_explanation_and_fails() {
    require_kernel!();
    // Its `main` returns `Result<(), bpfmap::Error>`: Rust prints `Error: ` and the error's
    // `Debug`, which is the explained message, not the variant's fields.
    let out = unprivileged(&quickstart(), &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains("Create {") && !stderr.contains("MapLabel"), "{stderr}");
    assert!(
        stderr.starts_with(
            "Error: cannot create map `flows` (hash, declared as `Flows` at examples/quickstart.rs:12): EPERM \
             (operation not permitted): this process lacks CAP_BPF; run as root or grant CAP_BPF"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The low-fd test re-runs this binary, running only `low_fds_child`.
const LOW_FDS_CHILD: &str = "BPFMAP_FAILURES_LOW_FDS";

#[test]
fn low_fds_child() {
    if std::env::var_os(LOW_FDS_CHILD).is_none() {
        return;
    }
    // Rust's runtime reopens closed stdio fds before main, so close them here, as a daemon
    // that detaches from its terminal does.
    for fd in 0..3 {
        // SAFETY: closing fds this process owns; nothing uses stdio after this point.
        unsafe { libc::close(fd) };
    }
    let map = bpfmap::create_map(&MapDef::new(MapType::ARRAY, 4, 4, 1)).expect("create");
    let maps = bpfmap::load().expect("load");
    // stdout is closed too: report through the exit status.
    let lowest = std::os::fd::AsRawFd::as_raw_fd(&map).min(std::os::fd::AsRawFd::as_raw_fd(&maps[0].fd()));
    std::process::exit(if lowest >= 3 { 0 } else { 10 + lowest });
}

#[test]
fn maps_never_take_fds_0_to_2() {
    require_kernel!();
    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "low_fds_child", "--test-threads=1"])
        .env(LOW_FDS_CHILD, "1")
        .status()
        .expect("spawn");
    // 10 + n: a map got fd n, which the bpf attrs would read as "no fd" (0) or stdio would hit.
    assert_eq!(status.code(), Some(0), "a map was given a low fd");
}

#[test]
fn probes_tell_what_this_kernel_has() {
    require_kernel!();
    assert!(probe::map_type(MapType::HASH).expect("probe"));
    assert!(probe::map_type(MapType::RINGBUF).expect("probe"));
    assert!(probe::map_type(MapType::ARENA).expect("probe"));
    assert!(probe::map_flag(MapType::ARRAY, MapFlags::MMAPABLE).expect("probe"));
    let has_insn_array = probe::map_type(MapType::INSN_ARRAY).expect("probe");
    let has_overwrite = probe::map_flag(MapType::RINGBUF, MapFlags::RB_OVERWRITE).expect("probe");
    // Both arrived in 6.19; a kernel has both or neither.
    assert_eq!(has_insn_array, has_overwrite);
    // Cached: a second probe gives the same answer.
    assert_eq!(probe::map_type(MapType::INSN_ARRAY).expect("probe"), has_insn_array);
    // Local storage is probed with the BTF it needs; arenas (6.9) came after all four.
    for storage in [MapType::SK_STORAGE, MapType::INODE_STORAGE, MapType::TASK_STORAGE, MapType::CGRP_STORAGE]
    {
        assert!(probe::map_type(storage).expect("probe"), "{storage:?}");
    }
    // The kernel's own BTF is not bpfmap's to give: struct_ops maps are never probed.
    assert!(!probe::map_type(MapType::STRUCT_OPS).expect("probe"));
}

#[test]
fn kernels_with_memory_cgroups_do_not_charge_memlock() {
    require_kernel!();
    // On 5.11 and later, map memory goes to the memory cgroup: the probe (a program calling a
    // helper of 5.11) loads, and `Memlock::Auto` leaves the limit alone.
    let mut before = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut before) }, 0);
    assert!(!probe::memlock_charged());
    let maps = bpfmap::Loader::new().memlock(Memlock::Auto).load().expect("load");
    assert_eq!(maps.len(), 1);
    let mut after = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut after) }, 0);
    assert_eq!((after.rlim_cur, after.rlim_max), (before.rlim_cur, before.rlim_max));
}

#[test]
fn memory_errors_give_the_numbers() {
    require_kernel!();
    // 2^20 preallocated elements of 1 MiB each: 1 TiB, refused at once.
    let def = MapDef::new(MapType::HASH, 4, 1 << 20, 1 << 20).with_name(bpfmap::MapName::new("too_big"));
    let err = bpfmap::create_map(&def).expect_err("larger than memory");
    assert!(
        matches!(err, Error::Create { errno: Errno::ENOMEM, cause: Cause::Memory { .. }, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("cannot create map `too_big` (hash): ENOMEM (cannot allocate memory): "),
        "{message}"
    );
    assert!(message.contains("max_entries 1048576 × (key 4 B + value 1048576 B)"), "{message}");
}

#[test]
fn ten_thousand_creates_and_drops_leave_no_fd_behind() {
    require_kernel!();
    let _turn = support::serial();
    let before = support::open_fds();
    let def = MapDef::new(MapType::ARRAY, 4, 8, 4);
    for i in 0..10_000u32 {
        let map = bpfmap::create_map(&def).expect("create");
        let array = ArrayMap::<u64>::new(&map).expect("handle");
        array.set(i % 4, &u64::from(i)).expect("set");
        assert_eq!(array.get(i % 4).expect("get"), Some(u64::from(i)));
    }
    assert_eq!(support::open_fds(), before);
}

/// Maps, handles and views move between threads and are shared by them: the kernel
/// serializes element operations itself.
#[test]
fn maps_and_handles_are_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Maps>();
    shared::<Map>();
    shared::<HashMap<'static, u32, u64>>();
    shared::<ArrayMap<'static, u64>>();
    shared::<bpfmap::PerCpuHashMap<'static, u32, u64>>();
    shared::<bpfmap::MmapArray<'static, u64>>();
    shared::<bpfmap::RingBufConsumer<'static>>();
    shared::<Error>();
}

/// Clippy's `result_large_err` flags any `Result<_, E>` with an `E` of 128 bytes or more, in
/// users' code too (every closure that maps a `Result<_, bpfmap::Error>`).
#[test]
fn errors_stay_small_enough_for_users_clippy() {
    assert!(size_of::<Error>() < 128, "Error is {} bytes", size_of::<Error>());
}

#[test]
fn eight_threads_write_and_read_back_disjoint_keys() {
    require_kernel!();
    const THREADS: u32 = 8;
    const OPS: u32 = 100_000;
    // Each thread: OPS / 2 inserts, then OPS / 2 lookups of what it wrote.
    let per_thread = OPS / 2;
    let def = MapDef::new(MapType::HASH, 4, 8, THREADS * per_thread).with_flags(MapFlags::NO_PREALLOC);
    let map = bpfmap::create_map(&def).expect("create");
    let hash = HashMap::<u32, u64>::new(&map).expect("handle");
    let value = |key: u32| u64::from(key) * 0x9E37_79B9 + 1;
    let wrong: u32 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let hash = hash.clone();
                s.spawn(move || {
                    let keys = t * per_thread..(t + 1) * per_thread;
                    for key in keys.clone() {
                        hash.insert(&key, &value(key), Update::NoExist).expect("insert");
                    }
                    keys.filter(|key| hash.get(key).expect("get") != Some(value(*key))).count() as u32
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    assert_eq!(wrong, 0);
    assert_eq!(hash.iter().count(), (THREADS * per_thread) as usize);
    assert!(hash.iter().all(|e| e.is_ok_and(|(k, v)| v == value(k))));
}
