//! Maps of file descriptors against the kernel: each handle stores a real object of its kind
//! (a loaded program, a perf event, a cgroup, the loopback device, a CPU, TCP and UDP sockets,
//! an AF_XDP socket) and reads back what the kernel reports for it (a program id, an ifindex,
//! a queue size, a socket cookie); each refuses an fd of the wrong kind.

mod support;

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use bpfmap::{Errno, Error, Op, Update, bpf_map};
use support::bpf::{
    ATTACH_XDP_CPUMAP, ATTACH_XDP_DEVMAP, Asm, PROG_TYPE_SOCKET_FILTER, PROG_TYPE_XDP, R0, R1, R2, R3, R6,
    TAIL_CALL, load_prog, load_prog_for, prog_id, test_run,
};

#[bpf_map(type = "prog_array", max_entries = 4)]
struct Jumps {
    key: u32,
    value: u32,
}

#[bpf_map(type = "perf_event_array")]
struct PerfEvents {
    key: u32,
    value: u32,
}

#[bpf_map(type = "cgroup_array", max_entries = 2)]
struct Cgroups {
    key: u32,
    value: u32,
}

#[bpf_map(type = "devmap", max_entries = 4)]
struct Ports {
    key: u32,
    value: u32,
}

/// 8-byte values: `struct bpf_devmap_val`, with a program per device.
#[bpf_map(type = "devmap_hash", max_entries = 4)]
struct DevsWithProgs {
    key: u32,
    value: [u32; 2],
}

/// 8-byte values: `struct bpf_cpumap_val`.
#[bpf_map(type = "cpumap", max_entries = 2)]
struct Cpus {
    key: u32,
    value: [u32; 2],
}

#[bpf_map(type = "sockmap", max_entries = 4)]
struct Socks {
    key: u32,
    value: u64,
}

#[bpf_map(type = "sockmap", max_entries = 2)]
struct SocksNoCookie {
    key: u32,
    value: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bpfmap::Pod)]
struct Tuple {
    addr: u32,
    port: u32,
}

#[bpf_map(type = "sockhash", max_entries = 4)]
struct SocksByTuple {
    key: Tuple,
    value: u64,
}

#[bpf_map(type = "reuseport_sockarray", max_entries = 2)]
struct Reuseport {
    key: u32,
    value: u64,
}

#[bpf_map(type = "xskmap", max_entries = 2)]
struct XdpSockets {
    key: u32,
    value: u32,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

/// A program that returns `value`.
fn returns(prog_type: u32, attach: u32, value: i32) -> OwnedFd {
    let mut asm = Asm::new();
    asm.mov64_imm(R0, value).exit();
    load_prog_for(prog_type, attach, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

/// Some fd that is no BPF object, socket, perf event or cgroup.
fn plain_file() -> std::fs::File {
    std::fs::File::open("/proc/self/stat").expect("open /proc/self/stat")
}

fn assert_refused(result: Result<(), Error>, errno: Errno, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.errno(), Some(errno), "{what}: {err}");
    assert!(matches!(&err, Error::Map { op: Op::Update(_), .. }), "{what}: {err:?}");
}

/// `SO_COOKIE`: the kernel's id of a socket, which sock maps report.
fn cookie(socket: BorrowedFd<'_>) -> u64 {
    let mut cookie = 0u64;
    let mut len = size_of::<u64>() as libc::socklen_t;
    // SAFETY: `cookie` is writable for `len` bytes.
    let ret = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            57, // SO_COOKIE
            &mut cookie as *mut u64 as *mut libc::c_void,
            &mut len,
        )
    };
    assert_eq!(ret, 0, "SO_COOKIE: {}", std::io::Error::last_os_error());
    cookie
}

/// A connected TCP pair on 127.0.0.1: (client, server side).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

#[test]
fn prog_array_holds_programs_for_tail_calls() {
    require_kernel!();
    let maps = load();
    let jumps = maps.get::<Jumps>();
    let target = returns(PROG_TYPE_SOCKET_FILTER, 0, 42);
    // Tail-calls jumps[1]; returns 7 if the slot is empty.
    let mut asm = Asm::new();
    asm.mov64_reg(R6, R1)
        .mov64_reg(R1, R6)
        .ld_map_fd(R2, maps.map::<Jumps>().expect("Jumps").fd())
        .mov64_imm(R3, 1)
        .call(TAIL_CALL)
        .mov64_imm(R0, 7)
        .exit();
    let caller = load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"));
    let packet = [0u8; 64];
    assert_eq!(test_run(&caller, &packet), Ok(7), "an empty slot: the call falls through");

    jumps.set(1, &target).expect("set");
    assert_eq!(
        jumps.get(1).expect("get"),
        Some(prog_id(&target).expect("prog id")),
        "get gives the program's id"
    );
    assert_eq!(jumps.get(0).expect("get"), None);
    assert_eq!(test_run(&caller, &packet), Ok(42), "the tail call reached the program");

    assert!(jumps.remove(1).expect("remove"));
    assert!(!jumps.remove(1).expect("remove again"));
    assert_eq!(jumps.get(1).expect("get"), None);
    assert_eq!(test_run(&caller, &packet), Ok(7));

    assert_refused(jumps.set(0, plain_file()), Errno::EINVAL, "a file is not a program");
    let err = jumps.set(4, &target).expect_err("past max_entries");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
    // The caller made the array socket-filter-only: a program of another type is refused.
    let xdp = returns(PROG_TYPE_XDP, 0, 2);
    assert_refused(jumps.set(2, &xdp), Errno::EINVAL, "an XDP program in a socket filter's array");
}

/// The first 64 bytes of `struct perf_event_attr` (`PERF_ATTR_SIZE_VER0`).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const _: () = assert!(size_of::<PerfEventAttr>() == 64);

/// `perf_event_open` of the software event programs write to (`PERF_COUNT_SW_BPF_OUTPUT`), on
/// CPU `cpu`, for every process.
fn bpf_output_event(cpu: i32) -> std::io::Result<OwnedFd> {
    let attr = PerfEventAttr {
        kind: 1,              // PERF_TYPE_SOFTWARE
        size: 64,             // PERF_ATTR_SIZE_VER0
        config: 10,           // PERF_COUNT_SW_BPF_OUTPUT
        sample_type: 1 << 10, // PERF_SAMPLE_RAW
        sample_period: 1,
        wakeup_events: 1,
        ..PerfEventAttr::default()
    };
    // SAFETY: `attr` is a valid perf_event_attr of the size it states; pid -1 with a CPU
    // watches that CPU; no group; PERF_FLAG_FD_CLOEXEC.
    let fd =
        unsafe { libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, -1, cpu, -1, 8) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[test]
fn perf_event_array_holds_perf_events() {
    require_kernel!();
    let maps = load();
    let events = maps.get::<PerfEvents>();
    let cpus = support::possible_cpus() as u32;
    assert_eq!(events.map().def().max_entries, cpus, "one slot per possible CPU");
    let event = bpf_output_event(0).unwrap_or_else(|e| panic!("perf_event_open: {e}"));
    events.set(0, &event).expect("set");
    events.set(cpus - 1, &event).expect("set the last slot");
    assert!(events.remove(0).expect("remove"));
    assert!(!events.remove(0).expect("remove again"));
    assert!(events.remove(cpus - 1).expect("remove"));
    assert_refused(events.set(0, plain_file()), Errno::EBADF, "a file is not a perf event");
    let err = events.set(cpus, &event).expect_err("past max_entries");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
}

/// The mount point of cgroup v2, if there is one.
fn cgroup2_root() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.get(2) == Some(&"cgroup2"))
        .map(|f| f[1].to_string())
}

#[test]
fn cgroup_array_holds_cgroup2_directories() {
    require_kernel!();
    let maps = load();
    let cgroups = maps.get::<Cgroups>();
    let Some(root) = cgroup2_root() else {
        // Without cgroup v2 there is nothing the map can hold.
        support::skip::skip("no cgroup2 mount");
        return;
    };
    let dir = std::fs::File::open(&root).unwrap_or_else(|e| panic!("open {root}: {e}"));
    cgroups.set(0, &dir).expect("set");
    cgroups.set(1, &dir).expect("the same cgroup twice");
    assert!(cgroups.remove(0).expect("remove"));
    assert!(!cgroups.remove(0).expect("remove again"));
    assert_refused(cgroups.set(0, plain_file()), Errno::EBADF, "a file is not a cgroup");
}

fn loopback() -> u32 {
    // SAFETY: a NUL-terminated name.
    let index = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
    assert_ne!(index, 0, "if_nametoindex(lo): {}", std::io::Error::last_os_error());
    index
}

#[test]
fn devmap_holds_devices_and_their_programs() {
    require_kernel!();
    let maps = load();
    let lo = loopback();
    let ports = maps.get::<Ports>();
    ports.set(0, lo, None::<&OwnedFd>).expect("set");
    assert_eq!(ports.get(0).expect("get"), Some((lo, None)), "get gives the ifindex");
    assert_eq!(ports.get(1).expect("get"), None);
    let prog = returns(PROG_TYPE_XDP, ATTACH_XDP_DEVMAP, 2);
    let err = ports.set(1, lo, Some(&prog)).expect_err("a program needs an 8-byte value");
    assert!(matches!(&err, Error::Mismatch { what, .. } if what.contains("8-byte")), "{err:?}");
    assert!(ports.remove(0).expect("remove"));
    assert_eq!(ports.get(0).expect("get"), None);
    assert!(!ports.remove(0).expect("remove again"));
    assert_refused(ports.set(0, 1 << 30, None::<&OwnedFd>), Errno::EINVAL, "no such device");

    let with_progs = maps.get::<DevsWithProgs>();
    with_progs.set(1000, lo, Some(&prog)).expect("set with a program");
    with_progs.set(7, lo, None::<&OwnedFd>).expect("set without");
    let id = prog_id(&prog).expect("prog id");
    assert_eq!(with_progs.get(1000).expect("get"), Some((lo, Some(id))), "get gives the program's id");
    assert_eq!(with_progs.get(7).expect("get"), Some((lo, None)));
    assert!(with_progs.remove(1000).expect("remove"));
    assert!(!with_progs.remove(1000).expect("remove again"));
    // Only XDP programs made for device maps can be stored.
    let plain_xdp = returns(PROG_TYPE_XDP, 0, 2);
    assert_refused(with_progs.set(2, lo, Some(&plain_xdp)), Errno::EINVAL, "an XDP program not for devmaps");
}

#[test]
fn cpumap_holds_queue_sizes_and_programs() {
    require_kernel!();
    let maps = load();
    let cpus = maps.get::<Cpus>();
    cpus.set(0, 192, None::<&OwnedFd>).expect("set");
    assert_eq!(cpus.get(0).expect("get"), Some((192, None)), "get gives the queue size");
    assert_eq!(cpus.get(1).expect("get"), None);
    let prog = returns(PROG_TYPE_XDP, ATTACH_XDP_CPUMAP, 2);
    cpus.set(1, 64, Some(&prog)).expect("set with a program");
    assert_eq!(cpus.get(1).expect("get"), Some((64, Some(prog_id(&prog).expect("prog id")))));
    // A queue size of 0 empties the slot.
    cpus.set(0, 0, None::<&OwnedFd>).expect("set a zero queue");
    assert_eq!(cpus.get(0).expect("get"), None);
    assert!(cpus.remove(1).expect("remove"));
    assert!(!cpus.remove(1).expect("remove again"));
    let err = cpus.set(2, 64, None::<&OwnedFd>).expect_err("past max_entries");
    assert_eq!(err.errno(), Some(Errno::E2BIG), "{err}");
}

#[test]
fn sockmap_and_sockhash_hold_tcp_sockets_by_cookie() {
    require_kernel!();
    let maps = load();
    let socks = maps.get::<Socks>();
    let (client, server) = tcp_pair();
    socks.set(&0, &client, Update::Any).expect("set the client");
    socks.set(&1, &server, Update::NoExist).expect("set the server");
    assert_eq!(socks.get(&0).expect("get"), Some(cookie(client.as_fd())), "get gives the socket cookie");
    assert_eq!(socks.get(&1).expect("get"), Some(cookie(server.as_fd())));
    assert_ne!(cookie(client.as_fd()), cookie(server.as_fd()));
    assert_eq!(socks.get(&2).expect("get"), None);
    let err = socks.set(&1, &client, Update::NoExist).expect_err("slot 1 is taken");
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    assert!(socks.remove(&0).expect("remove"));
    assert!(!socks.remove(&0).expect("remove again"));
    assert_refused(
        socks.set(&2, plain_file(), Update::Any),
        Errno::from_raw(libc::ENOTSOCK),
        "a file is not a socket",
    );
    // A listening TCP socket and a bound UDP socket may be stored too.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    socks.set(&2, &listener, Update::Any).expect("a listener");
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socks.set(&3, &udp, Update::Any).expect("a UDP socket");
    assert_eq!(socks.get(&3).expect("get"), Some(cookie(udp.as_fd())));
    // An unbound UDP socket is not hashed anywhere the map could use.
    let unbound = udp_socket_unbound();
    assert!(socks.set(&3, &unbound, Update::Any).is_err(), "an unbound UDP socket");
    assert_eq!(socks.get(&3).expect("get"), Some(cookie(udp.as_fd())), "slot 3 is unchanged");

    let by_tuple = maps.get::<SocksByTuple>();
    let key = Tuple { addr: 0x7f00_0001, port: u32::from(client.local_addr().expect("addr").port()) };
    by_tuple.set(&key, &client, Update::NoExist).expect("set");
    assert_eq!(by_tuple.get(&key).expect("get"), Some(cookie(client.as_fd())));
    assert_eq!(by_tuple.get(&Tuple { addr: 1, port: 2 }).expect("get"), None);
    assert!(by_tuple.remove(&key).expect("remove"));

    // With 4-byte values the kernel has no room for a cookie.
    let no_cookie = maps.get::<SocksNoCookie>();
    no_cookie.set(&0, &client, Update::Any).expect("set");
    let err = no_cookie.get(&0).expect_err("a 4-byte value cannot hold a cookie");
    assert_eq!(err.errno(), Some(Errno::ENOSPC), "{err}");
}

/// A UDP socket, not bound.
fn udp_socket_unbound() -> OwnedFd {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd that nobody else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A UDP socket bound to 127.0.0.1 with `SO_REUSEPORT` (or without).
fn udp_socket(reuseport: bool) -> OwnedFd {
    let socket = udp_socket_unbound();
    let fd = socket.as_raw_fd();
    if reuseport {
        let one: libc::c_int = 1;
        // SAFETY: `one` is a readable c_int of the size given.
        let ret = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_REUSEPORT,
                &one as *const libc::c_int as *const libc::c_void,
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(ret, 0, "SO_REUSEPORT: {}", std::io::Error::last_os_error());
    }
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
        sin_zero: [0; 8],
    };
    // SAFETY: `addr` is a valid sockaddr_in of the size given.
    let ret = unsafe {
        libc::bind(
            fd,
            &addr as *const libc::sockaddr_in as *const libc::sockaddr,
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(ret, 0, "bind: {}", std::io::Error::last_os_error());
    socket
}

#[test]
fn reuseport_sockarray_holds_reuseport_sockets() {
    require_kernel!();
    let maps = load();
    let reuseport = maps.get::<Reuseport>();
    let socket = udp_socket(true);
    reuseport.set(0, &socket, Update::NoExist).expect("set");
    assert_eq!(reuseport.get(0).expect("get"), Some(cookie(socket.as_fd())), "get gives the socket cookie");
    assert_eq!(reuseport.get(1).expect("get"), None);
    let err = reuseport.set(0, &socket, Update::NoExist).expect_err("slot 0 is taken");
    assert_eq!(err.errno(), Some(Errno::EEXIST), "{err}");
    assert!(reuseport.remove(0).expect("remove"));
    assert!(!reuseport.remove(0).expect("remove again"));
    assert_refused(reuseport.set(1, udp_socket(false), Update::Any), Errno::EINVAL, "no SO_REUSEPORT");
    assert_refused(
        reuseport.set(1, plain_file(), Update::Any),
        Errno::from_raw(libc::ENOTSOCK),
        "a file is not a socket",
    );
}

/// An AF_XDP socket bound to queue 0 of `lo` in copy mode, with the smallest UMEM and rings
/// the kernel takes (which is all `xskmap` asks of it); the UMEM's memory is returned too and
/// must outlive the socket.
fn xdp_socket() -> std::io::Result<(OwnedFd, Vec<u64>)> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new fd that nobody else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    const FRAME: usize = 4096;
    const FRAMES: usize = 4;
    // Page-aligned: a Vec<u64> of whole pages is 8-aligned only, so over-allocate and align.
    let mut umem = vec![0u64; (FRAMES + 1) * FRAME / 8];
    let addr = (umem.as_mut_ptr() as usize).next_multiple_of(FRAME);
    let reg = libc::xdp_umem_reg {
        addr: addr as u64,
        len: (FRAMES * FRAME) as u64,
        chunk_size: FRAME as u32,
        headroom: 0,
        flags: 0,
        tx_metadata_len: 0,
    };
    let setopt = |name: libc::c_int, value: *const libc::c_void, len: usize| {
        // SAFETY: `value` points to `len` readable bytes (the callers' locals).
        let ret = unsafe { libc::setsockopt(fd, libc::SOL_XDP, name, value, len as libc::socklen_t) };
        if ret < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
    };
    setopt(libc::XDP_UMEM_REG, &reg as *const libc::xdp_umem_reg as *const libc::c_void, size_of_val(&reg))?;
    let ring: libc::c_int = 4;
    for name in [libc::XDP_UMEM_FILL_RING, libc::XDP_UMEM_COMPLETION_RING, libc::XDP_RX_RING] {
        setopt(name, &ring as *const libc::c_int as *const libc::c_void, size_of::<libc::c_int>())?;
    }
    let sxdp = libc::sockaddr_xdp {
        sxdp_family: libc::AF_XDP as u16,
        sxdp_flags: libc::XDP_COPY,
        sxdp_ifindex: loopback(),
        sxdp_queue_id: 0,
        sxdp_shared_umem_fd: 0,
    };
    // SAFETY: `sxdp` is a valid sockaddr_xdp of the size given.
    let ret = unsafe {
        libc::bind(
            fd,
            &sxdp as *const libc::sockaddr_xdp as *const libc::sockaddr,
            size_of::<libc::sockaddr_xdp>() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((socket, umem))
}

#[test]
fn xskmap_holds_bound_af_xdp_sockets() {
    require_kernel!();
    let maps = load();
    let sockets = maps.get::<XdpSockets>();
    let (socket, _umem) = xdp_socket().unwrap_or_else(|e| panic!("AF_XDP socket on lo: {e}"));
    sockets.set(0, &socket).expect("set");
    sockets.set(1, &socket).expect("the same socket twice");
    assert!(sockets.remove(0).expect("remove"));
    // The kernel does not tell whether the slot held a socket.
    assert!(sockets.remove(0).expect("remove again"));
    let err = sockets.remove(2).expect_err("past max_entries");
    assert_eq!(err.errno(), Some(Errno::EINVAL), "{err}");
    // Any other socket is refused.
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
    assert_refused(sockets.set(0, &udp), Errno::EOPNOTSUPP, "a UDP socket");
    // The kernel takes an AF_XDP socket before it is bound (it only redirects to it once it is).
    // SAFETY: plain socket creation.
    let unbound = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    assert!(unbound >= 0, "socket(AF_XDP): {}", std::io::Error::last_os_error());
    // SAFETY: a new fd that nobody else owns.
    let unbound = unsafe { OwnedFd::from_raw_fd(unbound) };
    sockets.set(0, &unbound).expect("an unbound AF_XDP socket");
}

#[test]
fn fds_passed_by_value_stay_open_until_the_kernel_holds_them() {
    require_kernel!();
    let maps = load();
    // Each handle takes `impl AsFd`: an owned fd moved in must not be closed before the
    // update, or the kernel would see a closed (or reused) fd number.
    let prog = returns(PROG_TYPE_SOCKET_FILTER, 0, 1);
    let id = prog_id(&prog).expect("prog id");
    maps.get::<Jumps>().set(3, prog).expect("set an owned program fd");
    assert_eq!(maps.get::<Jumps>().get(3).expect("get"), Some(id), "the kernel holds the program");

    let xdp = returns(PROG_TYPE_XDP, ATTACH_XDP_DEVMAP, 2);
    let xdp_id = prog_id(&xdp).expect("prog id");
    maps.get::<DevsWithProgs>().set(1, loopback(), Some(xdp)).expect("set an owned program fd");
    assert_eq!(maps.get::<DevsWithProgs>().get(1).expect("get"), Some((loopback(), Some(xdp_id))));

    // A socket leaves its map when its last fd closes, so these move in a duplicate.
    let (client, _server) = tcp_pair();
    let duplicate = client.try_clone().expect("dup");
    maps.get::<Socks>().set(&0, duplicate, Update::Any).expect("set an owned socket fd");
    assert_eq!(
        maps.get::<Socks>().get(&0).expect("get"),
        Some(cookie(client.as_fd())),
        "the map holds the socket"
    );

    let socket = udp_socket(true);
    let duplicate = socket.try_clone().expect("dup");
    maps.get::<Reuseport>().set(0, duplicate, Update::Any).expect("set an owned socket fd");
    assert_eq!(maps.get::<Reuseport>().get(0).expect("get"), Some(cookie(socket.as_fd())));

    let event = bpf_output_event(0).unwrap_or_else(|e| panic!("perf_event_open: {e}"));
    maps.get::<PerfEvents>().set(0, event).expect("set an owned perf event fd");
    let dir = std::fs::File::open(cgroup2_root().unwrap_or_else(|| "/sys/fs/cgroup".into()));
    if let Ok(dir) = dir {
        maps.get::<Cgroups>().set(0, dir).expect("set an owned cgroup fd");
    }
}
