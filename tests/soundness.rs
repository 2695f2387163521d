//! The run-time boundaries of bpfmap's safety: every route by which safe code could hand the
//! kernel a buffer of the wrong size, or read mapped memory another writer owns, is tried
//! here and must end in an `Error`, never in a handle, a slice or a guess. (The compile-time
//! boundaries are the UI tests in `tests/ui/soundness/`.)

mod support;

use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::Ordering;

use bpfmap::{
    ArrayMap, Error, HashMap, Map, MapDecl, MapDef, MapFlags, MapType, PerCpuArray, PerCpuValues,
    RingProblem, bpf_map,
};
use support::bpf::{
    Asm, PROG_TYPE_SOCKET_FILTER, R0, R1, R2, R3, R4, R6, RINGBUF_OUTPUT, load_prog, test_run,
};

#[bpf_map(type = "hash", max_entries = 8, name = "sd_real")]
struct Real {
    key: u32,
    value: [u8; 4096],
}

/// A declaration that lies: it borrows `Real`'s definition and registry entry but claims
/// 1-byte values. Writing this takes `unsafe`, and the runtime still does not believe it.
struct Evil;

// SAFETY: deliberately broken, to show that the runtime checks what it is told.
unsafe impl MapDecl for Evil {
    type Key = u32;
    type Value = u8;
    type Family = <Real as MapDecl>::Family;
    const DEF: MapDef = <Real as MapDecl>::DEF;
    fn declaration() -> &'static bpfmap::Declaration {
        <Real as MapDecl>::declaration()
    }
}

#[bpf_map(type = "ringbuf", max_entries = 4096, name = "sd_events")]
struct Events;

#[bpf_map(type = "array", max_entries = 1, name = "sd_source")]
struct Source {
    key: u32,
    value: [u8; 64],
}

#[bpf_map(type = "user_ringbuf", max_entries = 4096, name = "sd_commands")]
struct Commands;

#[bpf_map(type = "percpu_array", max_entries = 4, name = "sd_latency")]
struct Latency {
    key: u32,
    value: u64,
}

#[bpf_map(type = "array", max_entries = 8, flags = "mmapable", name = "sd_counters")]
struct Counters {
    key: u32,
    value: u64,
}

fn load() -> bpfmap::Maps {
    bpfmap::load().unwrap_or_else(|e| panic!("load: {e}"))
}

fn mismatch(result: Result<impl Sized, Error>) -> String {
    match result {
        Err(e @ Error::Mismatch { .. }) => e.to_string(),
        Err(e) => panic!("expected Error::Mismatch, got {e:?}"),
        Ok(_) => panic!("expected Error::Mismatch, got a handle"),
    }
}

#[test]
fn a_lying_declaration_gets_no_handle() {
    require_kernel!();
    let maps = load();
    let message = mismatch(maps.try_get::<Evil>());
    assert!(message.contains("value_size is 4096 but `u8` is 1 bytes"), "{message}");
    let real = maps.map::<Real>().expect("Real");
    let message = mismatch(real.handle::<Evil>());
    assert!(message.contains("value_size is 4096"), "{message}");
    // The honest declaration of the same map works.
    maps.get::<Real>().insert(&1, &[7; 4096], bpfmap::Update::Any).expect("insert");
    assert_eq!(maps.get::<Real>().get(&1).expect("get").map(|v| v[4095]), Some(7));
}

#[test]
fn the_hidden_family_constructor_checks_sizes() {
    require_kernel!();
    use bpfmap::__private::family::{Family, Hash};
    let maps = load();
    let real = maps.map::<Real>().expect("Real");
    let message = mismatch(<Hash as Family>::handle::<u32, u8>(real.into()));
    assert!(message.contains("value_size is 4096"), "{message}");
    let message = mismatch(HashMap::<u32, u8>::new(real));
    assert!(message.contains("value_size is 4096"), "{message}");
    let message = mismatch(ArrayMap::<[u8; 4096]>::new(real));
    assert!(message.contains("`ArrayMap` cannot serve `hash` maps"), "{message}");
}

/// `bpf_ringbuf_output(events, source[0], 64, 0)`.
fn output_program(maps: &bpfmap::Maps) -> std::os::fd::OwnedFd {
    let mut asm = Asm::new();
    asm.lookup_u32(maps.map::<Source>().expect("Source").fd(), 0, 0xdead)
        .mov64_reg(R6, R0)
        .ld_map_fd(R1, maps.map::<Events>().expect("Events").fd())
        .mov64_reg(R2, R6)
        .mov64_imm(R3, 64)
        .mov64_imm(R4, 0)
        .call(RINGBUF_OUTPUT)
        .exit();
    load_prog(PROG_TYPE_SOCKET_FILTER, asm.insns()).unwrap_or_else(|e| panic!("{e}"))
}

fn emit(maps: &bpfmap::Maps, prog: &std::os::fd::OwnedFd, value: &[u8; 64]) {
    maps.get::<Source>().set(0, value).expect("set source");
    assert_eq!(test_run(prog, &[0; 64]), Ok(0));
}

#[test]
fn a_second_consumer_is_refused_while_the_first_lives() {
    require_kernel!();
    let maps = load();
    let ring = maps.get::<Events>();
    let first = ring.consumer().expect("the first consumer");
    let err = ring.consumer().map(drop).expect_err("a second consumer");
    assert!(matches!(&err, Error::InUse { map, role: "consumer" } if map.name == "sd_events"), "{err:?}");
    assert!(err.to_string().contains("already has a consumer in this process"), "{err}");
    // Another fd of the same map is the same ring.
    let clone = maps.map::<Events>().expect("Events").try_clone().expect("dup");
    let other = bpfmap::RingBuf::new(&clone).expect("a RingBuf handle of the clone");
    assert!(matches!(other.consumer().map(drop), Err(Error::InUse { .. })));
    drop(first);
    let mut again = other.consumer().expect("a consumer once the first is gone");
    assert!(again.next().is_none());
}

#[test]
fn a_second_producer_is_refused_while_the_first_lives() {
    require_kernel!();
    let maps = load();
    let ring = maps.get::<Commands>();
    let mut first = ring.producer().expect("the first producer");
    let err = ring.producer().map(drop).expect_err("a second producer");
    assert!(matches!(&err, Error::InUse { role: "producer", .. }), "{err:?}");
    first.write(b"still works").expect("write");
    drop(first);
    ring.producer().expect("a producer once the first is gone");
}

#[test]
fn user_ring_errors_say_what_happened() {
    require_kernel!();
    let maps = load();
    let mut producer = maps.get::<Commands>().producer().expect("producer");
    let err = producer.write(&[0; 4096]).expect_err("a record as large as the ring");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::TooLarge { len: 4096, max: 4088 }, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("can never fit the ring"), "{err}");
    // 4096 bytes hold 7 records of 504 + 8 bytes; the eighth finds the ring full.
    for _ in 0..7 {
        producer.write(&[1; 504]).expect("write");
    }
    assert_eq!(producer.available(), 512);
    producer.write(&[1; 504]).expect("the eighth fits exactly");
    let err = producer.write(&[1; 8]).expect_err("no room");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::Full { needed: 16, available: 0 }, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("the ring is full (16 bytes needed, 0 free)"), "{err}");
}

/// Maps the ring's consumer page read-write on its own, as any process with the map's fd can,
/// and writes `position` into it.
fn write_consumer_position(ring: &Map, position: u64) {
    // SAFETY: a fresh shared mapping of one page of the ring's fd, written once and unmapped;
    // the kernel allows this page to be mapped writable by design.
    unsafe {
        let page = libc::mmap(
            core::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            ring.fd().as_raw_fd(),
            0,
        );
        assert_ne!(page, libc::MAP_FAILED, "mmap the consumer page");
        core::sync::atomic::AtomicU64::from_ptr(page.cast()).store(position, Ordering::Release);
        libc::munmap(page, 4096);
    }
}

#[test]
fn a_corrupted_consumer_position_is_an_error_never_a_slice() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let events = maps.map::<Events>().expect("Events");
    // A record whose payload holds, 8 bytes in, what looks like a header of a 4000-byte record.
    let mut value = [0u8; 64];
    value[8..12].copy_from_slice(&4000u32.to_ne_bytes());
    emit(&maps, &prog, &value);
    // Point the consumer position into that payload: the fake header is what it finds first.
    write_consumer_position(events, 16);
    let mut consumer = maps.get::<Events>().consumer().expect("consumer");
    let err = consumer.next().expect("an answer").expect_err("the fake header is refused");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::Corrupt { position: 16, .. }, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("runs past the producer position"), "{err}");
    // The consumer moved on to where the kernel is: the next record is read whole.
    assert!(consumer.next().is_none());
    let value = [5u8; 64];
    emit(&maps, &prog, &value);
    assert_eq!(consumer.next().transpose().expect("record").map(|r| r.bytes()), Some(&value[..]));
}

#[test]
fn a_misaligned_consumer_position_is_refused_before_any_read() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    emit(&maps, &prog, &[9; 64]);
    write_consumer_position(maps.map::<Events>().expect("Events"), 4);
    let mut consumer = maps.get::<Events>().consumer().expect("consumer");
    let err = consumer.next().expect("an answer").expect_err("misaligned");
    assert!(matches!(&err, Error::Ring { problem: RingProblem::Corrupt { .. }, .. }), "{err:?}");
    assert!(err.to_string().contains("not 8-byte aligned"), "{err}");
    assert!(consumer.next().is_none(), "resumed at the producer position");
}

#[test]
fn views_of_one_array_share_it_through_atomics_only() {
    require_kernel!();
    let maps = load();
    let counters = maps.get::<Counters>();
    let a = counters.mmap().expect("view a");
    let b = counters.mmap().expect("view b");
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..10_000 {
                a.atomic_u64(3).expect("slot 3").fetch_add(1, Ordering::Relaxed);
            }
        });
        s.spawn(|| {
            for _ in 0..10_000 {
                let seen = b.get(3).expect("slot 3");
                assert!(seen <= 10_000);
                assert_eq!(b.iter().count(), 8);
            }
        });
    });
    assert_eq!(b.get(3), Some(10_000));
    assert_eq!(counters.get(3).expect("lookup"), Some(10_000), "the syscall sees the same memory");
    assert!(a.set(7, 42));
    assert!(!a.set(8, 1), "past the end");
    assert_eq!(b.get(8), None);
    assert_eq!(b.get(7), Some(42));
}

#[test]
fn a_frozen_array_is_mapped_read_only() {
    require_kernel!();
    let def = MapDef::new(MapType::ARRAY, 4, 8, 4).with_flags(MapFlags::MMAPABLE);
    let map = bpfmap::create_map(&def).expect("create");
    let array = ArrayMap::<u64>::new(&map).expect("handle");
    array.set(2, &99).expect("set");
    array.freeze().expect("freeze");
    let err = array.mmap().map(drop).expect_err("a writable view of a frozen array");
    assert_eq!(err.errno(), Some(bpfmap::Errno::EPERM));
    assert!(err.to_string().contains("mmap_read_only"), "{err}");
    let view = array.mmap_read_only().expect("a read-only view");
    assert_eq!(view.get(2), Some(99));
    assert_eq!(view.iter().collect::<Vec<_>>(), [0, 0, 99, 0]);
}

#[test]
fn per_cpu_values_from_the_hidden_cpu_list_are_refused() {
    require_kernel!();
    // In a mount namespace of its own, /sys/devices/system/cpu is an empty tmpfs, as in
    // containers that hide it.
    support::child::run("cpu_list_hidden_child", || {
        // SAFETY: system calls with static NUL-terminated strings, between fork and exec.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(
                    core::ptr::null(),
                    c"/".as_ptr(),
                    core::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    core::ptr::null(),
                ) != 0
                || libc::mount(
                    c"tmpfs".as_ptr(),
                    c"/sys/devices/system/cpu".as_ptr(),
                    c"tmpfs".as_ptr(),
                    0,
                    core::ptr::null(),
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    });
}

#[test]
fn cpu_list_hidden_child() {
    if !support::child::is("cpu_list_hidden_child") {
        return;
    }
    assert!(std::fs::read_to_string("/sys/devices/system/cpu/possible").is_err(), "the CPU list is hidden");
    let maps = load();
    let err = maps.try_get::<Latency>().map(drop).expect_err("no per-CPU handle without the CPU count");
    assert!(matches!(err, Error::PossibleCpus { .. }), "{err:?}");
    assert!(err.to_string().contains("/sys/devices/system/cpu/possible cannot be read"), "{err}");
    let map = maps.map::<Latency>().expect("Latency");
    assert!(matches!(PerCpuArray::<u64>::new(map).map(drop), Err(Error::PossibleCpus { .. })));
    assert!(matches!(PerCpuValues::<u64>::zeroed(), Err(Error::PossibleCpus { .. })));
    assert!(matches!(bpfmap::possible_cpus(), Err(Error::PossibleCpus { .. })));
}

#[test]
fn per_cpu_handles_use_the_kernels_cpu_count() {
    require_kernel!();
    let maps = load();
    let latency = maps.get::<Latency>();
    let cpus = support::possible_cpus();
    let values = PerCpuValues::from_fn(|cpu| cpu as u64 + 1).expect("values");
    assert_eq!(values.len(), cpus);
    latency.set(1, &values).expect("set");
    let read = latency.get(1).expect("get").expect("index 1");
    assert_eq!(read.iter().collect::<Vec<_>>(), (1..=cpus as u64).collect::<Vec<_>>());
}

#[test]
fn the_memlock_probe_leaves_the_process_limit_alone() {
    require_kernel!();
    support::child::run("memlock_probe_child", || {
        let limit = libc::rlimit { rlim_cur: 8 << 20, rlim_max: 8 << 20 };
        // SAFETY: setrlimit reads one rlimit, between fork and exec.
        if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    });
}

#[test]
fn memlock_probe_child() {
    if !support::child::is("memlock_probe_child") {
        return;
    }
    let limit = || {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) }, 0);
        limit.rlim_cur
    };
    assert_eq!(limit(), 8 << 20);
    let done = std::sync::atomic::AtomicBool::new(false);
    let watching = std::sync::Barrier::new(2);
    // Another thread watches the limit while the probe runs: it must never change, since
    // other threads may be locking memory or creating maps meanwhile.
    let lowest = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut lowest = limit();
            watching.wait();
            while !done.load(Ordering::Relaxed) {
                lowest = lowest.min(limit());
            }
            lowest
        });
        watching.wait();
        let charged = bpfmap::probe::memlock_charged();
        assert!(!charged, "Linux 5.11 and later account BPF memory to memory cgroups");
        let _ = bpfmap::load().expect("load");
        done.store(true, Ordering::Relaxed);
        watcher.join().expect("watcher")
    });
    assert_eq!(lowest, 8 << 20, "the limit changed while the probe ran");
    assert_eq!(limit(), 8 << 20);
}

#[test]
fn zero_seed_without_cap_sys_admin_names_cap_sys_admin() {
    require_kernel!();
    let out = support::child::run("zero_seed_child", || {
        const CAP_SYS_ADMIN: libc::c_ulong = 21;
        // SAFETY: prctl between fork and exec; root's capabilities after exec are its
        // bounding set, which this drops CAP_SYS_ADMIN from.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    });
    assert!(support::child::printed(&out, "refused for lack of CAP_SYS_ADMIN"));
}

#[test]
fn zero_seed_child() {
    if !support::child::is("zero_seed_child") {
        return;
    }
    let def = MapDef::new(MapType::HASH, 4, 4, 8).with_flags(MapFlags::ZERO_SEED);
    let err = bpfmap::create_map(&def).map(drop).expect_err("zero_seed needs CAP_SYS_ADMIN");
    let message = err.to_string();
    assert!(
        matches!(
            &err,
            Error::Create {
                cause: bpfmap::Cause::Privilege {
                    needs: bpfmap::Privilege::SysAdmin,
                    has_cap_bpf: Some(true),
                    has_cap_sys_admin: Some(false),
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        message.contains("needs CAP_SYS_ADMIN (CAP_BPF is not enough), which this process lacks"),
        "{message}"
    );
    // Without the flag, CAP_BPF is enough.
    bpfmap::create_map(&def.with_flags(MapFlags::EMPTY)).expect("a plain hash");
    println!("refused for lack of CAP_SYS_ADMIN");
}

#[test]
fn a_failed_dup_says_dup() {
    require_kernel!();
    support::child::run("failed_dup_child", || Ok(()));
}

#[test]
fn failed_dup_child() {
    if !support::child::is("failed_dup_child") {
        return;
    }
    let map = bpfmap::create_map(&MapDef::new(MapType::ARRAY, 4, 4, 1)).expect("create");
    let limit = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
    // SAFETY: setrlimit reads one rlimit; this child only.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let mut held = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        held.push(file);
    }
    let err = map.try_clone().expect_err("no fd left");
    assert!(matches!(&err, Error::Map { op: bpfmap::Op::Dup, .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot duplicate the fd of"), "{err}");
    assert!(map.as_fd().as_raw_fd() >= 3);
}

#[test]
fn an_array_programs_only_read_is_mapped_read_only() {
    require_kernel!();
    let def = MapDef::new(MapType::ARRAY, 4, 8, 4).with_flags(MapFlags::MMAPABLE | MapFlags::RDONLY_PROG);
    let map = bpfmap::create_map(&def).expect("create");
    let array = ArrayMap::<u64>::new(&map).expect("handle");
    array.set(3, &8).expect("user space may write it");
    let err = array.mmap().map(drop).expect_err("a writable view of an rdonly_prog array");
    assert_eq!(err.errno(), Some(bpfmap::Errno::EACCES));
    assert!(err.to_string().contains("(`rdonly_prog`)"), "{err}");
    let view = array.mmap_read_only().expect("a read-only view");
    assert_eq!(view.iter().collect::<Vec<_>>(), [0, 0, 0, 8]);
}

#[test]
fn an_array_behind_a_read_only_fd_cannot_be_mapped() {
    require_kernel!();
    // `rdonly`: the fd this create returns may read the map but not write it, and the kernel
    // maps nothing through such an fd.
    let def = MapDef::new(MapType::ARRAY, 4, 8, 4).with_flags(MapFlags::MMAPABLE | MapFlags::RDONLY);
    let map = bpfmap::create_map(&def).expect("create");
    let array = ArrayMap::<u64>::new(&map).expect("handle");
    assert_eq!(array.set(0, &1).map_err(|e| e.errno()), Err(Some(bpfmap::Errno::EPERM)));
    assert_eq!(array.get(0).expect("reads work"), Some(0));
    let err = array.mmap_read_only().map(drop).expect_err("no mapping through a read-only fd");
    assert_eq!(err.errno(), Some(bpfmap::Errno::EINVAL));
    assert!(err.to_string().contains("only through an fd that may write it"), "{err}");
}

#[test]
fn another_consumer_moving_the_position_is_detected() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let events = maps.map::<Events>().expect("Events");
    let mut consumer = maps.get::<Events>().consumer().expect("consumer");
    emit(&maps, &prog, &[1; 64]);
    assert_eq!(consumer.next().transpose().expect("record").map(|r| r.len()), Some(64));
    // A consumer in another process (here: the page mapped on its own) takes the next record.
    emit(&maps, &prog, &[2; 64]);
    write_consumer_position(events, 144);
    let err = consumer.next().expect("an answer").expect_err("the move is reported");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::SharedConsumer { expected: 0, found: 144 }, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("consume each ring from one process"), "{err}");
    // This consumer goes on from the producer position.
    assert!(consumer.next().is_none());
    emit(&maps, &prog, &[3; 64]);
    assert_eq!(consumer.next().transpose().expect("record").map(|r| r.bytes()), Some(&[3; 64][..]));
}

/// `consume` walks the ring in its own loop (it keeps the producer position it read until it
/// catches up with it): it refuses what `next` refuses, lends no slice for it, and goes on
/// from the producer position as `next` does.
#[test]
fn consume_refuses_a_corrupt_header_and_a_moved_position() {
    require_kernel!();
    let maps = load();
    let prog = output_program(&maps);
    let events = maps.map::<Events>().expect("Events");
    // A fake header of a 4000-byte record, 8 bytes into the first record's payload.
    let mut value = [0u8; 64];
    value[8..12].copy_from_slice(&4000u32.to_ne_bytes());
    emit(&maps, &prog, &value);
    write_consumer_position(events, 16);
    let mut consumer = maps.get::<Events>().consumer().expect("consumer");
    let err = consumer.consume(|_| panic!("no slice for a corrupt header")).expect_err("refused");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::Corrupt { position: 16, .. }, .. }),
        "{err:?}"
    );
    assert_eq!(consumer.consume(|_| panic!("nothing new")).expect("resumed"), 0);

    // Records at 72, 144 and 216; this consumer reads the first, and a consumer elsewhere
    // takes the other two.
    for byte in 1..=3 {
        emit(&maps, &prog, &[byte; 64]);
    }
    assert_eq!(consumer.next().transpose().expect("record").map(|r| r.bytes()), Some(&[1; 64][..]));
    write_consumer_position(events, 288);
    let err = consumer.consume(|_| panic!("no slice after a move")).expect_err("the move is reported");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::SharedConsumer { expected: 72, found: 288 }, .. }),
        "{err:?}"
    );
    emit(&maps, &prog, &[4; 64]);
    let mut read = Vec::new();
    assert_eq!(consumer.consume(|r| read.push(r.to_vec())).expect("consume"), 1);
    assert_eq!(read, [[4; 64].to_vec()]);
}

/// Maps the user ring's producer page read-write on its own, as any process with the map's fd
/// can, and writes `position` into it.
fn write_producer_position(ring: &Map, position: u64) {
    // SAFETY: a fresh shared mapping of the producer page (offset one page), written once and
    // unmapped; the kernel lets a user ring's producer page be mapped writable.
    unsafe {
        let page = libc::mmap(
            core::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            ring.fd().as_raw_fd(),
            4096,
        );
        assert_ne!(page, libc::MAP_FAILED, "mmap the producer page");
        core::sync::atomic::AtomicU64::from_ptr(page.cast()).store(position, Ordering::Release);
        libc::munmap(page, 4096);
    }
}

#[test]
fn a_misaligned_producer_position_is_refused_before_any_write() {
    require_kernel!();
    let maps = load();
    let mut producer = maps.get::<Commands>().producer().expect("producer");
    write_producer_position(maps.map::<Commands>().expect("Commands"), 4);
    let err = producer.write(b"hello").expect_err("a misaligned producer position");
    assert!(matches!(&err, Error::Ring { problem: RingProblem::Corrupt { position: 4, .. }, .. }), "{err:?}");
    assert!(err.to_string().contains("the producer position is not 8-byte aligned"), "{err}");
}

#[test]
fn a_user_record_longer_than_the_kernel_drains_is_refused() {
    require_kernel!();
    let def = MapDef::new(MapType::USER_RINGBUF, 0, 0, 32 << 20);
    let map = bpfmap::create_map(&def).expect("a 32 MiB user ring");
    let ring = bpfmap::UserRingBuf::new(&map).expect("handle");
    let mut producer = ring.producer().expect("producer");
    let err = producer.write(&vec![0; 16 << 20]).expect_err("16 MiB is past the kernel's record limit");
    assert!(
        matches!(&err, Error::Ring { problem: RingProblem::TooLarge { len, max }, .. } if *len == 16 << 20 && *max == (16 << 20) - 1),
        "{err:?}"
    );
    producer.write(&vec![0; (16 << 20) - 1]).expect("the largest record the kernel drains");
}

#[test]
fn a_definition_that_is_its_own_template_is_refused() {
    require_kernel!();
    static SELF: MapDef = MapDef::new(MapType::ARRAY_OF_MAPS, 4, 4, 1).with_inner(&SELF);
    let err = bpfmap::create_map(&SELF).map(drop).expect_err("no map-of-maps template");
    assert!(matches!(err, Error::Invalid { rule: bpfmap::RuleError::InnerInvalid { .. }, .. }), "{err:?}");
}

#[bpf_map(type = "arena", max_entries = 4, flags = "mmapable", name = "sd_heap")]
struct Heap;

#[test]
fn arena_reads_and_writes_stay_in_the_arena_and_out_of_faulting_ones() {
    require_kernel!();
    let maps = load();
    let heap = maps.get::<Heap>().mmap().expect("mmap");
    let end = 4 * 4096;
    heap.write(end - 3, &0x0102_0304u32).expect_err("past the end by one byte");
    heap.write(end - 4, &0x0102_0304u32).expect("the last 4 bytes");
    assert_eq!(heap.read::<u32>(end - 4).expect("read"), 0x0102_0304);
    heap.write(4093, &0x0506_0708u32).expect("across two pages, at an odd offset");
    assert_eq!(heap.read::<u32>(4093).expect("read"), 0x0506_0708);
    assert!(heap.read::<u8>(usize::MAX).is_err(), "an offset that overflows");
    assert_eq!(heap.read::<u64>(end - 16).expect("a word of the last page"), 0);
    assert!(heap.read::<u64>(end - 7).is_err());

    let def = MapDef::new(MapType::ARENA, 0, 0, 4).with_flags(MapFlags::MMAPABLE | MapFlags::SEGV_ON_FAULT);
    let map = bpfmap::create_map(&def).expect("create");
    let faulting = bpfmap::Arena::new(&map).expect("handle").mmap().expect("mmap");
    let err = faulting.read::<u64>(0).expect_err("a page no program allocated");
    assert!(err.to_string().contains("`segv_on_fault`"), "{err}");
    assert!(faulting.write(0, &1u64).is_err());
}
