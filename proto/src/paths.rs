//! Where the agent's socket, the config, the vault and the device state live.
//!
//! XDG base directories, each with its documented fallback under `$HOME`.
//! The socket lives in `$XDG_RUNTIME_DIR/idp/`; without that variable it falls
//! back to `/tmp/idp-$UID/`, which the agent creates 0700 and both ends check
//! is owned by the user before trusting it.

use std::env;
use std::path::PathBuf;

/// A folder that cannot be found because the environment names none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("neither ${var} nor $HOME is set: set HOME to your home folder")]
pub struct NoHome {
    var: &'static str,
}

fn absolute_var(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn xdg(var: &'static str, fallback: &str) -> Result<PathBuf, NoHome> {
    if let Some(p) = absolute_var(var) {
        return Ok(p);
    }
    absolute_var("HOME")
        .map(|h| h.join(fallback))
        .ok_or(NoHome { var })
}

/// The folder holding the socket, for the user `uid`.
pub fn socket_dir(uid: u32) -> PathBuf {
    match absolute_var("XDG_RUNTIME_DIR") {
        Some(p) => p.join("idp"),
        None => PathBuf::from(format!("/tmp/idp-{uid}")),
    }
}

/// `true` when [`socket_dir`] is the `/tmp` fallback, which anyone could
/// have created first and so must be checked.
pub fn socket_dir_is_shared_fallback() -> bool {
    absolute_var("XDG_RUNTIME_DIR").is_none()
}

/// The agent's socket for the user `uid`.
pub fn socket_path(uid: u32) -> PathBuf {
    socket_dir(uid).join("agent.sock")
}

/// `$XDG_CONFIG_HOME/idp/config.toml`.
pub fn config_file() -> Result<PathBuf, NoHome> {
    Ok(xdg("XDG_CONFIG_HOME", ".config")?
        .join("idp")
        .join("config.toml"))
}

/// The default vault folder, `$XDG_DATA_HOME/idp/vault`.
pub fn default_vault_dir() -> Result<PathBuf, NoHome> {
    Ok(xdg("XDG_DATA_HOME", ".local/share")?
        .join("idp")
        .join("vault"))
}

/// Device state and the agent's log when started by `idp`:
/// `$XDG_STATE_HOME/idp`.
pub fn state_dir() -> Result<PathBuf, NoHome> {
    Ok(xdg("XDG_STATE_HOME", ".local/state")?.join("idp"))
}
