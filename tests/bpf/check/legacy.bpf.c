// SPDX-License-Identifier: GPL-2.0
// A legacy object: maps as `struct bpf_map_def` records in the `maps` section, as programs
// written before BTF-defined maps declare them (libbpf 1.0 no longer loads these; bpfmap
// still reads them, for the objects that exist).

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") old_counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 256,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") old_slots = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 32,
};

char LICENSE[] SEC("license") = "GPL";
