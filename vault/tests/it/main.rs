//! Integration tests of the vault crate: one binary, one module per concern.

mod common;
mod crash;
mod hostile;
mod lifecycle;
mod property;
mod tamper;
mod vectors;
