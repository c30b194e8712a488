//! Where the agent's socket, the config, the vault and the device state live.
//!
//! XDG base directories, each with its documented fallback under `$HOME`.
//! The socket lives in `$XDG_RUNTIME_DIR/idp/`; without that variable it falls
//! back to `/tmp/idp-$UID/`, which the agent creates 0700 and both ends check
//! is owned by the user before trusting it.
//!
//! The Downloads folder (where `idp kit save` writes and the agent looks for
//! kits) is `XDG_DOWNLOAD_DIR` from `$XDG_CONFIG_HOME/user-dirs.dirs`, as
//! `xdg-user-dirs` writes it, else `~/Downloads`; reading that one small
//! file is the only file IO here.

use std::env;
use std::path::{Path, PathBuf};

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

/// The agent's SSH agent socket (`SSH_AUTH_SOCK`) for the user `uid`.
pub fn ssh_socket_path(uid: u32) -> PathBuf {
    socket_dir(uid).join("ssh.sock")
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

/// Reads `XDG_DOWNLOAD_DIR="$HOME/…"` out of a `user-dirs.dirs` text.
pub fn download_dir_from_user_dirs(text: &str, home: &Path) -> Option<PathBuf> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("XDG_DOWNLOAD_DIR="))?;
    let value = line
        .trim_start_matches("XDG_DOWNLOAD_DIR=")
        .trim_matches('"');
    let path = match value.strip_prefix("$HOME") {
        Some(rest) => home.join(rest.trim_start_matches('/')),
        None => PathBuf::from(value),
    };
    // A Downloads folder that is the home folder itself means "not set".
    (path.is_absolute() && path != home).then_some(path)
}

/// The Downloads folder: `XDG_DOWNLOAD_DIR` from `user-dirs.dirs`, else
/// `~/Downloads`; `None` without `$HOME`.
pub fn download_dir() -> Option<PathBuf> {
    let home = absolute_var("HOME")?;
    let config = absolute_var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config"));
    std::fs::read_to_string(config.join("user-dirs.dirs"))
        .ok()
        .and_then(|text| download_dir_from_user_dirs(&text, &home))
        .or_else(|| Some(home.join("Downloads")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_dirs_lines() {
        let home = Path::new("/home/ann");
        let text = "# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n";
        assert_eq!(
            download_dir_from_user_dirs(text, home),
            Some(PathBuf::from("/home/ann/Téléchargements"))
        );
        assert_eq!(
            download_dir_from_user_dirs("XDG_DOWNLOAD_DIR=\"/data/dl\"", home),
            Some(PathBuf::from("/data/dl"))
        );
        assert_eq!(
            download_dir_from_user_dirs("XDG_DOWNLOAD_DIR=\"$HOME/\"", home),
            None
        );
        assert_eq!(
            download_dir_from_user_dirs("XDG_DOWNLOAD_DIR=\"relative/dl\"", home),
            None
        );
        assert_eq!(download_dir_from_user_dirs("", home), None);
    }
}
