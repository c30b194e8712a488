//! One file per operation. Each runs on the actor thread with the state
//! borrowed mutably, and returns what the RPC answers. The key-cache
//! operations (`import_key`, `forget_key`) are async: they pass between the
//! vault thread and the keyring thread.

pub mod add;
pub mod check_key;
pub mod edit;
pub mod forget_key;
pub mod get;
pub mod history;
pub mod import_key;
pub mod init;
pub mod kit;
pub mod list;
pub mod lock;
pub mod remove;
pub mod search;
pub mod status;
pub mod totp;
pub mod unlock;
