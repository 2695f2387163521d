//! The run-time paths: `create_map` and `bpf_create_map` for definitions known only at run
//! time, their errors before and after the syscall, fd ownership, and typed handles over maps
//! that were not declared.

mod support;

use std::os::fd::{AsRawFd, BorrowedFd};

use bpfmap::{
    ArrayMap, Cause, Errno, Error, HashMap, HostLimits, KernelVersion, Map, MapDef, MapFlags, MapName,
    MapType, RuleError, Update, bpf_create_map, create_map,
};

// Every test here opens fds, and one of them counts the process's fds: they take turns
// (`support::serial`).

fn is_cloexec(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: F_GETFD on a live fd reads no memory.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "F_GETFD: {}", std::io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

/// The running kernel's `major.minor`, from `uname`.
fn running_kernel() -> KernelVersion {
    // SAFETY: utsname is plain bytes; uname fills it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname.
    assert_eq!(unsafe { libc::uname(&mut uts) }, 0);
    // SAFETY: uname NUL-terminates `release`.
    let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) }.to_string_lossy().into_owned();
    let mut parts = release.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u8>().unwrap_or(0));
    KernelVersion::new(parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// A preallocated hash of four times the machine's RAM. The kernel reserves all its elements
/// at creation in one vmalloc, which refuses sizes beyond total RAM before touching a page: a
/// quick ENOMEM. The bucket array (16 B per entry) stays small.
fn larger_than_memory(name: &str) -> MapDef {
    let value_size: u32 = 1 << 20;
    let max_entries = u32::try_from((4 * meminfo_total_bytes() / u64::from(value_size)).next_power_of_two())
        .expect("max_entries fits u32");
    MapDef::new(MapType::HASH, 4, value_size, max_entries).with_name(MapName::new(name))
}

fn meminfo_total_bytes() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("MemTotal in kB");
    kib * 1024
}

fn create(def: &MapDef) -> Map {
    create_map(def).unwrap_or_else(|e| panic!("create {def}: {e}"))
}

mod created {
    use super::*;

    #[test]
    fn create_map_gives_the_map_defined() {
        require_kernel!();
        let _turn = support::serial();
        let def = MapDef::new(MapType::HASH, 4, 8, 100)
            .with_flags(MapFlags::NO_PREALLOC)
            .with_name(MapName::new("rt_hash"));
        let map = create(&def);
        assert_eq!(map.name(), "rt_hash");
        assert_eq!(*map.def(), def);
        assert!(map.declaration().is_none(), "a run-time map has no declaration");
        assert!(map.fd().as_raw_fd() >= 3);
        assert!(is_cloexec(map.fd()));

        let info = map.info().expect("info");
        assert_eq!(info.map_type, MapType::HASH);
        assert_eq!((info.key_size, info.value_size, info.max_entries), (4, 8, 100));
        assert_eq!(info.flags, MapFlags::NO_PREALLOC);
        assert_eq!(info.name.as_str(), "rt_hash");
        assert_eq!(info.map_extra, 0);
        assert_eq!(map.id().expect("id"), info.id);
    }

    #[test]
    fn bpf_create_map_gives_an_unnamed_map() {
        require_kernel!();
        let _turn = support::serial();
        let map = bpf_create_map(MapType::ARRAY, 4, 16, 10, MapFlags::EMPTY).expect("create array");
        assert_eq!(map.name(), "");
        assert_eq!(*map.def(), MapDef::new(MapType::ARRAY, 4, 16, 10));
        let info = map.info().expect("info");
        assert_eq!(
            (info.map_type, info.key_size, info.value_size, info.max_entries, info.flags),
            (MapType::ARRAY, 4, 16, 10, MapFlags::EMPTY)
        );
        assert!(info.name.is_empty());

        // The seed's map.
        let seed = bpf_create_map(MapType::HASH, 4, 4, 100, MapFlags::NO_PREALLOC).expect("create hash");
        let info = seed.info().expect("info");
        assert_eq!(
            (info.map_type, info.key_size, info.value_size, info.max_entries, info.flags),
            (MapType::HASH, 4, 4, 100, MapFlags::NO_PREALLOC)
        );
        assert_ne!(info.id, map.id().expect("id"));
    }

    #[test]
    fn a_perf_event_array_of_zero_entries_gets_one_per_possible_cpu() {
        require_kernel!();
        let _turn = support::serial();
        let map = create(&MapDef::new(MapType::PERF_EVENT_ARRAY, 4, 4, 0));
        let cpus = support::possible_cpus() as u32;
        assert!(cpus >= 1);
        assert_eq!(map.def().max_entries, cpus);
        assert_eq!(map.info().expect("info").max_entries, cpus);
    }

    #[test]
    fn a_clone_is_another_fd_of_the_same_map() {
        require_kernel!();
        let _turn = support::serial();
        let map = create(&MapDef::new(MapType::ARRAY, 4, 8, 4).with_name(MapName::new("shared")));
        let clone = map.try_clone().expect("clone");
        assert_ne!(clone.fd().as_raw_fd(), map.fd().as_raw_fd());
        assert!(is_cloexec(clone.fd()));
        assert_eq!(clone.id().expect("id"), map.id().expect("id"));
        ArrayMap::<u64>::new(&map).expect("handle").set(2, &22).expect("set");
        drop(map);
        assert_eq!(ArrayMap::<u64>::new(&clone).expect("handle").get(2).expect("get"), Some(22));
    }
}

mod refused {
    use super::*;

    /// The calling thread's `errno`, which only a failed libc call or syscall changes.
    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    fn clear_errno() {
        // SAFETY: glibc's errno is a thread-local int, valid for the thread's life.
        unsafe { *libc::__errno_location() = 0 };
    }

    /// Creates `def`, which breaks a rule, and checks that no syscall ran: every definition
    /// here would also make `BPF_MAP_CREATE` fail and set errno, which stays untouched.
    fn refused_without_syscall(def: &MapDef) -> (RuleError, String) {
        // Host limits are read from /proc and /sys once; read them before watching errno.
        let _ = HostLimits::current();
        clear_errno();
        let result = create_map(def);
        let errno_after = errno();
        let err = result.expect_err("a definition that breaks a rule");
        assert_eq!(
            errno_after, 0,
            "a syscall failed with errno {errno_after} although the rules refused {def}"
        );
        let message = err.to_string();
        match err {
            Error::Invalid { map, rule } => {
                assert_eq!(map.name, def.name.to_string());
                assert_eq!(map.map_type, def.map_type);
                assert_eq!(map.declared, None);
                (rule, message)
            }
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn an_array_with_an_8_byte_key_is_invalid() {
        require_kernel!();
        let _turn = support::serial();
        let def = MapDef::new(MapType::ARRAY, 8, 8, 16).with_name(MapName::new("bad_array"));
        let (rule, message) = refused_without_syscall(&def);
        assert!(matches!(rule, RuleError::KeySize { map_type: MapType::ARRAY, size: 8, .. }), "{rule:?}");
        assert_eq!(rule.errno(), Errno::EINVAL);
        assert_eq!(
            message,
            "map `bad_array` (array) is invalid: key_size 8 is refused by `array` maps: \
             `key` must be 4 bytes (a u32 index): array-like maps are indexed by u32 (the kernel returns EINVAL)"
        );
        assert_eq!(create_map(&def).expect_err("invalid").errno(), Some(Errno::EINVAL));
    }

    #[test]
    fn other_rules_are_checked_before_the_syscall_too() {
        require_kernel!();
        let _turn = support::serial();
        let (rule, message) =
            refused_without_syscall(&MapDef::new(MapType::HASH, 4, 4, 8).with_name(MapName::new("bad-name")));
        assert_eq!(rule, RuleError::NameByte { index: 3, byte: b'-' });
        assert!(
            message.starts_with("map `bad-name` (hash) is invalid: the name has '-' at index 3"),
            "{message}"
        );

        let (rule, message) =
            refused_without_syscall(&MapDef::new(MapType::HASH, 4, 4, 8).with_flags(MapFlags::MMAPABLE));
        assert_eq!(rule, RuleError::FlagRefused { map_type: MapType::HASH, flag: MapFlags::MMAPABLE });
        assert!(
            message.starts_with("unnamed hash map is invalid: flag `mmapable` is refused by `hash` maps"),
            "{message}"
        );

        let (rule, message) = refused_without_syscall(&MapDef::new(MapType::LPM_TRIE, 8, 4, 16));
        assert_eq!(
            rule,
            RuleError::FlagRequired { map_type: MapType::LPM_TRIE, flag: MapFlags::NO_PREALLOC }
        );
        assert!(message.contains("require flag `no_prealloc`: add it to `flags`"), "{message}");

        // CONFIG_NR_CPUS is known only at run time: the same rule, with this host's limit.
        let nr_cpus = HostLimits::current().nr_cpus;
        let (rule, message) = refused_without_syscall(&MapDef::new(MapType::CPUMAP, 4, 4, nr_cpus + 1));
        assert!(
            matches!(rule, RuleError::MaxEntries { map_type: MapType::CPUMAP, errno: Errno::E2BIG, .. }),
            "{rule:?}"
        );
        assert!(message.ends_with("(the kernel returns E2BIG)"), "{message}");
    }

    #[test]
    fn the_kernel_lacking_a_type_or_flag_is_explained() {
        require_kernel!();
        let _turn = support::serial();
        let newer = KernelVersion::new(6, 19);
        let cases = [
            (
                MapDef::new(MapType::INSN_ARRAY, 4, 8, 16).with_name(MapName::new("jump_table")),
                "map type `insn_array`",
            ),
            (
                MapDef::new(MapType::RINGBUF, 0, 0, 4096)
                    .with_flags(MapFlags::RB_OVERWRITE)
                    .with_name(MapName::new("overwriting")),
                "flag `rb_overwrite` on `ringbuf` maps",
            ),
        ];
        for (def, feature) in cases {
            def.validate_on(HostLimits::current()).expect("the rule book accepts it");
            let result = create_map(&def);
            if running_kernel() >= newer {
                let map = result.unwrap_or_else(|e| panic!("{feature} exists since {newer}: {e}"));
                assert_eq!(map.info().expect("info").map_type, def.map_type);
                continue;
            }
            let err = result.expect_err("a kernel before 6.19 lacks it");
            let name = def.name.to_string();
            let expected_message = format!(
                "cannot create map `{name}` ({}): EINVAL (invalid argument): the definition follows every rule, \
                 but this kernel lacks {feature} (added in Linux 6.19; found by probing)",
                def.map_type
            );
            assert_eq!(err.to_string(), expected_message);
            match err {
                Error::Create { map, errno, cause } => {
                    assert_eq!(map.name, name);
                    assert_eq!(map.map_type, def.map_type);
                    assert_eq!(errno, Errno::EINVAL);
                    assert_eq!(cause, Cause::Unsupported { feature: feature.to_string(), since: newer });
                }
                other => panic!("expected Error::Create, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_map_larger_than_memory_is_refused_with_enomem() {
        require_kernel!();
        let _turn = support::serial();
        let def = larger_than_memory("too_big");
        def.validate_on(HostLimits::current()).expect("the rule book accepts it");

        let err = create_map(&def).expect_err("more memory than the machine has");
        let message = err.to_string();
        let asked = format!(
            "cannot create map `too_big` (hash): ENOMEM (cannot allocate memory): max_entries {} × (key 4 B + value \
             1048576 B) is ",
            def.max_entries
        );
        assert!(message.starts_with(&asked), "{message}");
        assert!(message.ends_with("the kernel could not allocate it: lower max_entries or the value size, or raise the memory cgroup's limit"), "{message}");
        match err {
            Error::Create { map, errno, cause } => {
                assert_eq!(map.name, "too_big");
                assert_eq!(errno, Errno::ENOMEM);
                assert!(matches!(cause, Cause::Memory { .. }), "{cause:?}");
            }
            other => panic!("expected Error::Create, got {other:?}"),
        }
    }
}

mod fds {
    use super::*;

    #[test]
    fn dropping_a_map_closes_its_fd() {
        require_kernel!();
        let _turn = support::serial();
        let before = support::open_fds();
        let held: Vec<Map> = (0..10).map(|i| create(&MapDef::new(MapType::ARRAY, 4, 4, i + 1))).collect();
        assert_eq!(support::open_fds(), before + 10, "one fd per live map");
        drop(held);
        assert_eq!(support::open_fds(), before);

        for i in 0..500u32 {
            let map = match i % 3 {
                0 => create(&MapDef::new(MapType::HASH, 4, 8, 16).with_flags(MapFlags::NO_PREALLOC)),
                1 => bpf_create_map(MapType::ARRAY, 4, 8, 16, MapFlags::EMPTY).expect("create"),
                _ => create(&MapDef::new(MapType::ARRAY, 4, 8, 4)).try_clone().expect("clone"),
            };
            assert!(map.fd().as_raw_fd() >= 3);
            if i % 25 == 0 {
                // A creation the kernel refuses holds no fd either.
                let err = create_map(&larger_than_memory("too_big")).expect_err("larger than memory");
                assert_eq!(err.errno(), Some(Errno::ENOMEM));
            }
        }
        assert_eq!(support::open_fds(), before, "500 maps created and dropped leave no fd behind");
    }
}

mod handles {
    use super::*;

    fn mismatch(result: Result<impl Sized, Error>) -> (String, String) {
        match result {
            Err(Error::Mismatch { map, what }) => (map.name, what),
            Err(other) => panic!("expected Error::Mismatch, got {other:?}"),
            Ok(_) => panic!("expected Error::Mismatch, got a handle"),
        }
    }

    #[test]
    fn handles_fit_maps_of_the_right_shape() {
        require_kernel!();
        let _turn = support::serial();
        let hash = create(&MapDef::new(MapType::HASH, 4, 8, 16));
        let counts = HashMap::<u32, u64>::new(&hash).expect("HashMap over hash 4 -> 8");
        counts.insert(&1, &100, Update::NoExist).expect("insert");
        assert_eq!(counts.get(&1).expect("get"), Some(100));
        assert!(std::ptr::eq(counts.map(), &hash));

        let lru = create(&MapDef::new(MapType::LRU_HASH, 8, 4, 16));
        let recent = HashMap::<u64, u32>::new(&lru).expect("HashMap over lru_hash 8 -> 4");
        recent.insert(&u64::MAX, &7, Update::Any).expect("insert");
        assert_eq!(recent.keys().collect::<Result<Vec<_>, _>>().expect("keys"), [u64::MAX]);

        let array = create(&MapDef::new(MapType::ARRAY, 4, 8, 3));
        let slots = ArrayMap::<u64>::new(&array).expect("ArrayMap over array of 8-byte values");
        assert_eq!(slots.len(), 3);
        slots.set(1, &11).expect("set");
        assert_eq!(slots.iter().collect::<Result<Vec<_>, _>>().expect("iter"), [(0, 0), (1, 11), (2, 0)]);
        let as_pairs = ArrayMap::<[u32; 2]>::new(&array).expect("any 8-byte Pod value fits");
        assert_eq!(as_pairs.get(1).expect("get"), Some([11, 0]));
    }

    #[test]
    fn handles_refuse_maps_of_another_shape() {
        require_kernel!();
        let _turn = support::serial();
        let hash = create(&MapDef::new(MapType::HASH, 4, 8, 16).with_name(MapName::new("h48")));
        let array = create(&MapDef::new(MapType::ARRAY, 4, 8, 4).with_name(MapName::new("a8")));
        let percpu = create(&MapDef::new(MapType::PERCPU_HASH, 4, 8, 16).with_name(MapName::new("pc")));

        assert_eq!(
            mismatch(HashMap::<u32, u64>::new(&array)),
            ("a8".to_string(), "`HashMap` cannot serve `array` maps".to_string())
        );
        assert_eq!(
            mismatch(HashMap::<u32, u64>::new(&percpu)),
            ("pc".to_string(), "`HashMap` cannot serve `percpu_hash` maps".to_string())
        );
        assert_eq!(
            mismatch(HashMap::<u64, u64>::new(&hash)),
            ("h48".to_string(), "key_size is 4 but `u64` is 8 bytes".to_string())
        );
        assert_eq!(
            mismatch(HashMap::<u32, u32>::new(&hash)),
            ("h48".to_string(), "value_size is 8 but `u32` is 4 bytes".to_string())
        );
        let (name, what) = mismatch(ArrayMap::<u64>::new(&hash));
        assert_eq!(name, "h48");
        assert_eq!(what, "`ArrayMap` cannot serve `hash` maps");
        assert_eq!(
            mismatch(ArrayMap::<u32>::new(&array)),
            ("a8".to_string(), "value_size is 8 but `u32` is 4 bytes".to_string())
        );
        let err = HashMap::<u32, u32>::new(&hash).expect_err("mismatch");
        assert_eq!(err.to_string(), "map `h48` (hash) does not fit: value_size is 8 but `u32` is 4 bytes");
        assert_eq!(err.errno(), None);
        assert_eq!(err.map().map(|m| m.name.as_str()), Some("h48"));
    }
}
