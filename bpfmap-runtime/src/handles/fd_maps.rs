//! Maps whose values are file descriptors written from user space: programs, perf events,
//! cgroups, devices, CPUs and sockets. The kernel takes an fd on update and, where it allows
//! lookups from user space, returns an id or a socket cookie instead.

use super::MapRef;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use super::{Size, Types, Update};
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Map, Pod};

/// `Ok` if `key` (and `value`) have the map's sizes: what lets the element calls below pass
/// their pointers to the kernel. The constructors check the map's sizes, so this fails only on
/// a bug here; it is checked anyway, at the `unsafe` it guards.
fn check_len(map: &Map, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
    let def = map.def();
    if key.len() == def.key_size as usize && value.is_none_or(|v| v.len() == def.value_size as usize) {
        return Ok(());
    }
    Err(Error::Mismatch {
        map: map.label(),
        what: format!("a key of {} bytes and a value of {:?} bytes", key.len(), value.map(<[u8]>::len)),
    })
}

/// Writes `value` (an fd or a struct with one) at `key`.
fn set_raw(map: &Map, key: &[u8], value: &[u8], update: Update) -> Result<(), Error> {
    check_len(map, key, Some(value))?;
    // SAFETY: `key` and `value` have the map's key and value sizes (`check_len`).
    unsafe { sys::update(map.fd(), key.as_ptr(), value.as_ptr(), update.flags()) }
        .map_err(|errno| map.error(Op::Update(update), errno))
}

fn remove_raw(map: &Map, key: &[u8]) -> Result<bool, Error> {
    check_len(map, key, None)?;
    // SAFETY: `key` has the map's key size (`check_len`).
    unsafe { sys::delete(map.fd(), key.as_ptr()) }.map_err(|errno| map.error(Op::Delete, errno))
}

/// The value at `key` as the kernel reports it to user space (up to 8 bytes).
fn get_raw(map: &Map, key: &[u8]) -> Result<Option<[u8; 8]>, Error> {
    let mut value = [0u8; 8];
    let size = map.def().value_size as usize;
    let Some(slot) = value.get_mut(..size) else {
        return Err(Error::Mismatch {
            map: map.label(),
            what: format!("a value of {size} bytes, more than 8"),
        });
    };
    check_len(map, key, Some(slot))?;
    // SAFETY: `key` has the map's key size and `slot` is exactly its value size (`check_len`),
    // within `value` (the `get_mut` above).
    let found = unsafe { sys::lookup(map.fd(), key.as_ptr(), slot.as_mut_ptr(), 0) }
        .map_err(|errno| map.error(Op::Lookup, errno))?;
    Ok(found.then_some(value))
}

/// The number of `fd`, borrowed: an fd handed to `set` by value (an `OwnedFd`, a `File`, a
/// `TcpStream`) must stay open until the kernel has taken its own reference, so the callers
/// keep their argument alive and pass only a borrow here.
fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

fn u32_at(bytes: [u8; 8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// An array of fds indexed by `u32`.
macro_rules! fd_array {
    ($(#[$doc:meta])* $name:ident, $what:literal, remove: $remove_doc:literal $(, get: $get_doc:literal)?) => {
        $(#[$doc])*
        pub struct $name<'m> {
            pub(super) map: MapRef<'m>,
        }

        impl<'m> $name<'m> {
            #[doc = concat!("The handle of `map`, which must be a map of the `", stringify!($name), "` family.")]
            pub fn new(map: impl Into<MapRef<'m>>) -> Result<$name<'m>, Error> {
                let map: MapRef<'m> = map.into();
                super::check_handle(&map, &[Family::$name], stringify!($name), Size::Of(4, "u32"), Size::OneOf(&[4]))?;
                Ok($name { map })
            }

            #[doc = concat!("Puts ", $what, " at `index`.")]
            pub fn set(&self, index: u32, fd: impl AsFd) -> Result<(), Error> {
                set_raw(&self.map, &index.to_ne_bytes(), &fd_u32(fd.as_fd()).to_ne_bytes(), Update::Any)
            }

            #[doc = $remove_doc]
            pub fn remove(&self, index: u32) -> Result<bool, Error> {
                remove_raw(&self.map, &index.to_ne_bytes())
            }

            $(
            #[doc = $get_doc]
            pub fn get(&self, index: u32) -> Result<Option<u32>, Error> {
                Ok(get_raw(&self.map, &index.to_ne_bytes())?.map(|v| u32_at(v, 0)))
            }
            )?
        }

        super::common::handle_common!($name);
    };
}

fd_array! {
    /// A `prog_array`: programs for `bpf_tail_call`, by index.
    ///
    /// ```no_run
    /// use std::os::fd::OwnedFd;
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "prog_array", max_entries = 8)]
    /// struct Jumps { key: u32, value: u32 }
    ///
    /// # fn load_parser() -> OwnedFd { unimplemented!() }
    /// let maps = bpfmap::load()?;
    /// let jumps = maps.get::<Jumps>();
    /// let parser: OwnedFd = load_parser();   // a program loaded with libbpf-rs, aya, ...
    /// jumps.set(0, &parser)?;                 // bpf_tail_call(ctx, &jumps, 0) runs it
    /// assert!(jumps.get(0)?.is_some());       // its program id
    /// assert!(jumps.remove(0)?);
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ProgArray, "the program `fd`",
    remove: "Empties `index`; `false` if it was empty.",
    get: "The id of the program at `index`, or `None` if empty."
}

fd_array! {
    /// A `perf_event_array`: perf event fds, usually one per CPU, for `bpf_perf_event_output`.
    /// [`reader`](PerfEventArray::reader) opens one per online CPU and reads what programs
    /// send ([`PerfBufferReader`](crate::PerfBufferReader)).
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, Pod};
    ///
    /// #[repr(C)]
    /// #[derive(Clone, Copy, Pod)]
    /// struct Sample { pid: u32, bytes: u32 }
    ///
    /// #[bpf_map(type = "perf_event_array")]   // max_entries: one slot per possible CPU
    /// struct Samples { key: u32, value: u32 }
    ///
    /// let maps = bpfmap::load()?;
    /// let mut samples = maps.get::<Samples>().reader()?;   // a perf event per online CPU
    /// samples.wait(None)?;
    /// samples.consume(|record| {
    ///     if let Ok(sample) = record.read::<Sample>() {
    ///         println!("cpu {:?}: pid {} sent {}", record.cpu(), sample.pid, sample.bytes);
    ///     }
    /// })?;
    /// println!("{} samples lost", samples.lost());
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    PerfEventArray, "the perf event `fd` (from `perf_event_open`)",
    remove: "Empties `index`; `false` if it was empty."
}

fd_array! {
    /// A `cgroup_array`: cgroups (opened directories of cgroupfs), by index.
    ///
    /// ```no_run
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "cgroup_array", max_entries = 4)]
    /// struct Cgroups { key: u32, value: u32 }
    ///
    /// let maps = bpfmap::load()?;
    /// let web = std::fs::File::open("/sys/fs/cgroup/web.slice").expect("a cgroup v2 directory");
    /// maps.get::<Cgroups>().set(0, &web)?;   // bpf_current_task_under_cgroup(&cgroups, 0)
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    CgroupArray, "the cgroup whose directory is open as `fd`",
    remove: "Empties `index`; `false` if it was empty."
}

fd_array! {
    /// An `xskmap`: AF_XDP sockets for `bpf_redirect_map`, by receive queue.
    ///
    /// ```no_run
    /// use std::os::fd::OwnedFd;
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "xskmap", max_entries = 4)]
    /// struct Sockets { key: u32, value: u32 }
    ///
    /// # fn af_xdp_socket(queue: u32) -> OwnedFd { unimplemented!() }
    /// let maps = bpfmap::load()?;
    /// let socket: OwnedFd = af_xdp_socket(0);   // bound to queue 0 of a device
    /// maps.get::<Sockets>().set(0, &socket)?;   // bpf_redirect_map(&sockets, rx_queue, 0)
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    XskMap, "the AF_XDP socket `fd`",
    remove: "Empties `index`. Always `true` for an index within the map: the kernel neither says whether \
             the slot held a socket nor lets user space look it up."
}

/// A `devmap` or `devmap_hash`: network devices for `bpf_redirect_map`, with an optional XDP
/// program to run on the device (when the value is 8 bytes, `struct bpf_devmap_val`).
///
/// ```no_run
/// use std::os::fd::OwnedFd;
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "devmap", max_entries = 8)]
/// struct Ports { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let ports = maps.get::<Ports>();
/// ports.set(0, 2, None::<OwnedFd>)?;          // redirects to key 0 go out of ifindex 2
/// assert_eq!(ports.get(0)?, Some((2, None)));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct DevMap<'m> {
    map: MapRef<'m>,
}

impl<'m> DevMap<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<DevMap<'m>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_handle(&map, &[Family::DevMap], "DevMap", Size::Of(4, "u32"), Size::OneOf(&[4, 8]))?;
        Ok(DevMap { map })
    }

    /// Sends packets redirected to `key` to device `ifindex`, through the XDP program `prog`
    /// if given (which needs an 8-byte value).
    pub fn set(&self, key: u32, ifindex: u32, prog: Option<impl AsFd>) -> Result<(), Error> {
        let value = fd_value(&self.map, ifindex, prog.as_ref().map(AsFd::as_fd))?;
        set_raw(&self.map, &key.to_ne_bytes(), &value, Update::Any)
    }

    /// Removes `key`; `false` if it was absent.
    ///
    /// A `devmap`'s delete succeeds whether or not the slot was set, so the answer comes from
    /// a lookup just before it: a concurrent `set` in between is removed but reported as absent.
    pub fn remove(&self, key: u32) -> Result<bool, Error> {
        let was_set = self.get(key)?.is_some();
        match remove_raw(&self.map, &key.to_ne_bytes())? {
            // A `devmap_hash` answers for itself.
            false => Ok(false),
            true => Ok(was_set),
        }
    }

    /// The device's ifindex at `key` and the id of its program, if any.
    pub fn get(&self, key: u32) -> Result<Option<(u32, Option<u32>)>, Error> {
        Ok(get_raw(&self.map, &key.to_ne_bytes())?.map(|v| split_prog(&self.map, v)))
    }
}

/// A `cpumap`: CPUs for XDP redirect, each with a queue size and an optional XDP program
/// (when the value is 8 bytes, `struct bpf_cpumap_val`).
///
/// ```no_run
/// use std::os::fd::OwnedFd;
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "cpumap", max_entries = 4)]
/// struct Cpus { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let cpus = maps.get::<Cpus>();
/// cpus.set(1, 2048, None::<OwnedFd>)?;        // CPU 1 takes redirected packets, 2048 queued
/// assert_eq!(cpus.get(1)?, Some((2048, None)));
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct CpuMap<'m> {
    map: MapRef<'m>,
}

impl<'m> CpuMap<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<CpuMap<'m>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_handle(&map, &[Family::CpuMap], "CpuMap", Size::Of(4, "u32"), Size::OneOf(&[4, 8]))?;
        Ok(CpuMap { map })
    }

    /// Enables CPU `cpu` with a queue of `queue_size` packets, through `prog` if given. A
    /// `queue_size` of 0 disables the CPU, as [`remove`](Self::remove) does.
    pub fn set(&self, cpu: u32, queue_size: u32, prog: Option<impl AsFd>) -> Result<(), Error> {
        let value = fd_value(&self.map, queue_size, prog.as_ref().map(AsFd::as_fd))?;
        set_raw(&self.map, &cpu.to_ne_bytes(), &value, Update::Any)
    }

    /// Disables CPU `cpu`; `false` if it was not set.
    ///
    /// The kernel's delete succeeds whether or not the CPU was set, so the answer comes from a
    /// lookup just before it: a concurrent `set` in between is removed but reported as absent.
    pub fn remove(&self, cpu: u32) -> Result<bool, Error> {
        let was_set = self.get(cpu)?.is_some();
        remove_raw(&self.map, &cpu.to_ne_bytes())?;
        Ok(was_set)
    }

    /// The queue size of `cpu` and the id of its program, if any.
    pub fn get(&self, cpu: u32) -> Result<Option<(u32, Option<u32>)>, Error> {
        Ok(get_raw(&self.map, &cpu.to_ne_bytes())?.map(|v| split_prog(&self.map, v)))
    }
}

/// A 4-byte `first`, or 8 bytes of `first` and a program fd.
fn fd_value(map: &Map, first: u32, prog: Option<BorrowedFd<'_>>) -> Result<Vec<u8>, Error> {
    let mut value = first.to_ne_bytes().to_vec();
    match (map.def().value_size, prog) {
        (8, prog) => value.extend((prog.map_or(-1, |p| fd_u32(p) as i32)).to_ne_bytes()),
        (_, None) => {}
        (_, Some(_)) => {
            return Err(Error::Mismatch {
                map: map.label(),
                what: "a program needs an 8-byte value (declare `value: [u32; 2]` or `u64`)".to_string(),
            });
        }
    }
    Ok(value)
}

fn split_prog(map: &Map, v: [u8; 8]) -> (u32, Option<u32>) {
    let prog = (map.def().value_size == 8).then(|| u32_at(v, 4)).filter(|&id| id != 0);
    (u32_at(v, 0), prog)
}

/// A `sockmap` (keys: `u32` indexes) or `sockhash` (keys: `K`): sockets for redirection and
/// `sk_msg`/`sk_skb` programs.
///
/// ```no_run
/// use std::net::TcpStream;
/// use bpfmap::{bpf_map, Update};
///
/// #[bpf_map(type = "sockhash", max_entries = 1024)]
/// struct Peers { key: u64, value: u64 }       // keyed by your own connection ids
///
/// let maps = bpfmap::load()?;
/// let peers = maps.get::<Peers>();
/// let stream = TcpStream::connect("127.0.0.1:8080").expect("connected");
/// peers.set(&7, &stream, Update::NoExist)?;
/// println!("socket cookie {:?}", peers.get(&7)?);
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct SockMap<'m, K> {
    map: MapRef<'m>,
    _types: Types<K, ()>,
}

impl<'m, K: Pod> SockMap<'m, K> {
    /// The handle of `map`, checking its type and key size.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<SockMap<'m, K>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_key::<K>(&map, &[Family::SockMap], "SockMap", Size::OneOf(&[4, 8]))?;
        Ok(SockMap { map, _types: Types::default() })
    }

    /// Puts the socket `fd` (a TCP socket in a suitable state, or UDP/Unix) at `key`.
    pub fn set(&self, key: &K, fd: impl AsFd, update: Update) -> Result<(), Error> {
        let value = socket_value(fd.as_fd());
        set_raw(
            &self.map,
            bytes_of(key),
            value.get(..self.map.def().value_size as usize).unwrap_or(&value),
            update,
        )
    }

    /// Removes `key`; `false` if it was absent.
    pub fn remove(&self, key: &K) -> Result<bool, Error> {
        match remove_raw(&self.map, bytes_of(key)) {
            // A sockmap answers an empty slot with EINVAL, as it does an index past the end.
            Err(e) if e.errno() == Some(crate::Errno::EINVAL) && self.is_sockmap_index(bytes_of(key)) => {
                Ok(false)
            }
            other => other,
        }
    }

    /// Whether `key` is an index within a `sockmap` (not a `sockhash` key).
    fn is_sockmap_index(&self, key: &[u8]) -> bool {
        let def = self.map.def();
        def.map_type == crate::MapType::SOCKMAP
            && key.try_into().is_ok_and(|index: [u8; 4]| u32::from_ne_bytes(index) < def.max_entries)
    }

    /// The socket cookie at `key` (maps with 8-byte values only).
    pub fn get(&self, key: &K) -> Result<Option<u64>, Error> {
        Ok(get_raw(&self.map, bytes_of(key))?.map(u64::from_ne_bytes))
    }
}

/// A `reuseport_sockarray`: `SO_REUSEPORT` sockets for `sk_reuseport` programs, by index.
///
/// ```no_run
/// use std::net::UdpSocket;
/// use bpfmap::{bpf_map, Update};
///
/// #[bpf_map(type = "reuseport_sockarray", max_entries = 4)]
/// struct Workers { key: u32, value: u64 }
///
/// # fn reuseport_socket() -> UdpSocket { unimplemented!() }
/// let maps = bpfmap::load()?;
/// let socket: UdpSocket = reuseport_socket();   // bound with SO_REUSEPORT
/// maps.get::<Workers>().set(0, &socket, Update::Any)?;   // bpf_sk_select_reuseport(ctx, &workers, 0)
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct ReuseportSockArray<'m> {
    map: MapRef<'m>,
}

impl<'m> ReuseportSockArray<'m> {
    /// The handle of `map`, checking its type.
    pub fn new(map: impl Into<MapRef<'m>>) -> Result<ReuseportSockArray<'m>, Error> {
        let map: MapRef<'m> = map.into();
        super::check_handle(
            &map,
            &[Family::ReuseportSockArray],
            "ReuseportSockArray",
            Size::Of(4, "u32"),
            Size::OneOf(&[4, 8]),
        )?;
        Ok(ReuseportSockArray { map })
    }

    /// Puts the socket `fd` (bound with `SO_REUSEPORT`) at `index`.
    pub fn set(&self, index: u32, fd: impl AsFd, update: Update) -> Result<(), Error> {
        let value = socket_value(fd.as_fd());
        set_raw(
            &self.map,
            &index.to_ne_bytes(),
            value.get(..self.map.def().value_size as usize).unwrap_or(&value),
            update,
        )
    }

    /// Empties `index`; `false` if it was empty.
    pub fn remove(&self, index: u32) -> Result<bool, Error> {
        remove_raw(&self.map, &index.to_ne_bytes())
    }

    /// The socket cookie at `index` (maps with 8-byte values only).
    pub fn get(&self, index: u32) -> Result<Option<u64>, Error> {
        Ok(get_raw(&self.map, &index.to_ne_bytes())?.map(u64::from_ne_bytes))
    }
}

/// A socket fd as the kernel takes it: in the first 4 bytes, of a 4- or 8-byte value.
fn socket_value(fd: BorrowedFd<'_>) -> [u8; 8] {
    let mut value = [0; 8];
    value[..4].copy_from_slice(&fd_u32(fd).to_ne_bytes());
    value
}

super::common::handle_common!(DevMap, CpuMap, SockMap<K>, ReuseportSockArray);
