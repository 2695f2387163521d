// SPDX-License-Identifier: GPL-2.0
// Maps of every encoding libbpf's macros have, for the tests of `object/compiled_tests.rs`,
// which compile this file with clang and check each number `Object::parse` reads.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// libbpf 1.3's macro for 64-bit numbers; older bpf_helpers.h lack it.
#ifndef __ulong
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name
#endif

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

typedef struct flow_stats flow_stats_t;

// __type key and value: sizes from the types; a typedef'd value.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flow_key);
	__type(value, flow_stats_t);
} flows SEC(".maps");

// Sizes given as numbers, no types; numa_node.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 24);
	__uint(max_entries, 16);
	__uint(numa_node, 0);
} sized SEC(".maps");

// key_size and key that agree, as libbpf allows.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} agreed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// Pinned by name.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

// map_extra as __uint and as __ulong.
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u32);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u64);
	__ulong(map_extra, 5);
} bloom_ulong SEC(".maps");

// A map-of-maps and its template.
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct flow_key);
};

struct inner inner_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u64);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 32);
		__uint(map_flags, BPF_F_NO_PREALLOC);
		__type(key, __u32);
		__type(value, __u16);
	});
} outer_hash SEC(".maps");

// A prog array: its `values` are programs, not a template.
int tail(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail },
};

__u64 counter = 0;

SEC("socket")
int tail(void *ctx)
{
	return 0;
}

SEC("socket")
int count(struct __sk_buff *skb)
{
	struct flow_key key = { .sport = 1 };
	flow_stats_t *stats = bpf_map_lookup_elem(&flows, &key);

	if (stats)
		__sync_fetch_and_add(&stats->packets, 1);
	counter++;
	bpf_tail_call(skb, &jumps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
