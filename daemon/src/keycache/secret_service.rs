//! The Secret Service backend (gnome-keyring and the like) on the session
//! bus.
//!
//! Each vault's key is one item in the default collection, labelled
//! `idp-vault client key (NAME)`, found by the store's own attributes
//! (`service=idp-vault`, `username=<vault id>`) and also tagged
//! `application=idp-vault`, `vault=<vault id>` so that
//! `secret-tool search application idp-vault` lists every cached key.

use std::collections::HashMap;
use std::sync::Arc;

use idp_vault::{ClientKey, VaultId};
use keyring_core::{CredentialStore, Entry, Error};

use super::{CacheError, KeyCache, SERVICE, parse_stored};

pub struct SecretService {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for SecretService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretService")
    }
}

impl SecretService {
    /// Connects to the session bus and opens a session with the service.
    pub fn open() -> Result<Self, CacheError> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
            && std::env::var_os("XDG_RUNTIME_DIR")
                .map(|d| !std::path::Path::new(&d).join("bus").exists())
                .unwrap_or(true)
        {
            return Err(CacheError("no session bus".into()));
        }
        let store = zbus_secret_service_keyring_store::Store::new()
            .map_err(|e| CacheError::of("cannot reach it", e))?;
        Ok(Self { store })
    }

    fn entry(&self, vault: &VaultId, label: Option<&str>) -> Result<Entry, CacheError> {
        let hex = vault.to_hex();
        let mut modifiers = HashMap::new();
        if let Some(l) = label {
            modifiers.insert("label", l);
        }
        self.store
            .build(SERVICE, &hex, Some(&modifiers))
            .map_err(|e| CacheError::of("cannot name the item", e))
    }
}

/// A keyring error as one line, never with the secret a store may attach.
pub(super) fn describe(e: &Error) -> String {
    match e {
        Error::BadEncoding(_) | Error::BadDataFormat(..) => {
            "the cached value is not a client key".into()
        }
        Error::NoStorageAccess(inner) => {
            format!("the keyring is locked or refused access ({inner})")
        }
        Error::Ambiguous(v) => format!("{} items match this vault", v.len()),
        other => other.to_string(),
    }
}

impl KeyCache for SecretService {
    fn load(&self, vault: &VaultId) -> Result<Option<ClientKey>, CacheError> {
        match self.entry(vault, None)?.get_secret() {
            Ok(bytes) => parse_stored(bytes).map(Some),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(CacheError(describe(&e))),
        }
    }

    fn store(&self, vault: &VaultId, vault_name: &str, key: &ClientKey) -> Result<(), CacheError> {
        let label = format!("idp-vault client key ({vault_name})");
        let entry = self.entry(vault, Some(&label))?;
        let canonical = key.expose_canonical();
        entry
            .set_secret(canonical.expose().as_bytes())
            .map_err(|e| CacheError(describe(&e)))?;
        let hex = vault.to_hex();
        let tags = HashMap::from([("application", SERVICE), ("vault", hex.as_str())]);
        entry
            .update_attributes(&tags)
            .map_err(|e| CacheError(describe(&e)))
    }

    fn forget(&self, vault: &VaultId) -> Result<bool, CacheError> {
        match self.entry(vault, None)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(CacheError(describe(&e))),
        }
    }

    fn name(&self) -> String {
        "Secret Service".into()
    }
}
