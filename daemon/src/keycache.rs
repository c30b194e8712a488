//! Where the agent remembers client keys between unlocks.
//!
//! The agent asks a [`KeyCache`] for the key of a locked vault; when it has
//! one, unlocking needs only the password. This build has no persistent
//! cache: the key the person typed lives only inside the unlocked vault and
//! is wiped with it on lock, so every unlock asks for it again. An OS keyring
//! (Secret Service, kernel keyutils) plugs in here as another implementation.

use idp_vault::{ClientKey, VaultId};

/// A store of client keys by vault.
pub trait KeyCache: Send {
    /// The cached key of `vault`, if any.
    fn load(&self, vault: &VaultId) -> Option<ClientKey>;
    /// Remembers `key` for `vault` after it unlocked the vault.
    fn store(&mut self, vault: &VaultId, key: &ClientKey);
    /// A short name for logs and `idp status`.
    fn name(&self) -> &'static str;
}

/// Remembers nothing once the vault locks.
#[derive(Debug, Default)]
pub struct NoCache;

impl KeyCache for NoCache {
    fn load(&self, _vault: &VaultId) -> Option<ClientKey> {
        None
    }

    fn store(&mut self, _vault: &VaultId, _key: &ClientKey) {}

    fn name(&self) -> &'static str {
        "none (the key is asked for at every unlock)"
    }
}
