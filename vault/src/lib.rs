//! idp-vault's vault: the client key, two-secret key derivation, and the
//! sync-friendly vault folder. Synchronous and free of any runtime, so that
//! tests, fuzzers and every front end share exactly one implementation.
//!
//! Opening a vault takes two secrets. The account password goes through
//! NFKD and Argon2id; the 36-symbol client key through HKDF-SHA256 salted
//! with the vault id. The two 32-byte results are XORed, so neither alone
//! is worth anything, and the result unwraps a random 256-bit vault key that
//! seals every record. The byte formats are in `docs/format.md`.
#![forbid(unsafe_code)]

pub mod client_key;
mod crypto;
pub mod date;
mod device;
mod error;
mod fsx;
pub mod fuzz;
pub mod generate;
mod header;
pub mod ids;
pub mod interchange;
mod item;
mod kdf;
mod keys;
mod log;
mod names;
mod reset;
pub mod secret;
pub mod ssh;
mod state;
pub mod totp;
mod vault;

pub use client_key::{ClientKey, KeyFingerprint, ParseKeyError};
pub use device::Device;
pub use error::VaultError;
pub use header::{KeyMatch, RetiredKey};
pub use ids::{DeviceId, ItemId, VaultId};
pub use item::{
    HistoryEntry, Item, ItemKind, MAX_HISTORY, MAX_NAME_BYTES, NameError, SecretField, check_name,
};
pub use kdf::KdfParams;
pub use log::MAX_PLAINTEXT;
pub use secret::{SecretBytes, SecretString};
pub use state::{CompactReport, DeviceLog, FolderReport, UnlockedVault, VerifyReport, Warning};
pub use vault::{LockedVault, VaultInfo};
