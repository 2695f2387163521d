/work/main/target-old/release/deps/linkme-ac16e038e46129c0.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-a3d5e910f46678fe/out/private.rs

/work/main/target-old/release/deps/liblinkme-ac16e038e46129c0.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-a3d5e910f46678fe/out/private.rs

/work/main/target-old/release/deps/liblinkme-ac16e038e46129c0.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs /work/main/target-old/release/build/linkme-a3d5e910f46678fe/out/private.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/distributed_slice.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-0.3.37/src/private.rs:
/work/main/target-old/release/build/linkme-a3d5e910f46678fe/out/private.rs:

# env-dep:OUT_DIR=/work/main/target-old/release/build/linkme-a3d5e910f46678fe/out
