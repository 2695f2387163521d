//! The one door to `bpf(2)`: every command goes through [`bpf`], results are decoded here.

pub(crate) mod attr;

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::Errno;

/// `enum bpf_cmd`: the commands this crate issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Cmd {
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ObjPin = 6,
    ObjGet = 7,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    BtfLoad = 18,
    BtfGetFdById = 19,
    MapLookupAndDeleteElem = 21,
    MapFreeze = 22,
    MapLookupBatch = 24,
    MapLookupAndDeleteBatch = 25,
    MapUpdateBatch = 26,
    MapDeleteBatch = 27,
    TokenCreate = 36,
}

/// `bpf(cmd, attr, sizeof *attr)`, retried on `EINTR` with the attr as the caller filled it
/// (commands write results into their attr: a batch's `count`, an info's length; a retry must
/// not start from those).
///
/// # Safety
/// Every pointer the kernel reads from `attr` for `cmd` must be valid for the sizes the
/// kernel uses (the map's key and value sizes, the path's NUL, the info length), and every
/// pointer it writes through must be valid for writes of those sizes.
#[inline]
pub(crate) unsafe fn bpf<A: Copy>(cmd: Cmd, attr: &mut A) -> Result<i64, Errno> {
    retry_interrupted(attr, cmd.writes_attr(), |attr| {
        // SAFETY: `attr` is a live `#[repr(C)]` attr prefix of the size passed; the pointers
        // it holds are the caller's responsibility (see above).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as u32 as libc::c_long,
                attr as *mut A as *mut libc::c_void,
                size_of::<A>() as libc::c_long,
            )
        };
        if ret >= 0 { Ok(ret) } else { Err(Errno::last()) }
    })
}

impl Cmd {
    /// Whether the kernel writes results into this command's attr (a batch's `count` and
    /// token, an info's length): only those need the attr restored before a retry.
    const fn writes_attr(self) -> bool {
        !matches!(
            self,
            Cmd::MapCreate
                | Cmd::MapLookupElem
                | Cmd::MapUpdateElem
                | Cmd::MapDeleteElem
                | Cmd::MapGetNextKey
                | Cmd::ObjPin
                | Cmd::ObjGet
                | Cmd::MapGetFdById
                | Cmd::MapLookupAndDeleteElem
                | Cmd::MapFreeze
                | Cmd::TokenCreate
        )
    }
}

/// Runs `call` until it is not interrupted, giving each try `attr` as it was first filled
/// (kept only where the kernel `writes` into it).
#[inline(always)]
fn retry_interrupted<A: Copy>(
    attr: &mut A,
    writes: bool,
    mut call: impl FnMut(&mut A) -> Result<i64, Errno>,
) -> Result<i64, Errno> {
    let original = writes.then_some(*attr);
    loop {
        match call(attr) {
            Err(Errno::EINTR) => {
                if let Some(original) = original {
                    *attr = original;
                }
            }
            done => return done,
        }
    }
}

/// Takes ownership of the fd a command returned, moved to 3 or above.
///
/// # Safety
/// `ret` must be the result of a command that returns a new fd the caller owns.
pub(crate) unsafe fn owned_fd(ret: i64) -> Result<OwnedFd, Errno> {
    let raw = RawFd::try_from(ret).map_err(|_| Errno::EBADF)?;
    // SAFETY: the caller guarantees `raw` is a fresh fd nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    ensure_good_fd(fd)
}

/// Moves an fd below 3 to the lowest free fd at or above 3: the bpf attrs use 0 to mean "no
/// fd", and 0 to 2 belong to stdio, which a careless close elsewhere could hit.
pub(crate) fn ensure_good_fd(fd: OwnedFd) -> Result<OwnedFd, Errno> {
    if fd.as_raw_fd() >= 3 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid fd has no memory effects; the new fd is ours.
    let dup = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if dup < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `dup` was just returned by fcntl and nobody else holds it. `fd` closes on drop.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// An fd as the u32 the attrs carry.
pub(crate) fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

/// A pointer as the u64 the attrs carry.
pub(crate) fn ptr<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// One element command; `Ok(false)` when the kernel answers ENOENT (no such key, no next key,
/// an empty queue), which is an answer, not a failure.
///
/// # Safety
/// As the command requires of `key` and `value` (see the callers).
unsafe fn elem(
    cmd: Cmd,
    fd: BorrowedFd<'_>,
    key: *const u8,
    value: *const u8,
    flags: u64,
) -> Result<bool, Errno> {
    let mut attr =
        attr::MapElem { map_fd: fd_u32(fd), key: ptr(key), value: ptr(value), flags, ..Default::default() };
    // SAFETY: pointers per the caller's contract.
    match unsafe { bpf(cmd, &mut attr) } {
        Ok(_) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Looks up `key`, writing the value; `Ok(false)` when the key is absent.
///
/// # Safety
/// `key` must be readable for the map's key size and `value` writable for the size a lookup
/// writes (the value size, or the per-CPU buffer size of a per-CPU map).
pub(crate) unsafe fn lookup(
    fd: BorrowedFd<'_>,
    key: *const u8,
    value: *mut u8,
    flags: u64,
) -> Result<bool, Errno> {
    // SAFETY: pointers per this fn's contract.
    unsafe { elem(Cmd::MapLookupElem, fd, key, value, flags) }
}

/// Writes `value` at `key` with `BPF_ANY`, `BPF_NOEXIST` or `BPF_EXIST` in `flags`.
///
/// # Safety
/// `key` and `value` must be readable for the map's key and value (or per-CPU buffer) sizes;
/// `key` may be null for keyless maps (queue, stack, bloom filter).
pub(crate) unsafe fn update(
    fd: BorrowedFd<'_>,
    key: *const u8,
    value: *const u8,
    flags: u64,
) -> Result<(), Errno> {
    let mut attr =
        attr::MapElem { map_fd: fd_u32(fd), key: ptr(key), value: ptr(value), flags, ..Default::default() };
    // SAFETY: pointers per this fn's contract.
    unsafe { bpf(Cmd::MapUpdateElem, &mut attr) }.map(drop)
}

/// Deletes `key`; `Ok(false)` when it was absent.
///
/// # Safety
/// `key` must be readable for the map's key size.
pub(crate) unsafe fn delete(fd: BorrowedFd<'_>, key: *const u8) -> Result<bool, Errno> {
    // SAFETY: pointers per this fn's contract.
    unsafe { elem(Cmd::MapDeleteElem, fd, key, core::ptr::null(), 0) }
}

/// Writes the key after `key` (the first key when `key` is null); `Ok(false)` at the end.
///
/// # Safety
/// `key` must be null or readable for the key size, `next` writable for the key size.
pub(crate) unsafe fn next_key(fd: BorrowedFd<'_>, key: *const u8, next: *mut u8) -> Result<bool, Errno> {
    // SAFETY: pointers per this fn's contract.
    unsafe { elem(Cmd::MapGetNextKey, fd, key, next, 0) }
}

/// `BPF_OBJ_GET_INFO_BY_FD` for a map.
pub(crate) fn map_info(fd: BorrowedFd<'_>) -> Result<attr::MapInfo, Errno> {
    let mut info = attr::MapInfo::default();
    let mut attr = attr::InfoByFd {
        bpf_fd: fd_u32(fd),
        info_len: size_of::<attr::MapInfo>() as u32,
        info: ptr(&mut info as *mut attr::MapInfo),
    };
    // SAFETY: `info` is writable for `info_len` bytes and outlives the call.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }?;
    Ok(info)
}

/// Looks up `key` and deletes it in one step (for queues and stacks, `key` is null and the
/// value is popped); `Ok(false)` when absent or empty.
///
/// # Safety
/// As [`lookup`].
pub(crate) unsafe fn lookup_and_delete(
    fd: BorrowedFd<'_>,
    key: *const u8,
    value: *mut u8,
    flags: u64,
) -> Result<bool, Errno> {
    // SAFETY: pointers per this fn's contract.
    unsafe { elem(Cmd::MapLookupAndDeleteElem, fd, key, value, flags) }
}

/// `BPF_MAP_FREEZE`: no more writes from user space.
pub(crate) fn freeze(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut attr = attr::MapElem { map_fd: fd_u32(fd), ..Default::default() };
    // SAFETY: MAP_FREEZE reads no pointers.
    unsafe { bpf(Cmd::MapFreeze, &mut attr) }.map(drop)
}

/// Which batch command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Batch {
    Lookup,
    LookupAndDelete,
    Update,
    Delete,
}

/// One batch call; returns how many elements were processed and whether the map has no more
/// (`ENOENT`, which still delivers the elements counted). On failure, the errno and how many
/// elements the kernel processed before it (the count it writes back in every case).
///
/// # Safety
/// `in_batch` is null or readable, and `out_batch` writable, for the map's batch token (at
/// least the key size, and 8 bytes); `keys` and `values` hold `count` keys and values (values
/// per-CPU sized for per-CPU maps), writable for lookups and readable for updates and deletes.
// The arguments are the attr's fields, in its order.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn batch(
    fd: BorrowedFd<'_>,
    op: Batch,
    in_batch: *const u8,
    out_batch: *mut u8,
    keys: *mut u8,
    values: *mut u8,
    count: u32,
    elem_flags: u64,
) -> Result<(u32, bool), (Errno, u32)> {
    let mut attr = attr::MapBatch {
        in_batch: ptr(in_batch),
        out_batch: ptr(out_batch),
        keys: ptr(keys),
        values: ptr(values),
        count,
        map_fd: fd_u32(fd),
        elem_flags,
        flags: 0,
    };
    let cmd = match op {
        Batch::Lookup => Cmd::MapLookupBatch,
        Batch::LookupAndDelete => Cmd::MapLookupAndDeleteBatch,
        Batch::Update => Cmd::MapUpdateBatch,
        Batch::Delete => Cmd::MapDeleteBatch,
    };
    // SAFETY: pointers per this fn's contract.
    match unsafe { bpf(cmd, &mut attr) } {
        Ok(_) => Ok((attr.count, false)),
        Err(Errno::ENOENT) => Ok((attr.count, true)),
        Err(e) => Err((e, attr.count)),
    }
}

/// `BPF_OBJ_PIN`: pins `fd` at `path`.
pub(crate) fn obj_pin(fd: BorrowedFd<'_>, path: &std::ffi::CStr) -> Result<(), Errno> {
    let mut attr = attr::ObjPin { pathname: ptr(path.as_ptr()), bpf_fd: fd_u32(fd), file_flags: 0 };
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { bpf(Cmd::ObjPin, &mut attr) }.map(drop)
}

/// `BPF_OBJ_GET`: opens the object pinned at `path`.
pub(crate) fn obj_get(path: &std::ffi::CStr, file_flags: u32) -> Result<OwnedFd, Errno> {
    let mut attr = attr::ObjPin { pathname: ptr(path.as_ptr()), bpf_fd: 0, file_flags };
    // SAFETY: `path` is NUL-terminated and outlives the call; OBJ_GET returns a new fd.
    unsafe { bpf(Cmd::ObjGet, &mut attr).and_then(|ret| owned_fd(ret)) }
}

/// `BPF_MAP_GET_FD_BY_ID`: opens the map with kernel id `id`.
pub(crate) fn map_fd_by_id(id: u32, open_flags: u32) -> Result<OwnedFd, Errno> {
    let mut attr = attr::GetId { id, open_flags, ..Default::default() };
    // SAFETY: GET_FD_BY_ID reads no pointers and returns a new fd.
    unsafe { bpf(Cmd::MapGetFdById, &mut attr).and_then(|ret| owned_fd(ret)) }
}

/// `BPF_F_TOKEN_FD`: the flag that says a command's attr carries a token fd (in `map_flags`,
/// `btf_flags`, `prog_flags`).
pub(crate) const BPF_F_TOKEN_FD: u32 = 1 << 16;

/// The flag and the fd a command's attr gets for `token`: `(0, 0)` without one.
pub(crate) fn token_fields(token: Option<BorrowedFd<'_>>) -> (u32, i32) {
    token.map_or((0, 0), |fd| (BPF_F_TOKEN_FD, fd.as_raw_fd()))
}

/// `BPF_TOKEN_CREATE` (Linux 6.9): a BPF token from `bpffs`, an fd of the root directory of a
/// bpffs mounted with delegation options, opened for reading. `flags` must be 0 (none are
/// defined; tests set one to get the EINVAL of a kernel without tokens).
pub(crate) fn token_create(bpffs: BorrowedFd<'_>, flags: u32) -> Result<OwnedFd, Errno> {
    let mut attr = attr::TokenCreate { flags, bpffs_fd: fd_u32(bpffs) };
    // SAFETY: TOKEN_CREATE reads no pointers from this attr and returns a new fd.
    unsafe { bpf(Cmd::TokenCreate, &mut attr).and_then(|ret| owned_fd(ret)) }
}

/// `BPF_PROG_LOAD` of a socket filter made of `insns` (GPL), for probes; the verifier's log is
/// not asked for.
pub(crate) fn prog_load_socket_filter(insns: &[u64]) -> Result<OwnedFd, Errno> {
    const SOCKET_FILTER: u32 = 1;
    let license = c"GPL";
    let mut attr = attr::ProgLoad {
        prog_type: SOCKET_FILTER,
        insn_cnt: u32::try_from(insns.len()).map_err(|_| Errno::E2BIG)?,
        insns: ptr(insns.as_ptr()),
        license: ptr(license.as_ptr()),
        ..Default::default()
    };
    // SAFETY: the kernel reads `insn_cnt` 8-byte instructions from `insns` and a NUL-terminated
    // string from `license`, both alive for the call; PROG_LOAD returns a new fd.
    unsafe { bpf(Cmd::ProgLoad, &mut attr).and_then(|ret| owned_fd(ret)) }
}

// BTF objects: loading a blob, opening one by id, reading one back.

/// The first size of the log buffer of `BPF_BTF_LOAD`; enough for a few hundred types.
const BTF_LOG_START: usize = 64 * 1024;
/// The largest log buffer tried (the kernel takes up to `u32::MAX >> 2`).
const BTF_LOG_MAX: usize = 16 << 20;
/// How many loads, each with a larger log, before giving up on ENOSPC.
const BTF_LOAD_TRIES: u32 = 4;

/// `BPF_BTF_LOAD`: loads `blob` with the kernel's log at level 1, which `log` receives (its
/// text, without the NUL) whether the load succeeds or fails: it tells how the kernel read
/// each type and, on failure, why it refused one. A log that does not fit makes the kernel
/// answer ENOSPC (even for a good blob); the load is then retried with a larger buffer,
/// as large as the kernel says it needs (Linux 6.4+) or four times larger, a few times.
/// (Loaders use [`btf_load_quiet`]; the BTF tests read the log of every load.)
#[cfg(test)]
pub(crate) fn btf_load(blob: &[u8], log: &mut Vec<u8>) -> Result<OwnedFd, Errno> {
    btf_load_logged(blob, log, BTF_LOG_START, None)
}

/// `BPF_BTF_LOAD` as a loader wants it: without a log first, as libbpf does (a level-1 log
/// describes every type, so it grows with the object, and the kernel answers ENOSPC when it
/// does not fit, even for a good blob); only a refused blob is loaded again with the log
/// ([`btf_load`]), which `log` then receives for the reason. With `token`, both loads go
/// through that BPF token (`btf_token_fd`).
pub(crate) fn btf_load_quiet(
    blob: &[u8],
    log: &mut Vec<u8>,
    token: Option<BorrowedFd<'_>>,
) -> Result<OwnedFd, Errno> {
    let btf_size = u32::try_from(blob.len()).map_err(|_| Errno::E2BIG)?;
    let (btf_flags, btf_token_fd) = token_fields(token);
    let mut attr =
        attr::BtfLoad { btf: ptr(blob.as_ptr()), btf_size, btf_flags, btf_token_fd, ..Default::default() };
    // SAFETY: the kernel reads `btf_size` bytes at `btf`, which `blob` holds for the call, and
    // writes no log (its size is 0). BTF_LOAD returns a new fd.
    match unsafe { bpf(Cmd::BtfLoad, &mut attr).and_then(|ret| owned_fd(ret)) } {
        Ok(fd) => Ok(fd),
        Err(_) => btf_load_logged(blob, log, BTF_LOG_START, token),
    }
}

/// [`btf_load`] with the first log buffer `start` bytes long (at least 128, the smallest
/// the kernel takes before 6.4).
#[cfg(test)]
pub(crate) fn btf_load_with(blob: &[u8], log: &mut Vec<u8>, start: usize) -> Result<OwnedFd, Errno> {
    btf_load_logged(blob, log, start, None)
}

/// [`btf_load_with`], through `token` if given.
fn btf_load_logged(
    blob: &[u8],
    log: &mut Vec<u8>,
    start: usize,
    token: Option<BorrowedFd<'_>>,
) -> Result<OwnedFd, Errno> {
    let btf_size = u32::try_from(blob.len()).map_err(|_| Errno::E2BIG)?;
    let (btf_flags, btf_token_fd) = token_fields(token);
    let mut len = start.clamp(128, BTF_LOG_MAX);
    let mut tries = 1;
    loop {
        let mut buf = vec![0u8; len];
        let mut attr = attr::BtfLoad {
            btf: ptr(blob.as_ptr()),
            btf_log_buf: ptr(buf.as_mut_ptr()),
            btf_size,
            btf_log_size: len as u32,
            btf_log_level: 1,
            btf_flags,
            btf_token_fd,
            ..Default::default()
        };
        // SAFETY: the kernel reads `btf_size` bytes at `btf` (`blob`) and writes at most `btf_log_size`
        // bytes at `btf_log_buf` (`buf`); both outlive the call. BTF_LOAD returns a new fd.
        let loaded = unsafe { bpf(Cmd::BtfLoad, &mut attr).and_then(|ret| owned_fd(ret)) };
        let text = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        buf.truncate(text);
        *log = buf;
        match loaded {
            Err(Errno::ENOSPC) if tries < BTF_LOAD_TRIES && len < BTF_LOG_MAX => {
                // Linux 6.4+ reports the size it needed; older kernels leave 0.
                let needed = attr.btf_log_true_size as usize;
                len = if needed > len { needed } else { len.saturating_mul(4) }.min(BTF_LOG_MAX);
                tries += 1;
            }
            done => return done,
        }
    }
}

/// `BPF_BTF_GET_FD_BY_ID`: opens the BTF object with kernel id `id`.
pub(crate) fn btf_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    let mut attr = attr::GetId { id, ..Default::default() };
    // SAFETY: GET_FD_BY_ID reads no pointers and returns a new fd.
    unsafe { bpf(Cmd::BtfGetFdById, &mut attr).and_then(|ret| owned_fd(ret)) }
}

/// A BTF object as `BPF_OBJ_GET_INFO_BY_FD` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BtfObject {
    /// Its kernel id.
    pub id: u32,
    /// The blob, as loaded.
    pub data: Vec<u8>,
    /// Its name: empty for a loaded blob, `vmlinux` or a module's name for the kernel's.
    pub name: String,
    /// Whether it is the kernel's or a module's own BTF.
    pub kernel_btf: bool,
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd into `info`.
///
/// # Safety
/// `info.btf` must be null or writable for `info.btf_size` bytes, and `info.name` null or
/// writable for `info.name_len` bytes.
unsafe fn btf_info_into(fd: BorrowedFd<'_>, info: &mut attr::BtfInfo) -> Result<(), Errno> {
    let mut attr = attr::InfoByFd {
        bpf_fd: fd_u32(fd),
        info_len: size_of::<attr::BtfInfo>() as u32,
        info: ptr(info as *mut attr::BtfInfo),
    };
    // SAFETY: `info` is writable for `info_len` bytes; the pointers in it are the caller's.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }.map(drop)
}

/// Reads back the BTF object `fd`: its id, name and bytes. Two calls: the first learns the
/// sizes, the second copies (a loaded object never changes size).
pub(crate) fn btf_info(fd: BorrowedFd<'_>) -> Result<BtfObject, Errno> {
    let mut sizes = attr::BtfInfo::default();
    // SAFETY: null pointers with zero lengths: the kernel writes only the fixed fields.
    unsafe { btf_info_into(fd, &mut sizes) }?;
    let mut data = vec![0u8; sizes.btf_size as usize];
    let mut name = vec![0u8; sizes.name_len as usize + 1];
    let mut info = attr::BtfInfo {
        btf: ptr(data.as_mut_ptr()),
        btf_size: data.len() as u32,
        name: ptr(name.as_mut_ptr()),
        name_len: name.len() as u32,
        ..Default::default()
    };
    // SAFETY: `data` and `name` are writable for the lengths passed and outlive the call.
    unsafe { btf_info_into(fd, &mut info) }?;
    data.truncate(info.btf_size as usize);
    let name_end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    name.truncate(name_end);
    Ok(BtfObject {
        id: info.id,
        data,
        name: String::from_utf8_lossy(&name).into_owned(),
        kernel_btf: info.kernel_btf != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_command_is_retried_with_the_attr_as_filled() {
        let mut attr = attr::MapBatch { count: 64, ..Default::default() };
        let mut tries = Vec::new();
        let result = retry_interrupted(&mut attr, true, |attr| {
            tries.push(attr.count);
            if tries.len() == 1 {
                // The kernel wrote back a partial count before it was interrupted.
                attr.count = 3;
                return Err(Errno::EINTR);
            }
            Ok(0)
        });
        assert_eq!(result, Ok(0));
        assert_eq!(tries, [64, 64], "the retry asked for the whole batch again");
        let mut calls = 0;
        assert_eq!(
            retry_interrupted(&mut attr, true, |_| {
                calls += 1;
                Err(Errno::EPERM)
            }),
            Err(Errno::EPERM)
        );
        assert_eq!(calls, 1, "other errors are not retried");
    }
}
