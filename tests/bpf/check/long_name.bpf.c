// SPDX-License-Identifier: GPL-2.0
// A map whose name is longer than the kernel keeps (15 bytes): loaders create it as
// `connection_trac`, the name a declaration has to match.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} connection_tracker SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
