// SPDX-License-Identifier: GPL-2.0
// Legacy map definitions (a `maps` section of `struct bpf_map_def` records, named by their
// symbols), as programs written for libbpf before 1.0 declare them, for the tests of
// `object/compiled_tests.rs`. `-DWIDE` gives the 7-field record of iproute2 and samples/bpf;
// `-DWIDE -DNUMA=1` sets one of its fields that libbpf does not know.
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
#ifdef WIDE
	unsigned int inner_map_idx;
	unsigned int numa_node;
#endif
};

#ifndef NUMA
#define NUMA 0
#endif

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 128,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") slots = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 16,
	.max_entries = 4,
#ifdef WIDE
	.numa_node = NUMA,
#endif
};

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
