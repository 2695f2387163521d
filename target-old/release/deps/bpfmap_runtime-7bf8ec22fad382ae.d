/work/main/target-old/release/deps/bpfmap_runtime-7bf8ec22fad382ae.d: bpfmap-runtime/src/lib.rs bpfmap-runtime/src/adopt.rs bpfmap-runtime/src/compat.rs bpfmap-runtime/src/errno.rs bpfmap-runtime/src/error.rs bpfmap-runtime/src/family.rs bpfmap-runtime/src/handles/mod.rs bpfmap-runtime/src/handles/arena.rs bpfmap-runtime/src/handles/array.rs bpfmap-runtime/src/handles/batch.rs bpfmap-runtime/src/handles/bloom.rs bpfmap-runtime/src/handles/common.rs bpfmap-runtime/src/handles/elem.rs bpfmap-runtime/src/handles/fd_maps.rs bpfmap-runtime/src/handles/hash.rs bpfmap-runtime/src/handles/keys.rs bpfmap-runtime/src/handles/lpm.rs bpfmap-runtime/src/handles/map_of_maps.rs bpfmap-runtime/src/handles/mmap.rs bpfmap-runtime/src/handles/percpu.rs bpfmap-runtime/src/handles/queue.rs bpfmap-runtime/src/handles/ringbuf.rs bpfmap-runtime/src/handles/stack_trace.rs bpfmap-runtime/src/handles/storage.rs bpfmap-runtime/src/loader.rs bpfmap-runtime/src/map.rs bpfmap-runtime/src/maps.rs bpfmap-runtime/src/pin.rs bpfmap-runtime/src/pod.rs bpfmap-runtime/src/probe.rs bpfmap-runtime/src/registry.rs bpfmap-runtime/src/rules/mod.rs bpfmap-runtime/src/rules/error.rs bpfmap-runtime/src/rules/flags.rs bpfmap-runtime/src/rules/host.rs bpfmap-runtime/src/rules/map_type.rs bpfmap-runtime/src/rules/name.rs bpfmap-runtime/src/rules/table.rs bpfmap-runtime/src/rules/validate.rs bpfmap-runtime/src/sys/mod.rs bpfmap-runtime/src/sys/attr.rs

/work/main/target-old/release/deps/libbpfmap_runtime-7bf8ec22fad382ae.rlib: bpfmap-runtime/src/lib.rs bpfmap-runtime/src/adopt.rs bpfmap-runtime/src/compat.rs bpfmap-runtime/src/errno.rs bpfmap-runtime/src/error.rs bpfmap-runtime/src/family.rs bpfmap-runtime/src/handles/mod.rs bpfmap-runtime/src/handles/arena.rs bpfmap-runtime/src/handles/array.rs bpfmap-runtime/src/handles/batch.rs bpfmap-runtime/src/handles/bloom.rs bpfmap-runtime/src/handles/common.rs bpfmap-runtime/src/handles/elem.rs bpfmap-runtime/src/handles/fd_maps.rs bpfmap-runtime/src/handles/hash.rs bpfmap-runtime/src/handles/keys.rs bpfmap-runtime/src/handles/lpm.rs bpfmap-runtime/src/handles/map_of_maps.rs bpfmap-runtime/src/handles/mmap.rs bpfmap-runtime/src/handles/percpu.rs bpfmap-runtime/src/handles/queue.rs bpfmap-runtime/src/handles/ringbuf.rs bpfmap-runtime/src/handles/stack_trace.rs bpfmap-runtime/src/handles/storage.rs bpfmap-runtime/src/loader.rs bpfmap-runtime/src/map.rs bpfmap-runtime/src/maps.rs bpfmap-runtime/src/pin.rs bpfmap-runtime/src/pod.rs bpfmap-runtime/src/probe.rs bpfmap-runtime/src/registry.rs bpfmap-runtime/src/rules/mod.rs bpfmap-runtime/src/rules/error.rs bpfmap-runtime/src/rules/flags.rs bpfmap-runtime/src/rules/host.rs bpfmap-runtime/src/rules/map_type.rs bpfmap-runtime/src/rules/name.rs bpfmap-runtime/src/rules/table.rs bpfmap-runtime/src/rules/validate.rs bpfmap-runtime/src/sys/mod.rs bpfmap-runtime/src/sys/attr.rs

/work/main/target-old/release/deps/libbpfmap_runtime-7bf8ec22fad382ae.rmeta: bpfmap-runtime/src/lib.rs bpfmap-runtime/src/adopt.rs bpfmap-runtime/src/compat.rs bpfmap-runtime/src/errno.rs bpfmap-runtime/src/error.rs bpfmap-runtime/src/family.rs bpfmap-runtime/src/handles/mod.rs bpfmap-runtime/src/handles/arena.rs bpfmap-runtime/src/handles/array.rs bpfmap-runtime/src/handles/batch.rs bpfmap-runtime/src/handles/bloom.rs bpfmap-runtime/src/handles/common.rs bpfmap-runtime/src/handles/elem.rs bpfmap-runtime/src/handles/fd_maps.rs bpfmap-runtime/src/handles/hash.rs bpfmap-runtime/src/handles/keys.rs bpfmap-runtime/src/handles/lpm.rs bpfmap-runtime/src/handles/map_of_maps.rs bpfmap-runtime/src/handles/mmap.rs bpfmap-runtime/src/handles/percpu.rs bpfmap-runtime/src/handles/queue.rs bpfmap-runtime/src/handles/ringbuf.rs bpfmap-runtime/src/handles/stack_trace.rs bpfmap-runtime/src/handles/storage.rs bpfmap-runtime/src/loader.rs bpfmap-runtime/src/map.rs bpfmap-runtime/src/maps.rs bpfmap-runtime/src/pin.rs bpfmap-runtime/src/pod.rs bpfmap-runtime/src/probe.rs bpfmap-runtime/src/registry.rs bpfmap-runtime/src/rules/mod.rs bpfmap-runtime/src/rules/error.rs bpfmap-runtime/src/rules/flags.rs bpfmap-runtime/src/rules/host.rs bpfmap-runtime/src/rules/map_type.rs bpfmap-runtime/src/rules/name.rs bpfmap-runtime/src/rules/table.rs bpfmap-runtime/src/rules/validate.rs bpfmap-runtime/src/sys/mod.rs bpfmap-runtime/src/sys/attr.rs

bpfmap-runtime/src/lib.rs:
bpfmap-runtime/src/adopt.rs:
bpfmap-runtime/src/compat.rs:
bpfmap-runtime/src/errno.rs:
bpfmap-runtime/src/error.rs:
bpfmap-runtime/src/family.rs:
bpfmap-runtime/src/handles/mod.rs:
bpfmap-runtime/src/handles/arena.rs:
bpfmap-runtime/src/handles/array.rs:
bpfmap-runtime/src/handles/batch.rs:
bpfmap-runtime/src/handles/bloom.rs:
bpfmap-runtime/src/handles/common.rs:
bpfmap-runtime/src/handles/elem.rs:
bpfmap-runtime/src/handles/fd_maps.rs:
bpfmap-runtime/src/handles/hash.rs:
bpfmap-runtime/src/handles/keys.rs:
bpfmap-runtime/src/handles/lpm.rs:
bpfmap-runtime/src/handles/map_of_maps.rs:
bpfmap-runtime/src/handles/mmap.rs:
bpfmap-runtime/src/handles/percpu.rs:
bpfmap-runtime/src/handles/queue.rs:
bpfmap-runtime/src/handles/ringbuf.rs:
bpfmap-runtime/src/handles/stack_trace.rs:
bpfmap-runtime/src/handles/storage.rs:
bpfmap-runtime/src/loader.rs:
bpfmap-runtime/src/map.rs:
bpfmap-runtime/src/maps.rs:
bpfmap-runtime/src/pin.rs:
bpfmap-runtime/src/pod.rs:
bpfmap-runtime/src/probe.rs:
bpfmap-runtime/src/registry.rs:
bpfmap-runtime/src/rules/mod.rs:
bpfmap-runtime/src/rules/error.rs:
bpfmap-runtime/src/rules/flags.rs:
bpfmap-runtime/src/rules/host.rs:
bpfmap-runtime/src/rules/map_type.rs:
bpfmap-runtime/src/rules/name.rs:
bpfmap-runtime/src/rules/table.rs:
bpfmap-runtime/src/rules/validate.rs:
bpfmap-runtime/src/sys/mod.rs:
bpfmap-runtime/src/sys/attr.rs:
