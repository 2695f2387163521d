/work/main/target-old/release/deps/termcolor-0c3f624199d77be9.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/termcolor-1.4.1/src/lib.rs

/work/main/target-old/release/deps/libtermcolor-0c3f624199d77be9.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/termcolor-1.4.1/src/lib.rs

/work/main/target-old/release/deps/libtermcolor-0c3f624199d77be9.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/termcolor-1.4.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/termcolor-1.4.1/src/lib.rs:
