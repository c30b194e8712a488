//! One file per operation. Each runs on the actor thread with the state
//! borrowed mutably, and returns what the RPC answers. The key-cache
//! operations (`import_key`, `forget_key`) are async: they pass between the
//! vault thread and the keyring thread.

pub mod add;
pub mod change_password;
pub mod check_key;
pub mod edit;
pub mod export;
pub mod forget_key;
pub mod get;
pub mod history;
pub mod import;
pub mod import_key;
pub mod init;
pub mod kit;
pub mod list;
pub mod lock;
pub mod refresh;
pub mod remove;
pub mod reset;
pub mod rotate_key;
pub mod search;
pub mod status;
pub mod totp;
pub mod unlock;
pub mod vault_info;
