//! End-to-end tests: the real `idp` and `idp-agent`, a real socket, one
//! private HOME and set of XDG folders per test.

mod bus;
mod clipboard;
mod connections;
mod crash;
mod harness;
mod hostile_downloads;
mod hostile_folder;
mod keyring;
mod kit;
mod lifecycle;
mod logind;
mod orphan;
mod protocol;
mod sandbox;
mod security;
mod session;
mod snapshots;
mod ssh_agent;
mod sync;
mod terminal_safety;
mod throttle;
mod tray;
mod units;
mod vault_cmds;
mod write_failures;
