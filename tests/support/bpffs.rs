//! A bpffs of the test's own: mounted on a fresh temporary directory, unmounted on drop, so
//! that pin tests never touch the machine's `/sys/fs/bpf` and leave no pins behind.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A bpffs mounted at a temporary directory (`mount -t bpf bpf DIR`).
#[derive(Debug)]
pub struct Bpffs {
    dir: PathBuf,
    /// What the kernel puts in every new bpffs (`maps.debug`, `progs.debug` with
    /// `CONFIG_BPF_PRELOAD`).
    preloaded: Vec<String>,
}

impl Bpffs {
    /// Mounts a new bpffs; `Err` says why not (mounting needs `CAP_SYS_ADMIN`).
    pub fn mount() -> Result<Bpffs, String> {
        let dir = temp_dir("bpffs")?;
        let c_dir = c_path(&dir);
        // SAFETY: NUL-terminated strings that outlive the call; bpffs takes no mount data.
        let ret =
            unsafe { libc::mount(c"bpf".as_ptr(), c_dir.as_ptr(), c"bpf".as_ptr(), 0, core::ptr::null()) };
        if ret != 0 {
            let err = std::io::Error::last_os_error();
            let _ = std::fs::remove_dir(&dir);
            return Err(format!("mount -t bpf bpf {}: {err}", dir.display()));
        }
        let mut fs = Bpffs { dir, preloaded: Vec::new() };
        fs.preloaded = fs.all_entries();
        Ok(fs)
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `<mount point>/<name>`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The names in the mount's top directory that the kernel did not put there, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names = self.all_entries();
        names.retain(|name| !self.preloaded.contains(name));
        names
    }

    fn all_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap_or_else(|e| panic!("read_dir {}: {e}", self.dir.display()))
            .map(|entry| entry.expect("dir entry").file_name().into_string().expect("UTF-8 name"))
            .collect();
        names.sort();
        names
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        let c_dir = c_path(&self.dir);
        // Detached, so that an fd a failing test still holds cannot keep the mount busy; the
        // pins go with the last reference to the superblock.
        // SAFETY: a NUL-terminated path that outlives the call.
        unsafe { libc::umount2(c_dir.as_ptr(), libc::MNT_DETACH) };
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A new, empty directory under the system's temporary directory.
pub fn temp_dir(what: &str) -> Result<PathBuf, String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bpfmap-{what}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            // Left by an earlier run whose process had the same id.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("mkdir {}: {e}", dir.display())),
        }
    }
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL in a temporary path")
}

/// A bpffs of the test's own, or returns from the test (skipping it) where mounting is refused
/// and `BPFMAP_REQUIRE_KERNEL` is not `1`; fails the test where it is.
#[macro_export]
macro_rules! require_bpffs {
    () => {
        match $crate::support::bpffs::Bpffs::mount() {
            Ok(fs) => fs,
            Err(why) if std::env::var("BPFMAP_REQUIRE_KERNEL").as_deref() == Ok("1") => {
                panic!("BPFMAP_REQUIRE_KERNEL=1 but a bpffs cannot be mounted here: {why}")
            }
            Err(why) => {
                $crate::support::skip::skip(&format!(
                    "a bpffs cannot be mounted here ({why}); run as root (CAP_SYS_ADMIN mounts bpffs)"
                ));
                return;
            }
        }
    };
}
