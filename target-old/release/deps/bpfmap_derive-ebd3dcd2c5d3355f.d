/work/main/target-old/release/deps/bpfmap_derive-ebd3dcd2c5d3355f.d: bpfmap-derive/src/lib.rs bpfmap-derive/src/ast.rs bpfmap-derive/src/attr.rs bpfmap-derive/src/errors.rs bpfmap-derive/src/expand.rs bpfmap-derive/src/pod.rs bpfmap-derive/src/suggest.rs bpfmap-derive/src/valid.rs

/work/main/target-old/release/deps/libbpfmap_derive-ebd3dcd2c5d3355f.so: bpfmap-derive/src/lib.rs bpfmap-derive/src/ast.rs bpfmap-derive/src/attr.rs bpfmap-derive/src/errors.rs bpfmap-derive/src/expand.rs bpfmap-derive/src/pod.rs bpfmap-derive/src/suggest.rs bpfmap-derive/src/valid.rs

bpfmap-derive/src/lib.rs:
bpfmap-derive/src/ast.rs:
bpfmap-derive/src/attr.rs:
bpfmap-derive/src/errors.rs:
bpfmap-derive/src/expand.rs:
bpfmap-derive/src/pod.rs:
bpfmap-derive/src/suggest.rs:
bpfmap-derive/src/valid.rs:
