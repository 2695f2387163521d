//! Local storage against the kernel: a value per socket, task, inode and cgroup, named from
//! user space by an fd of the owner, inserted, read back (under its lock where the value has
//! one) and removed; an fd of the wrong kind is explained.

mod support;

use std::net::UdpSocket;
use std::os::fd::{FromRawFd, OwnedFd};

use bpfmap::{Errno, Error, Pod, SpinLock, Update, bpf_map};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod)]
struct Seen {
    packets: u64,
    bytes: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod)]
struct Locked {
    lock: SpinLock,
    count: u32,
    total: u64,
}

#[bpf_map(type = "sk_storage", flags = "no_prealloc", name = "ls_sockets")]
struct PerSocket {
    key: u32,
    value: Seen,
}

#[bpf_map(type = "task_storage", flags = "no_prealloc", name = "ls_tasks")]
struct PerTask {
    key: u32,
    value: Locked,
}

#[bpf_map(type = "inode_storage", flags = "no_prealloc", name = "ls_inodes")]
struct PerInode {
    key: u32,
    value: Seen,
}

#[bpf_map(type = "cgrp_storage", flags = "no_prealloc", name = "ls_cgroups")]
struct PerCgroup {
    key: u32,
    value: Seen,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// A pidfd of this process (`pidfd_open(2)`).
fn pidfd() -> OwnedFd {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    assert!(fd >= 0, "pidfd_open: {}", std::io::Error::last_os_error());
    // SAFETY: a fresh fd nobody else owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

#[test]
fn a_socket_keeps_its_value() {
    require_kernel!();
    let maps = load();
    let storage = maps.get::<PerSocket>();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let other = UdpSocket::bind("127.0.0.1:0").expect("bind");
    assert_eq!(storage.get(&socket).expect("get"), None);
    storage.insert(&socket, &Seen { packets: 1, bytes: 64 }, Update::NoExist).expect("insert");
    assert_eq!(storage.get(&socket).expect("get"), Some(Seen { packets: 1, bytes: 64 }));
    assert_eq!(storage.get(&other).expect("get"), None, "per socket");
    let err = storage.insert(&socket, &Seen::default(), Update::NoExist).expect_err("exists");
    assert_eq!(err.errno(), Some(Errno::EEXIST));
    storage.insert(&socket, &Seen { packets: 2, bytes: 128 }, Update::Exist).expect("replace");
    assert_eq!(storage.get(&socket).expect("get").map(|s| s.packets), Some(2));
    assert!(storage.remove(&socket).expect("remove"));
    assert!(!storage.remove(&socket).expect("remove again"));
    // A file is not a socket.
    let file = std::fs::File::open("/dev/null").expect("open");
    let err = storage.insert(&file, &Seen::default(), Update::Any).expect_err("not a socket");
    assert_eq!(err.errno(), Some(Errno::ENOTSOCK));
    assert!(
        err.to_string().ends_with("an sk_storage keeps a value per socket, named by the socket's fd"),
        "{err}"
    );
}

#[test]
fn a_task_keeps_its_value_under_its_lock() {
    require_kernel!();
    let maps = load();
    let storage = maps.get::<PerTask>();
    let me = pidfd();
    // BPF_F_LOCK both ways: the lock was found through the generated BTF.
    storage.insert(&me, &Locked { count: 3, total: 30, ..Default::default() }, Update::Any).expect("insert");
    assert_eq!(storage.get(&me).expect("get"), Some(Locked { count: 3, total: 30, ..Default::default() }));
    assert!(storage.remove(&me).expect("remove"));
    assert_eq!(storage.get(&me).expect("get"), None);
    let file = std::fs::File::open("/dev/null").expect("open");
    let err = storage.insert(&file, &Locked::default(), Update::Any).expect_err("not a pidfd");
    assert_eq!(err.errno(), Some(Errno::EBADF));
    assert!(err.to_string().contains("a task_storage names a task by a pidfd"), "{err}");
}

#[test]
fn an_inode_keeps_its_value() {
    require_kernel!();
    let maps = load();
    let storage = maps.get::<PerInode>();
    let dir = std::env::temp_dir().join(format!("bpfmap-inode-{}", std::process::id()));
    std::fs::write(&dir, b"x").expect("a file");
    let file = std::fs::File::open(&dir).expect("open");
    let same_inode = std::fs::File::open(&dir).expect("open again");
    let result = storage.insert(&file, &Seen { packets: 7, bytes: 7 }, Update::Any);
    let _ = std::fs::remove_file(&dir);
    match result {
        Ok(()) => {
            // The inode keeps it, whichever fd of it asks.
            assert_eq!(storage.get(&same_inode).expect("get"), Some(Seen { packets: 7, bytes: 7 }));
            assert!(storage.remove(&file).expect("remove"));
        }
        // Without the BPF LSM, the kernel has no storage for inodes: the error says so.
        Err(e @ Error::Map { errno: Errno::EBADF, .. }) => {
            assert!(e.to_string().contains("needs the BPF LSM active"), "{e}");
            println!("inode storage: the BPF LSM is not active here ({e})");
        }
        Err(e) => panic!("inode storage: {e}"),
    }
}

#[test]
fn a_cgroup_keeps_its_value() {
    require_kernel!();
    let maps = load();
    let storage = maps.get::<PerCgroup>();
    let cgroup = support::cgroup::Cgroup::new("local").unwrap_or_else(|e| panic!("{e}"));
    storage.insert(cgroup.fd(), &Seen { packets: 9, bytes: 900 }, Update::Any).expect("insert");
    assert_eq!(storage.get(cgroup.fd()).expect("get"), Some(Seen { packets: 9, bytes: 900 }));
    assert!(storage.remove(cgroup.fd()).expect("remove"));
    let dir = std::fs::File::open(std::env::temp_dir()).expect("a directory that is no cgroup");
    let err = storage.get(&dir).expect_err("not a cgroup");
    assert_eq!(err.errno(), Some(Errno::EBADF));
    assert!(err.to_string().contains("a cgrp_storage names a cgroup by its directory"), "{err}");
}
