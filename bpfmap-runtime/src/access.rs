//! `Access`: what an fd of a map may do, as `BPF_OBJ_GET` and `BPF_MAP_GET_FD_BY_ID` open it.

use core::fmt;

use crate::error::Op;

/// How a map is opened: the kernel checks every operation on the fd against it, whatever the
/// process's capabilities, and a pin's file mode decides which of them a user may ask for
/// (read permission for [`ReadOnly`](Access::ReadOnly), write for
/// [`WriteOnly`](Access::WriteOnly), both for [`ReadWrite`](Access::ReadWrite)).
///
/// ```no_run
/// use bpfmap::{Access, HashMap, Map, Update};
///
/// // As a user allowed to read the pin (mode 0640, in its group), not to write it.
/// let map = Map::from_pin_with("/sys/fs/bpf/flows", Access::ReadOnly)?;
/// assert_eq!(map.access(), Access::ReadOnly);
/// let flows = HashMap::<u32, u64>::new(&map)?;
/// println!("{:?}", flows.get(&80)?);                      // reads work
/// let err = flows.insert(&80, &0, Update::Any).unwrap_err();
/// println!("{err}");                                     // names the read-only opening
/// # Ok::<(), bpfmap::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Access {
    /// Lookups, updates and deletes (the default; what a created map's fd allows).
    #[default]
    ReadWrite,
    /// Lookups and iteration only (`BPF_F_RDONLY`): updates, deletes and `freeze` fail.
    ReadOnly,
    /// Updates and deletes only (`BPF_F_WRONLY`): lookups and iteration fail.
    WriteOnly,
}

impl Access {
    /// The `file_flags`/`open_flags` bits of `BPF_OBJ_GET` and `BPF_MAP_GET_FD_BY_ID`.
    pub const fn flags(self) -> u32 {
        const BPF_F_RDONLY: u32 = 1 << 3;
        const BPF_F_WRONLY: u32 = 1 << 4;
        match self {
            Access::ReadWrite => 0,
            Access::ReadOnly => BPF_F_RDONLY,
            Access::WriteOnly => BPF_F_WRONLY,
        }
    }

    /// Whether elements can be read through the fd.
    pub const fn can_read(self) -> bool {
        !matches!(self, Access::WriteOnly)
    }

    /// Whether elements can be written (or the map frozen) through the fd.
    pub const fn can_write(self) -> bool {
        !matches!(self, Access::ReadOnly)
    }

    /// Whether this access forbids `op`, so that the kernel's `EPERM` for it means the access
    /// and not a missing capability. A batch may read or write: any limit counts.
    pub(crate) fn forbids(self, op: Op) -> bool {
        match op {
            Op::Update(_) | Op::Delete | Op::Freeze => !self.can_write(),
            Op::Lookup | Op::NextKey => !self.can_read(),
            Op::LookupAndDelete | Op::Batch | Op::Mmap => self != Access::ReadWrite,
            _ => false,
        }
    }
}

/// `read-write`, `read-only`, `write-only`.
impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::ReadWrite => "read-write",
            Access::ReadOnly => "read-only",
            Access::WriteOnly => "write-only",
        })
    }
}
