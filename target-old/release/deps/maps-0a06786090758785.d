/work/main/target-old/release/deps/maps-0a06786090758785.d: benches/maps.rs benches/raw.rs

/work/main/target-old/release/deps/maps-0a06786090758785: benches/maps.rs benches/raw.rs

benches/maps.rs:
benches/raw.rs:
