// SPDX-License-Identifier: GPL-2.0
// Map definitions libbpf refuses, one per `-D` switch, for the tests of
// `object/compiled_tests.rs`: each compiles, and `Object::parse` must name what is wrong.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef UNKNOWN_FIELD
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(max_entires, 8);
	__type(key, __u32);
	__type(value, __u32);
} typo SEC(".maps");
#endif

#ifdef UNKNOWN_TYPE
struct {
	__uint(type, 99);
	__uint(max_entries, 8);
} x SEC(".maps");
#endif

#ifdef NO_TYPE
struct {
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} untyped SEC(".maps");
#endif

#ifdef KEY_CONFLICT
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(key_size, 8);
	__type(key, __u32);
	__type(value, __u32);
} conflict SEC(".maps");
#endif

#ifdef NOT_A_UINT
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(max_entries, __u32);
	__type(key, __u32);
	__type(value, __u32);
} counts SEC(".maps");
#endif

#ifdef STATIC_MAP
static struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} hidden SEC(".maps");
#endif

#ifdef PINNED_INNER
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__type(key, __u32);
		__type(value, __u32);
		__uint(pinning, LIBBPF_PIN_BY_NAME);
	});
} outer SEC(".maps");
#endif

#ifdef VALUES_ON_HASH
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} wrong SEC(".maps");
#endif

#ifdef BAD_PINNING
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, 2);
} pin SEC(".maps");
#endif

char LICENSE[] SEC("license") = "GPL";
