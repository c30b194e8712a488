//! idp-vault's vault: the client key, two-secret key derivation, and the
//! sync-friendly vault folder. Synchronous and free of any runtime, so that
//! tests, fuzzers and every front end share exactly one implementation.
#![forbid(unsafe_code)]

pub mod client_key;
mod crypto;
pub mod generate;
pub mod ids;
pub mod secret;
pub mod totp;

pub use client_key::{ClientKey, KeyFingerprint, ParseKeyError};
pub use ids::{DeviceId, ItemId, VaultId};
pub use secret::{SecretBytes, SecretString};
