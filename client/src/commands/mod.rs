//! One file per command.

pub mod add;
pub mod completions;
pub mod copy;
pub mod edit;
pub mod export;
pub mod fields;
pub mod generate;
pub mod get;
pub mod history;
pub mod import;
pub mod init;
pub mod key;
pub mod kit;
pub mod list;
pub mod lock;
pub mod man;
pub mod reset;
pub mod rm;
pub mod search;
pub mod ssh;
pub mod status;
pub mod totp;
pub mod unlock;
pub mod vault;
