/work/main/target-old/release/deps/target_tuple-6e7d2f2a21fdddd2.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/target-tuple-1.0.2/src/lib.rs /work/main/target-old/release/build/target-tuple-5e7ea832f5777015/out/macros.rs

/work/main/target-old/release/deps/libtarget_tuple-6e7d2f2a21fdddd2.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/target-tuple-1.0.2/src/lib.rs /work/main/target-old/release/build/target-tuple-5e7ea832f5777015/out/macros.rs

/work/main/target-old/release/deps/libtarget_tuple-6e7d2f2a21fdddd2.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/target-tuple-1.0.2/src/lib.rs /work/main/target-old/release/build/target-tuple-5e7ea832f5777015/out/macros.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/target-tuple-1.0.2/src/lib.rs:
/work/main/target-old/release/build/target-tuple-5e7ea832f5777015/out/macros.rs:

# env-dep:OUT_DIR=/work/main/target-old/release/build/target-tuple-5e7ea832f5777015/out
