//! Errors of vault operations. Each message says what went wrong and what to
//! do next; none contains a secret.

use std::path::PathBuf;

use crate::kdf::KdfParams;

/// Everything that can go wrong opening, unlocking or writing a vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    #[error("no vault at {path}: create one with `idp init`, or point idp at the vault folder")]
    NoVault { path: PathBuf },

    #[error("a vault already exists at {path}: nothing was changed")]
    AlreadyExists { path: PathBuf },

    #[error(
        "wrong password: the client key is right for this vault, so check the password and try again"
    )]
    WrongPassword,

    #[error("this client key belongs to another vault: use the emergency kit made for this vault")]
    ForeignKey,

    #[error(
        "this client key was replaced (rotated) and no longer opens the vault: use the newest emergency kit"
    )]
    StaleKey { retired_ms: i64 },

    #[error(
        "{path} is damaged ({detail}): restore it from a backup or another device; nothing was changed"
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "{path} has format version {found}, and this idp-vault reads version {supported}: update idp-vault"
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u16,
        supported: u16,
    },

    #[error(
        "the vault asks for key derivation beyond the safe maximum ({params}; at most {max}): \
         the header may have been tampered with; nothing was run"
    )]
    KdfOutOfBounds { params: KdfParams, max: KdfParams },

    #[error(
        "key derivation parameters {params} are weaker than the minimum {min}: choose stronger ones"
    )]
    WeakKdf { params: KdfParams, min: KdfParams },

    #[error(
        "not enough memory for key derivation with {params}: free memory or use a device with more"
    )]
    KdfMemory { params: KdfParams },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),

    #[error("a vault name has at most {max} bytes: choose a shorter name")]
    NameTooLong { max: usize },

    #[error("no item with that id: list items with `idp list`")]
    ItemNotFound,

    #[error("the item is too large to store ({size} bytes; at most {max}): shorten its notes")]
    ItemTooLarge { size: usize, max: usize },

    #[error(
        "the vault folder was reset or replaced (now vault {found}, was {expected}): \
         lock and unlock again with the new emergency kit"
    )]
    VaultReplaced { expected: String, found: String },

    #[error(
        "another idp process is using this device's log in {path}: stop it, or use one agent per user"
    )]
    LogBusy { path: PathBuf },
}

impl VaultError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl From<getrandom::Error> for VaultError {
    fn from(e: getrandom::Error) -> Self {
        Self::Random(e)
    }
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;
