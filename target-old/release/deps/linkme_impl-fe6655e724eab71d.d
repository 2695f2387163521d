/work/main/target-old/release/deps/linkme_impl-fe6655e724eab71d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/args.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/attr.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/declaration.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/element.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/hash.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/linker.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/ty.rs

/work/main/target-old/release/deps/liblinkme_impl-fe6655e724eab71d.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/args.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/attr.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/declaration.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/element.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/hash.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/linker.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/ty.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/args.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/attr.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/declaration.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/element.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/hash.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/linker.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/linkme-impl-0.3.37/src/ty.rs:

# env-dep:CARGO_PKG_VERSION_PATCH=37
