//! `$XDG_CONFIG_HOME/idp/config.toml`, shared by the agent and the CLI.
//!
//! ```toml
//! vault_dir = "/home/me/Sync/idp-vault"   # default: $XDG_DATA_HOME/idp/vault
//! pinentry = "/usr/bin/pinentry-gnome3"    # default: a no-echo terminal prompt
//!
//! [lock]
//! idle = "15m"      # lock after this long without use
//! max = "12h"       # lock this long after unlocking, used or not
//!
//! [key_cache]
//! backend = "auto"  # auto | secret-service | keyutils | none
//!
//! [downloads]
//! dir = "/home/me/Downloads"  # default: XDG_DOWNLOAD_DIR, else ~/Downloads
//! watch = true                # look for emergency kits dropped there
//! delete_imported = false     # delete a kit file once its key is cached
//! allow_unsandboxed = false   # read kits even where the kernel cannot sandbox the reader
//!
//! [clipboard]
//! clear = "30s"     # `idp copy` clears the clipboard after this long
//!
//! [ssh_agent]
//! serve = false         # serve the SSH agent protocol on $XDG_RUNTIME_DIR/idp/ssh.sock
//! add_to_vault = true   # `ssh-add FILE` stores the key in the vault (false: refused)
//! confirm = "never"     # never | once-per-unlock | every-use: ask with pinentry before signing
//! ```
//!
//! Durations are a number followed by `s`, `m`, `h` or `d`. Each has a
//! ceiling ([`MAX_LOCK`] for the lock timers, [`MAX_CLIPBOARD`] for the
//! clipboard), so that no timer computed from the file can overflow; a
//! longer value is refused with the ceiling named. Unknown keys are refused
//! so that a typo does not silently keep a default.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Longest `lock.idle` and `lock.max`: 30 days.
pub const MAX_LOCK: Duration = Duration::from_secs(30 * 86_400);

/// Longest `clipboard.clear`: one day.
pub const MAX_CLIPBOARD: Duration = Duration::from_secs(86_400);

/// The parsed file; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub vault_dir: Option<PathBuf>,
    /// Path of a pinentry program. Never the `pinentry` alternative: which
    /// one that points to changes whenever a desktop package is installed.
    pub pinentry: Option<PathBuf>,
    #[serde(default)]
    pub lock: LockConfig,
    #[serde(default)]
    pub key_cache: KeyCacheConfig,
    #[serde(default)]
    pub downloads: DownloadsConfig,
    #[serde(default)]
    pub clipboard: ClipboardConfig,
    #[serde(default)]
    pub ssh_agent: SshAgentConfig,
}

/// The SSH agent socket (`docs/ssh-agent.md`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshAgentConfig {
    /// Serve the SSH agent protocol on [`crate::paths::ssh_socket_path`].
    pub serve: bool,
    /// `ssh-add FILE` (`SSH_AGENTC_ADD_IDENTITY`) stores the key in the
    /// vault as a new item; when off such requests are refused.
    pub add_to_vault: bool,
    /// When to ask the person (with the configured pinentry) before a key
    /// signs.
    pub confirm: SshConfirm,
}

impl Default for SshAgentConfig {
    fn default() -> Self {
        Self {
            serve: false,
            add_to_vault: true,
            confirm: SshConfirm::Never,
        }
    }
}

/// When the SSH agent asks before signing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SshConfirm {
    #[default]
    Never,
    /// The first use of each key after an unlock.
    OncePerUnlock,
    EveryUse,
}

/// Where the agent caches the client key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyCacheConfig {
    pub backend: KeyCacheBackend,
}

/// Which key caches the agent may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyCacheBackend {
    /// The Secret Service, else kernel keyutils, else none.
    #[default]
    Auto,
    SecretService,
    Keyutils,
    /// Never cache: every unlock asks for the key.
    None,
}

/// The Downloads watcher, which finds emergency kits dropped there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DownloadsConfig {
    /// The folder to watch; default: the XDG download folder.
    pub dir: Option<PathBuf>,
    pub watch: bool,
    /// Delete a kit file once its key is cached.
    pub delete_imported: bool,
    /// Read kits even where the kernel has no Landlock or no seccomp
    /// filters to sandbox the reader with (off: such kits are refused).
    pub allow_unsandboxed: bool,
}

impl Default for DownloadsConfig {
    fn default() -> Self {
        Self {
            dir: None,
            watch: true,
            delete_imported: false,
            allow_unsandboxed: false,
        }
    }
}

/// `idp copy`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClipboardConfig {
    /// How long a copied secret stays on the clipboard.
    #[serde(with = "duration")]
    pub clear: Duration,
}

impl Default for ClipboardConfig {
    fn default() -> Self {
        Self {
            clear: Duration::from_secs(30),
        }
    }
}

/// Auto-lock timers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockConfig {
    #[serde(with = "duration")]
    pub idle: Duration,
    #[serde(with = "duration")]
    pub max: Duration,
}

impl Default for LockConfig {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15 * 60),
            max: Duration::from_secs(12 * 3600),
        }
    }
}

/// A config file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Config {
    /// Parses the text of config.toml.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        for (key, value, max, what) in [
            ("lock.idle", cfg.lock.idle, MAX_LOCK, "30 days (720h)"),
            ("lock.max", cfg.lock.max, MAX_LOCK, "30 days (720h)"),
            (
                "clipboard.clear",
                cfg.clipboard.clear,
                MAX_CLIPBOARD,
                "1 day (24h)",
            ),
        ] {
            if value.is_zero() {
                return Err(ConfigError(format!("{key} must be longer than 0 s")));
            }
            if value > max {
                return Err(ConfigError(format!(
                    "{key} is {} s, longer than the most allowed, {what}: choose a shorter time",
                    value.as_secs()
                )));
            }
        }
        Ok(cfg)
    }
}

/// Parses `90s`, `15m`, `12h`, `7d`; `None` for anything else, and for a
/// number of seconds that does not fit in 64 bits.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let n: u64 = text[..text.len() - 1].trim().parse().ok()?;
    n.checked_mul(scale).map(Duration::from_secs)
}

mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, de};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_duration(&s).ok_or_else(|| {
            de::Error::custom(format!(
                "{s:?} is not a duration such as 90s, 15m, 12h or 7d (at most 30 days for \
                 the lock timers, 1 day for the clipboard)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("").expect("parse");
        assert_eq!(c.lock.idle, Duration::from_secs(900));
        assert_eq!(c.lock.max, Duration::from_secs(43200));
        assert_eq!(c.pinentry, None);
        assert_eq!(c.key_cache.backend, KeyCacheBackend::Auto);
        assert!(c.downloads.watch && !c.downloads.delete_imported);
        assert!(!c.downloads.allow_unsandboxed);
        assert_eq!(c.clipboard.clear, Duration::from_secs(30));
    }

    #[test]
    fn key_cache_and_downloads() {
        let c = Config::parse(
            "[key_cache]\nbackend = \"keyutils\"\n[downloads]\ndir = \"/dl\"\ndelete_imported = true\n",
        )
        .expect("parse");
        assert_eq!(c.key_cache.backend, KeyCacheBackend::Keyutils);
        assert_eq!(c.downloads.dir, Some(PathBuf::from("/dl")));
        assert!(c.downloads.delete_imported && c.downloads.watch);
        assert!(Config::parse("[key_cache]\nbackend = \"kwallet\"\n").is_err());
    }

    #[test]
    fn clipboard_clear_time() {
        let c = Config::parse("[clipboard]\nclear = \"45s\"\n").expect("parse");
        assert_eq!(c.clipboard.clear, Duration::from_secs(45));
        assert!(Config::parse("[clipboard]\nclear = \"0s\"\n").is_err());
        assert!(Config::parse("[clipboard]\nclean = \"5s\"\n").is_err());
    }

    #[test]
    fn durations_and_paths() {
        let c = Config::parse(
            "vault_dir = \"/v\"\npinentry = \"/usr/bin/pinentry-tty\"\n[lock]\nidle = \"2s\"\nmax = \"1h\"\n",
        )
        .expect("parse");
        assert_eq!(c.lock.idle, Duration::from_secs(2));
        assert_eq!(c.lock.max, Duration::from_secs(3600));
        assert_eq!(c.vault_dir, Some(PathBuf::from("/v")));
    }

    #[test]
    fn typos_and_bad_durations_are_refused() {
        assert!(Config::parse("[lock]\nidel = \"2s\"\n").is_err());
        assert!(Config::parse("[lock]\nidle = \"2 days\"\n").is_err());
        assert!(Config::parse("[lock]\nidle = \"0s\"\n").is_err());
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("é"), None);
    }

    #[test]
    fn durations_beyond_the_ceilings_are_refused_not_panicking() {
        for text in [
            "[lock]\nidle = \"999999999999h\"\n",
            "[lock]\nmax = \"31d\"\n",
            "[lock]\nidle = \"2592001s\"\n",
            "[clipboard]\nclear = \"25h\"\n",
        ] {
            let e = Config::parse(text).expect_err(text).to_string();
            assert!(e.contains("longer than the most allowed"), "{e}");
        }
        // Beyond 64 bits of seconds: not a duration at all.
        let e = Config::parse("[lock]\nidle = \"99999999999999999999h\"\n").expect_err("huge");
        assert!(e.to_string().contains("not a duration"), "{e}");
        let c =
            Config::parse("[lock]\nidle = \"30d\"\nmax = \"720h\"\n[clipboard]\nclear = \"1d\"\n")
                .expect("the ceilings themselves are allowed");
        assert_eq!(c.lock.max, MAX_LOCK);
        assert_eq!(c.clipboard.clear, MAX_CLIPBOARD);
    }
}
