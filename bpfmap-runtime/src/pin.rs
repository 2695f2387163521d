//! Pins in bpffs: where the root is, whether it is really bpffs, and the path of a map.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use crate::error::MapLabel;
use crate::{Errno, Error, Map};

/// The pin root when neither the loader nor `BPFMAP_PIN_ROOT` names one.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

/// `BPF_FS_MAGIC`: `statfs` of a bpffs mount reports this type.
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// The pin root: `explicit`, else `$BPFMAP_PIN_ROOT`, else `/sys/fs/bpf`.
pub(crate) fn resolve_root(explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(root) => root.to_path_buf(),
        None => {
            std::env::var_os("BPFMAP_PIN_ROOT").map_or_else(|| PathBuf::from(DEFAULT_PIN_ROOT), PathBuf::from)
        }
    }
}

/// Checks that `root` is a directory on a bpffs mount: pins elsewhere fail with an obscure
/// errno, and a path that escapes the root would pin somewhere unintended.
pub(crate) fn check_root(root: &Path) -> Result<(), Error> {
    let problem = |what: String| Err(Error::PinRoot { root: root.to_path_buf(), problem: what });
    if root.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return problem("it contains `..`".to_string());
    }
    let Ok(c_root) = CString::new(root.as_os_str().as_encoded_bytes()) else {
        return problem("it contains a NUL byte".to_string());
    };
    // SAFETY: statfs writes one struct through a valid pointer; the path is NUL-terminated.
    let mut fs: libc::statfs = unsafe { core::mem::zeroed() };
    if unsafe { libc::statfs(c_root.as_ptr(), &mut fs) } != 0 {
        let errno = Errno::last();
        return problem(match errno {
            Errno::ENOENT => "it does not exist".to_string(),
            errno => format!("statfs failed with {errno}"),
        });
    }
    if fs.f_type as i64 != BPF_FS_MAGIC {
        return problem("it is not on a bpffs mount".to_string());
    }
    Ok(())
}

/// `<root>/<name>` for a map pinned by name; names such as `..` would leave the root.
pub(crate) fn path_for(root: &Path, map: &MapLabel) -> Result<PathBuf, Error> {
    match map.name.as_str() {
        "" | "." | ".." => Err(Error::PinRoot {
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
