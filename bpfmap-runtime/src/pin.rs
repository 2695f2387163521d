//! Pins in bpffs: where the root is, whether it is really bpffs, and the path of a map.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use crate::error::MapLabel;
use crate::{Errno, Error, Map};

/// The pin root when neither the loader nor `BPFMAP_PIN_ROOT` names one.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

/// `BPF_FS_MAGIC`: `statfs` of a bpffs mount reports this type.
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// `SYSFS_MAGIC`: what an unmounted `/sys/fs/bpf` is on.
const SYSFS_MAGIC: i64 = 0x6265_6572;

/// The pin root: `explicit`, else `$BPFMAP_PIN_ROOT`, else `/sys/fs/bpf`.
pub(crate) fn resolve_root(explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(root) => root.to_path_buf(),
        // `BPFMAP_PIN_ROOT=` (set but empty) is how shells unset a variable for one command.
        None => std::env::var_os("BPFMAP_PIN_ROOT")
            .filter(|root| !root.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_PIN_ROOT), PathBuf::from),
    }
}

/// Checks that `root` is a directory on a bpffs mount: pins elsewhere fail with an obscure
/// errno, and a path that escapes the root would pin somewhere unintended.
pub(crate) fn check_root(root: &Path) -> Result<(), Error> {
    let problem = |what: String| Err(Error::PinRoot { root: root.to_path_buf(), problem: what });
    let shown = root.display();
    if root.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return problem(
            "it contains `..`, which could lead pins out of the bpffs mount; name the directory without it"
                .to_string(),
        );
    }
    if root.as_os_str().as_encoded_bytes().contains(&0) {
        return problem("it contains a NUL byte".to_string());
    }
    match fs_type(root) {
        Ok(BPF_FS_MAGIC) if root.is_dir() => Ok(()),
        Ok(BPF_FS_MAGIC) => problem("it is not a directory".to_string()),
        Ok(other) => problem(format!(
            "it is not on a bpffs mount (it is on {}); mount one there (`mount -t bpf bpf {shown}`)",
            fs_name(other)
        )),
        Err(Errno::ENOENT) => {
            let parent = nearest_existing(root).unwrap_or_else(|| PathBuf::from("/"));
            let above = parent.display();
            match fs_type(&parent) {
                Ok(BPF_FS_MAGIC) => problem(format!(
                    "it does not exist; create it (`mkdir -p {shown}`) in the bpffs mount at {above}"
                )),
                // sysfs makes no directories: /sys/fs/bpf is the empty mount point it keeps for
                // bpffs.
                Ok(SYSFS_MAGIC) => problem(format!(
                    "it does not exist, and {above} is not a bpffs mount; mount one there, then create it \
                     (`mount -t bpf bpf {above} && mkdir -p {shown}`)"
                )),
                _ => problem(format!(
                    "it does not exist, and no bpffs is mounted above it; mount one \
                     (`mkdir -p {shown} && mount -t bpf bpf {shown}`)"
                )),
            }
        }
        Err(errno) => problem(format!("statfs failed with {errno}")),
    }
}

/// The `f_type` of the file system `path` is on.
fn fs_type(path: &Path) -> Result<i64, Errno> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| Errno::EINVAL)?;
    // SAFETY: an all-zero statfs is a valid value to be overwritten.
    let mut fs: libc::statfs = unsafe { core::mem::zeroed() };
    // SAFETY: statfs writes one struct through a valid pointer; the path is NUL-terminated.
    if unsafe { libc::statfs(c_path.as_ptr(), &mut fs) } != 0 {
        return Err(Errno::last());
    }
    #[allow(clippy::unnecessary_cast, reason = "f_type is i64 on x86_64 but not on every target")]
    Ok(fs.f_type as i64)
}

/// The file systems a pin root is most often on by mistake, by name.
pub(crate) fn fs_name(magic: i64) -> String {
    let name = match magic {
        // An unmounted /sys/fs/bpf is a directory of sysfs.
        SYSFS_MAGIC => "sysfs",
        0x0102_1994 => "tmpfs",
        0xef53 => "ext4",
        0x9123_683e => "btrfs",
        0x5846_5342 => "xfs",
        0x794c_7630 => "overlayfs",
        _ => return format!("a file system of type {magic:#x}"),
    };
    name.to_string()
}

/// The closest ancestor of `path` that exists.
fn nearest_existing(path: &Path) -> Option<PathBuf> {
    let parent = path.ancestors().skip(1).find(|p| p.as_os_str().is_empty() || p.exists())?;
    // The parent of a relative path's first component is "", the working directory.
    Some(if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() })
}

/// `<root>/<name>` for a map pinned by name; names such as `..` would leave the root.
pub(crate) fn path_for(root: &Path, map: &MapLabel) -> Result<PathBuf, Error> {
    match map.name.as_str() {
        name if matches!(name, "" | "." | "..") || name.contains('/') => Err(Error::PinRoot {
            root: root.to_path_buf(),
            problem: format!("{map} cannot be pinned by name: its name is not a file name in the root"),
        }),
        name => Ok(root.join(name)),
    }
}

impl Map {
    /// Pins the map at `path` (`BPF_OBJ_PIN`): it outlives this process until the file is
    /// removed. `path` must be on a bpffs mount.
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let err = |errno| Error::Pin { map: self.label(), path: path.to_path_buf(), errno };
        let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| err(Errno::EINVAL))?;
        crate::sys::obj_pin(self.fd(), &c_path).map_err(err)
    }
}

/// What the permission bits `mode` of a file owned by `owner`:`group` grant a process with
/// effective `uid`, in `groups` (its effective gid and supplementary groups): the owner's bits
/// if it owns the file, else the group's if it is in the group, else the others' (the kernel's
/// order, without capabilities: root is never asked).
pub(crate) fn granted(mode: u32, owner: u32, group: u32, uid: u32, groups: &[u32]) -> Option<crate::Access> {
    let bits = if uid == owner {
        mode >> 6
    } else if groups.contains(&group) {
        mode >> 3
    } else {
        mode
    } & 0o7;
    match (bits & 0o4 != 0, bits & 0o2 != 0) {
        (true, true) => Some(crate::Access::ReadWrite),
        (true, false) => Some(crate::Access::ReadOnly),
        (false, true) => Some(crate::Access::WriteOnly),
        (false, false) => None,
    }
}

/// The explanation of `EACCES` from `BPF_OBJ_GET` on the pin at `path`, opened with `access`:
/// the pin's mode and owner, and what they grant this process. `None` when the pin cannot be
/// looked at (a directory on the way is closed to this process).
pub(crate) fn denied(path: &Path, access: crate::Access) -> Option<Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    // SAFETY: getegid/geteuid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let mut groups = vec![gid];
    // SAFETY: a null list with size 0 asks only for the count.
    let count = unsafe { libc::getgroups(0, core::ptr::null_mut()) };
    if let Ok(count) = usize::try_from(count) {
        let mut extra = vec![0 as libc::gid_t; count];
        // SAFETY: `extra` has room for `count` gids.
        let got = unsafe { libc::getgroups(count as libc::c_int, extra.as_mut_ptr()) };
        extra.truncate(usize::try_from(got).unwrap_or(0));
        groups.extend(extra);
    }
    let mode = meta.mode() & 0o7777;
    let granted = granted(mode, meta.uid(), meta.gid(), uid, &groups);
    Some(Error::PinDenied {
        path: path.to_path_buf(),
        access,
        mode,
        owner: meta.uid(),
        group: meta.gid(),
        uid,
        granted,
    })
}

#[cfg(test)]
mod access_tests {
    use super::granted;
    use crate::Access;

    #[test]
    fn the_mode_grants_by_owner_then_group_then_others() {
        assert_eq!(granted(0o640, 0, 100, 0, &[0]), Some(Access::ReadWrite), "the owner");
        assert_eq!(granted(0o640, 0, 100, 65534, &[65534, 100]), Some(Access::ReadOnly), "in the group");
        assert_eq!(granted(0o640, 0, 100, 65534, &[65534]), None, "neither");
        assert_eq!(granted(0o604, 0, 100, 65534, &[100]), None, "the group's bits, though others have more");
        assert_eq!(granted(0o622, 7, 7, 8, &[8]), Some(Access::WriteOnly));
    }
}
