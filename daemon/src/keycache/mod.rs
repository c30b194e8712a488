//! Where the agent remembers client keys between unlocks.
//!
//! Only the client key is cached, never the password or the vault key:
//! another process of the same user that reads the keyring still cannot
//! open the vault. Backends, in the order the agent tries them at start:
//!
//! * the Secret Service (gnome-keyring, KeePassXC, KWallet) on the session
//!   bus, through `keyring-core`'s zbus store; items carry the attributes
//!   `application=idp-vault` and `vault=<vault id>`;
//! * the kernel's keyutils, which works only inside a session keyring and
//!   forgets everything at reboot;
//! * nothing: every unlock asks for the key, and `idp status` says why no
//!   cache works.
//!
//! Every backend call blocks (D-Bus round trips; a Secret Service may even
//! wait for a person to answer an unlock prompt), so backends run only on
//! the keyring thread of [`crate::keyring`], never on the async runtime or
//! the vault thread.

mod keyutils;
mod secret_service;

use idp_vault::{ClientKey, VaultId};
use zeroize::Zeroizing;

pub use keyutils::Keyutils;
pub use secret_service::SecretService;

/// The service name under which keys are filed.
pub const SERVICE: &str = "idp-vault";

/// A keyring call that failed; the text is for logs and `idp status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CacheError(pub String);

impl CacheError {
    pub fn of(what: &str, e: impl std::fmt::Display) -> Self {
        Self(format!("{what}: {e}"))
    }
}

/// A store of client keys by vault. Calls block.
pub trait KeyCache: Send {
    /// The cached key of `vault`, if any.
    fn load(&self, vault: &VaultId) -> Result<Option<ClientKey>, CacheError>;
    /// Remembers `key` for `vault`, replacing any older key.
    fn store(&self, vault: &VaultId, vault_name: &str, key: &ClientKey) -> Result<(), CacheError>;
    /// Removes the key of `vault`; `false` when there was none.
    fn forget(&self, vault: &VaultId) -> Result<bool, CacheError>;
    /// A short name for logs and `idp status`.
    fn name(&self) -> String;
    /// Whether keys can be cached at all.
    fn usable(&self) -> bool {
        true
    }
}

/// Remembers nothing: every unlock asks for the key.
#[derive(Debug)]
pub struct NoCache {
    /// Why no backend works, for `idp status`.
    pub why: String,
}

impl KeyCache for NoCache {
    fn load(&self, _vault: &VaultId) -> Result<Option<ClientKey>, CacheError> {
        Ok(None)
    }

    fn store(&self, _: &VaultId, _: &str, _: &ClientKey) -> Result<(), CacheError> {
        Err(CacheError(format!(
            "no key cache works here ({})",
            self.why
        )))
    }

    fn forget(&self, _vault: &VaultId) -> Result<bool, CacheError> {
        Ok(false)
    }

    fn name(&self) -> String {
        format!("none ({})", self.why)
    }

    fn usable(&self) -> bool {
        false
    }
}

/// Which backends the agent may try, from config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Secret Service, else keyutils, else none.
    Auto,
    SecretService,
    Keyutils,
    None,
}

/// Opens the first backend that works. Blocks: call it on the keyring
/// thread.
pub fn open(choice: Choice) -> Box<dyn KeyCache> {
    let mut why = Vec::new();
    if matches!(choice, Choice::Auto | Choice::SecretService) {
        match SecretService::open() {
            Ok(s) => return Box::new(s),
            Err(e) => why.push(format!("Secret Service: {e}")),
        }
    }
    if matches!(choice, Choice::Auto | Choice::Keyutils) {
        match Keyutils::open() {
            Ok(k) => return Box::new(k),
            Err(e) => why.push(format!("kernel keyutils: {e}")),
        }
    }
    if why.is_empty() {
        why.push("turned off in config.toml".into());
    }
    Box::new(NoCache {
        why: why.join("; "),
    })
}

/// Turns the bytes a keyring gave back into a key. A value that is not a
/// key is reported without showing it.
fn parse_stored(bytes: Vec<u8>) -> Result<ClientKey, CacheError> {
    let bytes = Zeroizing::new(bytes);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CacheError("the cached value is not a client key".into()))?;
    ClientKey::parse(text).map_err(|_| CacheError("the cached value is not a client key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_parse_back_and_junk_is_refused() {
        let key = ClientKey::generate().expect("rng");
        let text = key.expose_canonical();
        let back = parse_stored(text.expose().as_bytes().to_vec()).expect("parse");
        assert_eq!(back.expose_canonical().expose(), text.expose());
        let err = parse_stored(b"not a key".to_vec()).expect_err("junk");
        assert!(!err.0.contains("not a key\""));
        assert!(parse_stored(vec![0xff, 0xfe]).is_err());
    }

    #[test]
    fn no_cache_says_why() {
        let none = NoCache {
            why: "no session bus".into(),
        };
        assert!(none.name().contains("no session bus"));
        let key = ClientKey::generate().expect("rng");
        let id = VaultId::from_bytes([3; 16]);
        assert!(none.store(&id, "v", &key).is_err());
        assert!(matches!(none.load(&id), Ok(None)));
    }
}
