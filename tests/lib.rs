//! End-to-end tests of idp-vault live in `e2e/` (one test binary) and
//! `cmd/` (CLI snapshots). They run the real `idp` and `idp-agent` from the
//! workspace's target folder: build them first (`cargo build --workspace`,
//! which `cargo test --workspace` does).
