//! The raw side: `bpf(2)` written out with `libc::syscall`, as a C program would call it.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

#[repr(C)]
#[derive(Default)]
struct Create {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
}

#[repr(C)]
#[derive(Default)]
struct Elem {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

#[repr(C)]
#[derive(Default)]
struct Batch {
    in_batch: u64,
    out_batch: u64,
    keys: u64,
    values: u64,
    count: u32,
    map_fd: u32,
    elem_flags: u64,
    flags: u64,
}

fn sys<A>(cmd: i64, attr: &mut A) -> i64 {
    // SAFETY: `attr` is a live, zero-initialised attr of the size passed; its pointers are
    // valid for the sizes the caller's map uses.
    unsafe { libc::syscall(libc::SYS_bpf, cmd, attr as *mut A, size_of::<A>()) }
}

pub fn fd(map: &impl AsRawFd) -> RawFd {
    map.as_raw_fd()
}

pub fn create(map_type: u32, key_size: u32, value_size: u32, max_entries: u32, map_flags: u32) -> OwnedFd {
    let mut attr = Create { map_type, key_size, value_size, max_entries, map_flags, ..Default::default() };
    let fd = sys(0, &mut attr);
    assert!(fd >= 0, "BPF_MAP_CREATE: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd the kernel just returned.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

/// A BTF object of two types, as a C loader would write it by hand: `u32` (id 1) and `u64`
/// (id 2).
pub fn btf_u32_u64() -> Vec<u8> {
    const INT: u32 = 1 << 24;
    let int = |name_off: u32, bytes: u32| [name_off, INT, bytes, bytes * 8];
    let types: Vec<u8> = [int(1, 4), int(5, 8)].concat().iter().flat_map(|w| w.to_le_bytes()).collect();
    let strings = b"\0u32\0u64\0";
    let mut blob = Vec::new();
    blob.extend(0xeb9f_u16.to_le_bytes());
    blob.extend([1, 0]); // version 1, no flags
    for word in [24, 0, types.len() as u32, types.len() as u32, strings.len() as u32] {
        blob.extend(word.to_le_bytes()); // hdr_len, type_off, type_len, str_off, str_len
    }
    blob.extend(types);
    blob.extend(strings);
    blob
}

#[repr(C)]
#[derive(Default)]
struct BtfLoad {
    btf: u64,
    btf_log_buf: u64,
    btf_size: u32,
    btf_log_size: u32,
    btf_log_level: u32,
}

/// `BPF_BTF_LOAD`, without a log.
pub fn btf_load(blob: &[u8]) -> OwnedFd {
    let mut attr = BtfLoad { btf: blob.as_ptr() as u64, btf_size: blob.len() as u32, ..Default::default() };
    let fd = sys(18, &mut attr);
    assert!(fd >= 0, "BPF_BTF_LOAD: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd the kernel just returned.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

/// `BPF_MAP_CREATE` with the BTF object `btf` and its type ids for the key and value.
pub fn create_with_btf(
    (map_type, key_size, value_size, max_entries): (u32, u32, u32, u32),
    btf: &impl AsRawFd,
    key_type_id: u32,
    value_type_id: u32,
) -> OwnedFd {
    let mut attr = Create {
        map_type,
        key_size,
        value_size,
        max_entries,
        btf_fd: btf.as_raw_fd() as u32,
        btf_key_type_id: key_type_id,
        btf_value_type_id: value_type_id,
        ..Default::default()
    };
    let fd = sys(0, &mut attr);
    assert!(fd >= 0, "BPF_MAP_CREATE with BTF: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd the kernel just returned.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

pub fn update<K, V>(fd: RawFd, key: &K, value: &V, flags: u64) {
    let mut attr = Elem {
        map_fd: fd as u32,
        key: key as *const K as u64,
        value: value as *const V as u64,
        flags,
        ..Default::default()
    };
    assert_eq!(sys(2, &mut attr), 0, "BPF_MAP_UPDATE_ELEM");
}

pub fn lookup<K, V: Default>(fd: RawFd, key: &K) -> Option<V> {
    let mut value = V::default();
    lookup_into(fd, key, &mut value as *mut V as *mut u8).then_some(value)
}

pub fn lookup_into<K>(fd: RawFd, key: &K, value: *mut u8) -> bool {
    let mut attr =
        Elem { map_fd: fd as u32, key: key as *const K as u64, value: value as u64, ..Default::default() };
    sys(1, &mut attr) == 0
}

pub fn delete<K>(fd: RawFd, key: &K) -> bool {
    let mut attr = Elem { map_fd: fd as u32, key: key as *const K as u64, ..Default::default() };
    sys(3, &mut attr) == 0
}

/// The classic loop: next key, then its value, until the kernel says there is no next key.
/// Returns the sum of the values.
pub fn iterate_next_key(fd: RawFd) -> u64 {
    let mut sum = 0u64;
    let mut key = 0u32;
    let mut next = 0u32;
    let mut first = true;
    loop {
        let mut attr = Elem {
            map_fd: fd as u32,
            key: if first { 0 } else { &key as *const u32 as u64 },
            value: &mut next as *mut u32 as u64,
            ..Default::default()
        };
        if sys(4, &mut attr) != 0 {
            return sum;
        }
        first = false;
        key = next;
        if let Some(value) = lookup::<u32, u64>(fd, &key) {
            sum += value;
        }
    }
}

/// `BPF_MAP_LOOKUP_BATCH` of u32 keys and u64 values, `count` per call, buffers allocated
/// once. Returns the sum of the values.
pub fn iterate_batch(fd: RawFd, count: u32) -> u64 {
    let mut keys = vec![0u32; count as usize];
    let mut values = vec![0u64; count as usize];
    let (mut token_in, mut token_out) = (0u64, 0u64);
    let mut sum = 0u64;
    let mut first = true;
    loop {
        let mut attr = Batch {
            in_batch: if first { 0 } else { &token_in as *const u64 as u64 },
            out_batch: &mut token_out as *mut u64 as u64,
            keys: keys.as_mut_ptr() as u64,
            values: values.as_mut_ptr() as u64,
            count,
            map_fd: fd as u32,
            ..Default::default()
        };
        let ret = sys(24, &mut attr);
        let done = ret != 0;
        if done && std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOENT) {
            panic!("BPF_MAP_LOOKUP_BATCH: {}", std::io::Error::last_os_error());
        }
        sum += values[..attr.count as usize].iter().sum::<u64>();
        if done {
            return sum;
        }
        first = false;
        token_in = token_out;
    }
}
