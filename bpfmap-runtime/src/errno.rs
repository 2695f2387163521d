//! `Errno`: the error number the kernel returned, or the one it would return.

use core::fmt;

/// An error number from `bpf(2)`.
///
/// A newtype rather than an enum because the kernel may return values this crate does not
/// name, and they must stay representable. It includes `ENOTSUPP` (524), a kernel-internal
/// number that leaks to user space and that libc cannot print ("Unknown error 524").
///
/// ```
/// use bpfmap::Errno;
/// assert_eq!(Errno::EINVAL.name(), "EINVAL");
/// assert_eq!(Errno::ENOTSUPP.raw(), 524);
/// assert_eq!(Errno::from_raw(22), Errno::EINVAL);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

macro_rules! errnos {
    ($($name:ident = $value:expr, $text:literal;)*) => {
        impl Errno {
            $(#[doc = concat!("`", stringify!($name), "`: ", $text, ".")]
            pub const $name: Errno = Errno($value);)*

            /// The symbolic name (`"EINVAL"`), or `"E?"` for a number this crate does not name.
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $(v if v == $value => stringify!($name),)*
                    _ => "E?",
                }
            }

            /// A short description in lowercase (`"invalid argument"`).
            pub const fn description(self) -> &'static str {
                match self.0 {
                    $(v if v == $value => $text,)*
                    _ => "unknown error",
                }
            }
        }
    };
}

errnos! {
    EPERM = libc::EPERM, "operation not permitted";
    ENOENT = libc::ENOENT, "no such file or directory";
    EINTR = libc::EINTR, "interrupted system call";
    EBADF = libc::EBADF, "bad file descriptor";
    EAGAIN = libc::EAGAIN, "resource temporarily unavailable";
    ENOMEM = libc::ENOMEM, "cannot allocate memory";
    EACCES = libc::EACCES, "permission denied";
    EFAULT = libc::EFAULT, "bad address";
    EBUSY = libc::EBUSY, "device or resource busy";
    EEXIST = libc::EEXIST, "file exists";
    EXDEV = libc::EXDEV, "invalid cross-device link";
    ENODEV = libc::ENODEV, "no such device";
    ENOTDIR = libc::ENOTDIR, "not a directory";
    EINVAL = libc::EINVAL, "invalid argument";
    ENFILE = libc::ENFILE, "too many open files in system";
    EMFILE = libc::EMFILE, "too many open files";
    ENOSPC = libc::ENOSPC, "no space left on device";
    ERANGE = libc::ERANGE, "numerical result out of range";
    E2BIG = libc::E2BIG, "argument list too long";
    ENOSYS = libc::ENOSYS, "function not implemented";
    ENOTSOCK = libc::ENOTSOCK, "socket operation on non-socket";
    EOPNOTSUPP = libc::EOPNOTSUPP, "operation not supported";
    ENOTSUPP = 524, "operation not supported (kernel-internal ENOTSUPP)";
}

impl Errno {
    /// Wraps a raw error number.
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The raw error number.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The calling thread's `errno`, as left by the last failed libc call.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "E?" => write!(f, "Errno({})", self.0),
            name => f.write_str(name),
        }
    }
}

/// `EINVAL (invalid argument)`; unnamed numbers print as `errno 1234 (unknown error)`.
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "E?" => write!(f, "errno {} ({})", self.0, std::io::Error::from_raw_os_error(self.0)),
            name => write!(f, "{name} ({})", self.description()),
        }
    }
}

impl std::error::Error for Errno {}

impl From<Errno> for std::io::Error {
    fn from(e: Errno) -> std::io::Error {
        std::io::Error::from_raw_os_error(e.0)
    }
}
