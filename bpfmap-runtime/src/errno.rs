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

// The values are libc's, which knows each architecture's numbers. The rule book alone (the
// macro's build, without `runtime` and so without libc) takes the numbers most Linux
// architectures share (asm-generic): there an errno only names the rule's outcome in a
// compile error, by the name looked up in this same table, and no number leaves the macro.
macro_rules! errnos {
    ($($name:ident = $generic:literal, $text:literal;)*) => {
        impl Errno {
            $(#[doc = concat!("`", stringify!($name), "`: ", $text, ".")]
            pub const $name: Errno = Errno(errno_value!($name, $generic));)*

            /// The symbolic name (`"EINVAL"`), or `"E?"` for a number this crate does not name.
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $(v if v == Errno::$name.0 => stringify!($name),)*
                    _ => "E?",
                }
            }

            /// A short description in lowercase (`"invalid argument"`).
            pub const fn description(self) -> &'static str {
                match self.0 {
                    $(v if v == Errno::$name.0 => $text,)*
                    _ => "unknown error",
                }
            }
        }

        // On the architectures that use the asm-generic numbers, a table typo would make the
        // rule book alone name another errno than the runtime.
        #[cfg(test)]
        #[test]
        fn generic_numbers_are_this_targets() {
            $(if cfg!(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64", target_arch = "s390x")) {
                assert_eq!(errno_value!($name, $generic), $generic, stringify!($name));
            })*
        }
    };
}

#[cfg(feature = "runtime")]
macro_rules! errno_value {
    (ENOTSUPP, $generic:literal) => {
        $generic
    };
    ($name:ident, $generic:literal) => {
        libc::$name
    };
}

#[cfg(not(feature = "runtime"))]
macro_rules! errno_value {
    ($name:ident, $generic:literal) => {
        $generic
    };
}

errnos! {
    EPERM = 1, "operation not permitted";
    ENOENT = 2, "no such file or directory";
    EINTR = 4, "interrupted system call";
    EBADF = 9, "bad file descriptor";
    EAGAIN = 11, "resource temporarily unavailable";
    ENOMEM = 12, "cannot allocate memory";
    EACCES = 13, "permission denied";
    EFAULT = 14, "bad address";
    EBUSY = 16, "device or resource busy";
    EEXIST = 17, "file exists";
    EXDEV = 18, "invalid cross-device link";
    ENODEV = 19, "no such device";
    ENOTDIR = 20, "not a directory";
    EINVAL = 22, "invalid argument";
    ENFILE = 23, "too many open files in system";
    EMFILE = 24, "too many open files";
    ENOSPC = 28, "no space left on device";
    ERANGE = 34, "numerical result out of range";
    E2BIG = 7, "argument list too long";
    ENOSYS = 38, "function not implemented";
    ENOTSOCK = 88, "socket operation on non-socket";
    EOPNOTSUPP = 95, "operation not supported";
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
