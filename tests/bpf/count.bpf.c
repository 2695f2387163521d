// SPDX-License-Identifier: GPL-2.0
// The BPF side of tests/loader_libbpf_rs.rs and tests/loader_aya.rs: an XDP program that counts
// the packets it sees in two maps. The loaders do not create these maps: they are handed the
// maps bpfmap created, so each definition below must match its #[bpf_map] in those tests (name,
// type, key and value sizes, max_entries, flags).
//
// Built as is, and with -DPIN_BY_NAME for loaders that find the maps pinned under their pin
// directory by name (aya's default_map_pin_directory, libbpf's pin_root_path).

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef PIN_BY_NAME
#define PINNING __uint(pinning, LIBBPF_PIN_BY_NAME);
#else
#define PINNING
#endif

// Keys of `counts`.
#define PACKETS 0
#define BYTES 1

// `PktStats` on the Rust side: 24 bytes, no padding.
struct pkt_stats {
	__u64 packets;
	__u64 bytes;
	__u32 min_len;
	__u32 max_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	PINNING
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pkt_stats);
	PINNING
} stats SEC(".maps");

static __always_inline void add(__u32 key, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(&counts, &key);

	if (value)
		__sync_fetch_and_add(value, n);
	else
		bpf_map_update_elem(&counts, &key, &n, BPF_NOEXIST);
}

// Returns XDP_PASS, or XDP_ABORTED if `stats` has no element 0 (an array always has it).
SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u64 len = (__u64)(long)ctx->data_end - (__u64)(long)ctx->data;
	__u32 zero = 0;
	struct pkt_stats *s;

	add(PACKETS, 1);
	add(BYTES, len);

	s = bpf_map_lookup_elem(&stats, &zero);
	if (!s)
		return XDP_ABORTED;
	// BPF_PROG_TEST_RUN runs the program on one CPU at a time: plain updates are enough.
	s->packets += 1;
	s->bytes += len;
	if (s->min_len == 0 || len < s->min_len)
		s->min_len = len;
	if (len > s->max_len)
		s->max_len = len;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
