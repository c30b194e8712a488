//! Integration tests of the kit crate: round trips, independent readers,
//! degraded copies, hostile files and saving. One binary, one module each.

mod support;

mod degraded;
mod helper;
mod hostile;
mod independent;
mod round_trip;
mod sandboxed;
mod saving;
