// The fixture of `parse.rs`'s tests: maps declared the libbpf way, compiled by clang.
// Regenerate `maps.btf` (the object's `.BTF` section) with:
//   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c maps.bpf.c -o /tmp/maps.bpf.o
//   llvm-objcopy --dump-section .BTF=maps.btf /tmp/maps.bpf.o
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
};

struct flow_stats {
	struct bpf_spin_lock lock;
	__u32 flags : 3;
	__u32 kind : 5;
	__u64 packets;
	const volatile __u64 bytes;
	unsigned char tag[4];
	float ratio;
	enum { FLOW_NEW = 1, FLOW_OLD = -1 } state;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} inner_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

__u64 counter = 0;

SEC("xdp")
int count(struct xdp_md *ctx)
{
	struct flow_key key = { .sport = 1 };
	struct flow_stats *stats = bpf_map_lookup_elem(&flows, &key);
	if (stats)
		__sync_fetch_and_add(&stats->packets, 1);
	counter++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
