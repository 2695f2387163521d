// SPDX-License-Identifier: GPL-2.0
// The BPF side of tests/interop.rs: a socket filter that shares `io_shared` with the Rust
// side. bpftool loads it against the map bpfmap created and pinned (`map name io_shared
// pinned PATH`), so the definition below must match `Shared` in interop.rs: libbpf's
// reuse of a pinned map compares nothing, so a mismatch would go unnoticed until the program
// read the wrong bytes (tests/interop.rs pins this down).
// Each run reads the value at key 0 and writes twice it plus one at key 1.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} io_shared SEC(".maps");

SEC("socket")
int double_it(struct __sk_buff *skb)
{
	__u32 in = 0, out = 1;
	__u64 *value = bpf_map_lookup_elem(&io_shared, &in);
	__u64 result;

	if (!value)
		return 0;
	result = *value * 2 + 1;
	if (bpf_map_update_elem(&io_shared, &out, &result, BPF_ANY))
		return 0;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
