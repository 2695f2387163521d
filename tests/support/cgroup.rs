//! A cgroup of the test's own, in the cgroup v2 hierarchy, removed on drop; and attaching
//! programs to it.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// `BPF_CGROUP_INET_INGRESS`.
pub const INET_INGRESS: u32 = 0;
/// `BPF_PROG_TYPE_CGROUP_SKB`.
pub const PROG_TYPE_CGROUP_SKB: u32 = 8;

/// A new, empty cgroup v2 directory.
#[derive(Debug)]
pub struct Cgroup {
    dir: PathBuf,
    fd: OwnedFd,
}

impl Cgroup {
    /// Creates `<cgroup2 mount>/bpfmap-<tag>-<pid>`; `Err` says why not.
    pub fn new(tag: &str) -> Result<Cgroup, String> {
        let root = cgroup2_root()?;
        let dir = root.join(format!("bpfmap-{tag}-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let fd = std::fs::File::open(&dir).map_err(|e| format!("open {}: {e}", dir.display()))?.into();
        Ok(Cgroup { dir, fd })
    }

    /// The cgroup's id: its directory's inode number, as the kernel's cgroup storage keys it.
    pub fn id(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&self.dir).expect("the cgroup directory").ino()
    }

    /// The directory, open.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Attaches `prog` for `attach_type` (`BPF_PROG_ATTACH`); it stays until the cgroup goes.
    pub fn attach(&self, prog: impl AsFd, attach_type: u32) -> Result<(), String> {
        #[repr(C)]
        #[derive(Default)]
        struct Attach {
            target_fd: u32,
            attach_bpf_fd: u32,
            attach_type: u32,
            attach_flags: u32,
        }
        let mut attr = Attach {
            target_fd: self.fd.as_raw_fd() as u32,
            attach_bpf_fd: prog.as_fd().as_raw_fd() as u32,
            attach_type,
            attach_flags: 0,
        };
        const PROG_ATTACH: libc::c_long = 8;
        // SAFETY: a zeroed attr prefix of the size passed; PROG_ATTACH reads no pointers.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                PROG_ATTACH,
                &mut attr as *mut Attach,
                size_of::<Attach>() as libc::c_long,
            )
        };
        if ret < 0 { Err(format!("BPF_PROG_ATTACH: {}", std::io::Error::last_os_error())) } else { Ok(()) }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // An empty cgroup can go with programs attached: the kernel detaches them.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Where cgroup v2 is mounted: from `/proc/self/mounts`, else a new mount of our own.
fn cgroup2_root() -> Result<PathBuf, String> {
    let mounts =
        std::fs::read_to_string("/proc/self/mounts").map_err(|e| format!("/proc/self/mounts: {e}"))?;
    if let Some(dir) = mounts.lines().find_map(|l| {
        let mut fields = l.split(' ');
        let (_, dir, fs) = (fields.next()?, fields.next()?, fields.next()?);
        (fs == "cgroup2").then(|| PathBuf::from(dir))
    }) {
        return Ok(dir);
    }
    let dir = std::env::temp_dir().join(format!("bpfmap-cgroup2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let c_dir = CString::new(dir.as_os_str().as_encoded_bytes()).expect("no NUL");
    // SAFETY: NUL-terminated strings that outlive the call; cgroup2 takes no mount data.
    let ret =
        unsafe { libc::mount(c"none".as_ptr(), c_dir.as_ptr(), c"cgroup2".as_ptr(), 0, core::ptr::null()) };
    if ret != 0 {
        return Err(format!("mount -t cgroup2 none {}: {}", dir.display(), std::io::Error::last_os_error()));
    }
    Ok(dir)
}
