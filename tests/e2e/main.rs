//! End-to-end tests: the real `idp` and `idp-agent`, a real socket, one
//! private HOME and set of XDG folders per test.

mod bus;
mod clipboard;
mod crash;
mod harness;
mod kit;
mod lifecycle;
mod logind;
mod protocol;
mod security;
mod snapshots;
mod tray;
mod units;
