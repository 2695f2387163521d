//! `#[repr(C)]` prefixes of `union bpf_attr`, one per command, with their offsets asserted
//! against the uapi header (`include/uapi/linux/bpf.h`).
//!
//! Each struct is zeroed before it is filled (`Default`) and passed with its own size: the
//! kernel zero-fills the rest of its union, so a prefix is all a command needs and older
//! kernels that do not know later fields still accept it.

use core::mem::{offset_of, size_of};

/// `BPF_MAP_CREATE`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct MapCreate {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
    /// Linux 6.9: the BTF object of `btf_vmlinux_value_type_id` (struct_ops); always 0 here.
    pub value_type_btf_obj_fd: i32,
    /// Linux 6.9: the BPF token to create the map with, when `map_flags` has
    /// `BPF_F_TOKEN_FD`; older kernels accept the field as long as it is 0.
    pub map_token_fd: i32,
}

const _: () = {
    assert!(offset_of!(MapCreate, map_flags) == 16);
    assert!(offset_of!(MapCreate, inner_map_fd) == 20);
    assert!(offset_of!(MapCreate, numa_node) == 24);
    assert!(offset_of!(MapCreate, map_name) == 28);
    assert!(offset_of!(MapCreate, map_ifindex) == 44);
    assert!(offset_of!(MapCreate, btf_vmlinux_value_type_id) == 60);
    assert!(offset_of!(MapCreate, map_extra) == 64);
    assert!(offset_of!(MapCreate, value_type_btf_obj_fd) == 72);
    assert!(offset_of!(MapCreate, map_token_fd) == 76);
    assert!(size_of::<MapCreate>() == 80);
};

/// `BPF_TOKEN_CREATE` (Linux 6.9): a token from the root of a bpffs mounted with delegation.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct TokenCreate {
    /// None defined yet: the kernel refuses any with EINVAL.
    pub flags: u32,
    pub bpffs_fd: u32,
}

const _: () = {
    assert!(offset_of!(TokenCreate, bpffs_fd) == 4);
    assert!(size_of::<TokenCreate>() == 8);
};

/// `BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM`, `BPF_MAP_GET_NEXT_KEY`,
/// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`, `BPF_MAP_FREEZE`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct MapElem {
    pub map_fd: u32,
    pub _pad: u32,
    pub key: u64,
    /// `value`, or `next_key` for `BPF_MAP_GET_NEXT_KEY`.
    pub value: u64,
    pub flags: u64,
}

const _: () = {
    assert!(offset_of!(MapElem, key) == 8);
    assert!(offset_of!(MapElem, value) == 16);
    assert!(offset_of!(MapElem, flags) == 24);
    assert!(size_of::<MapElem>() == 32);
};

/// `BPF_MAP_*_BATCH`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct MapBatch {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

const _: () = {
    assert!(offset_of!(MapBatch, count) == 32);
    assert!(offset_of!(MapBatch, map_fd) == 36);
    assert!(offset_of!(MapBatch, elem_flags) == 40);
    assert!(size_of::<MapBatch>() == 56);
};

/// `BPF_OBJ_PIN`, `BPF_OBJ_GET`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct ObjPin {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
}

const _: () = assert!(offset_of!(ObjPin, file_flags) == 12);

/// `BPF_MAP_GET_FD_BY_ID`, `BPF_MAP_GET_NEXT_ID`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct GetId {
    /// `start_id` or `map_id`.
    pub id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct InfoByFd {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// `struct bpf_map_info`, as `BPF_OBJ_GET_INFO_BY_FD` fills it.
#[repr(C)]
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct MapInfo {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_id: u32,
    pub map_extra: u64,
}

const _: () = {
    assert!(offset_of!(MapInfo, name) == 24);
    assert!(offset_of!(MapInfo, netns_dev) == 48);
    assert!(offset_of!(MapInfo, btf_id) == 64);
    assert!(offset_of!(MapInfo, map_extra) == 80);
    assert!(size_of::<MapInfo>() == 88);
};

/// `BPF_PROG_LOAD`, up to `prog_flags`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct ProgLoad {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
}

const _: () = {
    assert!(offset_of!(ProgLoad, insns) == 8);
    assert!(offset_of!(ProgLoad, license) == 16);
    assert!(offset_of!(ProgLoad, log_buf) == 32);
    assert!(offset_of!(ProgLoad, prog_flags) == 44);
    assert!(size_of::<ProgLoad>() == 48);
};

/// `BPF_BTF_LOAD`, with the fields of later kernels zeroed: the kernel takes a longer attr
/// whose unknown fields are zero.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct BtfLoad {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    /// Output (Linux 6.4): the log size the kernel needed, NUL included.
    pub btf_log_true_size: u32,
    /// `BPF_F_TOKEN_FD` when `btf_token_fd` is set (Linux 6.9).
    pub btf_flags: u32,
    pub btf_token_fd: i32,
}

const _: () = {
    assert!(offset_of!(BtfLoad, btf_log_buf) == 8);
    assert!(offset_of!(BtfLoad, btf_size) == 16);
    assert!(offset_of!(BtfLoad, btf_log_size) == 20);
    assert!(offset_of!(BtfLoad, btf_log_level) == 24);
    assert!(offset_of!(BtfLoad, btf_log_true_size) == 28);
    assert!(offset_of!(BtfLoad, btf_flags) == 32);
    assert!(offset_of!(BtfLoad, btf_token_fd) == 36);
    assert!(size_of::<BtfLoad>() == 40);
};

/// `struct bpf_btf_info`, as `BPF_OBJ_GET_INFO_BY_FD` fills it.
#[repr(C)]
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct BtfInfo {
    pub btf: u64,
    pub btf_size: u32,
    pub id: u32,
    pub name: u64,
    pub name_len: u32,
    pub kernel_btf: u32,
}

const _: () = {
    assert!(offset_of!(BtfInfo, btf_size) == 8);
    assert!(offset_of!(BtfInfo, id) == 12);
    assert!(offset_of!(BtfInfo, name) == 16);
    assert!(offset_of!(BtfInfo, name_len) == 24);
    assert!(offset_of!(BtfInfo, kernel_btf) == 28);
    assert!(size_of::<BtfInfo>() == 32);
};
