//! The kernel keyutils backend: keys in the user's session keyring (linked
//! to the persistent keyring), for machines without a Secret Service. Lost
//! at reboot. Outside a session keyring the kernel answers "no entry" to
//! everything, so [`Keyutils::open`] writes, reads back and removes a probe
//! key before the agent relies on it.

use std::sync::Arc;

use idp_vault::{ClientKey, VaultId};
use keyring_core::{CredentialStore, Entry, Error};

use super::secret_service::describe;
use super::{CacheError, KeyCache, SERVICE, parse_stored};

pub struct Keyutils {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for Keyutils {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyutils")
    }
}

impl Keyutils {
    pub fn open() -> Result<Self, CacheError> {
        let store: Arc<CredentialStore> = linux_keyutils_keyring_store::Store::new()
            .map_err(|e| CacheError::of("unavailable", describe(&e)))?;
        let me = Self { store };
        me.probe()?;
        Ok(me)
    }

    fn entry(&self, user: &str) -> Result<Entry, CacheError> {
        self.store
            .build(SERVICE, user, None)
            .map_err(|e| CacheError::of("cannot name the key", describe(&e)))
    }

    fn probe(&self) -> Result<(), CacheError> {
        let user = format!("probe-{}", std::process::id());
        let entry = self.entry(&user)?;
        let no_session = || {
            CacheError(
                "no session keyring (start the agent inside a login session, or under \
                 `keyctl session`)"
                    .into(),
            )
        };
        entry.set_secret(b"probe").map_err(|_| no_session())?;
        let back = entry.get_secret().map_err(|_| no_session());
        let _ = entry.delete_credential();
        match back {
            Ok(b) if b == b"probe" => Ok(()),
            _ => Err(no_session()),
        }
    }
}

impl KeyCache for Keyutils {
    fn load(&self, vault: &VaultId) -> Result<Option<ClientKey>, CacheError> {
        match self.entry(&vault.to_hex())?.get_secret() {
            Ok(bytes) => parse_stored(bytes).map(Some),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(CacheError(describe(&e))),
        }
    }

    fn store(&self, vault: &VaultId, _vault_name: &str, key: &ClientKey) -> Result<(), CacheError> {
        let canonical = key.expose_canonical();
        self.entry(&vault.to_hex())?
            .set_secret(canonical.expose().as_bytes())
            .map_err(|e| CacheError(describe(&e)))
    }

    fn forget(&self, vault: &VaultId) -> Result<bool, CacheError> {
        match self.entry(&vault.to_hex())?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(CacheError(describe(&e))),
        }
    }

    fn name(&self) -> String {
        "kernel keyutils (session keyring; forgotten at reboot)".into()
    }
}
