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

    #[error(
        "the vault name holds a control character ({found}); names cannot hold line breaks, \
         tabs, escape sequences or text-direction overrides: type it without them"
    )]
    NameControl { found: String },

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
        "{path} is {what}, not a plain file: idp-vault never follows links or reads special \
         files in the vault folder; move it out of the folder (or put the real file in its place)"
    )]
    NotPlain { path: PathBuf, what: &'static str },

    #[error(
        "{path} is too large ({size} bytes; at most {max} are read): move it out of the vault folder"
    )]
    TooLarge { path: PathBuf, size: u64, max: u64 },

    #[error(
        "the vault header {path} is damaged ({detail}): restore vault.idp from your sync tool's \
         history or copy it from another device; an emergency kit does not help here, and \
         nothing was changed"
    )]
    HeaderDamaged { path: PathBuf, detail: String },

    #[error(
        "{path} is an older vault header (key generation {found}; this device has seen \
         {seen}), from before a password change or key rotation: it was not used; restore \
         the newest vault.idp from another device or your sync tool's history"
    )]
    HeaderRolledBack {
        path: PathBuf,
        found: u32,
        seen: u32,
    },

    #[error(
        "the vault folder {path} is read-only: the vault is open for reading, and this change \
         was not made; make the folder writable (or remount it) and try again"
    )]
    ReadOnly { path: PathBuf },

    #[error(
        "the vault was re-keyed {max} times, the most its header can record: export it and \
         import it into a new vault"
    )]
    TooManyRekeys { max: usize },

    #[error(
        "the vault key was changed on another device (a password change or key rotation): \
         this change was not made; lock and unlock again with the current password and key"
    )]
    KeyChanged,

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
