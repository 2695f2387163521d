/work/main/target-old/release/deps/linkme-c5c832ca49b64210.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-601b800f85b4e170/out/private.rs

/work/main/target-old/release/deps/liblinkme-c5c832ca49b64210.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-601b800f85b4e170/out/private.rs

/work/main/target-old/release/deps/liblinkme-c5c832ca49b64210.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-601b800f85b4e170/out/private.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs:
/work/main/target-old/release/build/linkme-601b800f85b4e170/out/private.rs:

# env-dep:OUT_DIR=/work/main/target-old/release/build/linkme-601b800f85b4e170/out
