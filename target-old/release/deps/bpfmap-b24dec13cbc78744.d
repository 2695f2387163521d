/work/main/target-old/release/deps/bpfmap-b24dec13cbc78744.d: src/lib.rs src/../README.md

/work/main/target-old/release/deps/libbpfmap-b24dec13cbc78744.rlib: src/lib.rs src/../README.md

/work/main/target-old/release/deps/libbpfmap-b24dec13cbc78744.rmeta: src/lib.rs src/../README.md

src/lib.rs:
src/../README.md:
