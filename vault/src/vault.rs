//! A vault folder, locked: the header is read, nothing secret is held.
//!
//! ```text
//! vault/
//!   vault.idp            header (atomic replace only)
//!   logs/<device>.log    one append-only log per device
//! ```

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::client_key::{ClientKey, KeyFingerprint};
use crate::device::{Device, write_atomic};
use crate::error::{Result, VaultError};
use crate::header::{self, Header, KeyMatch, RetiredKey};
use crate::ids::VaultId;
use crate::kdf::KdfParams;
use crate::log;
use crate::secret::{Key32, SecretString};
use crate::state::UnlockedVault;

pub(crate) const HEADER_FILE: &str = "vault.idp";
/// Largest header file read (the format's own maximum is about 3 KiB).
const MAX_HEADER_FILE: u64 = 64 * 1024;

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What anyone may know about a vault: nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultInfo {
    pub vault_id: VaultId,
    pub name: String,
    pub created_ms: i64,
    pub kdf: KdfParams,
    pub key_fingerprint: KeyFingerprint,
    pub key_created_ms: i64,
    pub retired_keys: Vec<RetiredKey>,
}

/// A vault whose header has been read and checked; unlock it with both secrets.
#[derive(Debug, Clone)]
pub struct LockedVault {
    pub(crate) dir: PathBuf,
    pub(crate) header: Header,
}

impl LockedVault {
    /// Creates a vault in `dir` (which must not hold one) and returns it
    /// unlocked with its new client key. Durable when it returns.
    pub fn create(
        dir: &Path,
        name: &str,
        password: &SecretString,
        params: KdfParams,
        device: &Device,
    ) -> Result<(UnlockedVault, ClientKey)> {
        let header_path = dir.join(HEADER_FILE);
        if header_path.exists() {
            return Err(VaultError::AlreadyExists {
                path: dir.to_path_buf(),
            });
        }
        prepare_new(dir, name, &params)?;
        let (header, vault_key, key) = fresh_header(name, password, params)?;
        write_atomic(&header_path, &header.encode())?;
        let locked = LockedVault {
            dir: dir.to_path_buf(),
            header,
        };
        let unlocked = UnlockedVault::open(locked, vault_key, key.clone(), device.clone())?;
        Ok((unlocked, key))
    }

    /// Reads and checks the header of the vault in `dir`.
    pub fn open(dir: &Path) -> Result<LockedVault> {
        let header = read_header(dir)?;
        Ok(LockedVault {
            dir: dir.to_path_buf(),
            header,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn info(&self) -> VaultInfo {
        let h = &self.header;
        VaultInfo {
            vault_id: h.vault_id,
            name: h.name.clone(),
            created_ms: h.created_ms,
            kdf: h.kdf,
            key_fingerprint: h.key_fp,
            key_created_ms: h.key_created_ms,
            retired_keys: h.retired.clone(),
        }
    }

    /// Whether `key` is this vault's current key, an older one, or another
    /// vault's, without the password.
    pub fn check_key(&self, key: &ClientKey) -> KeyMatch {
        self.header.match_key(key)
    }

    /// Opens the vault with both secrets. A key that is not this vault's is
    /// refused before the (slow) password derivation runs.
    pub fn unlock(
        &self,
        password: &SecretString,
        key: &ClientKey,
        device: &Device,
    ) -> Result<UnlockedVault> {
        let vault_key = self.unwrap_vault_key(password, key)?;
        UnlockedVault::open(self.clone(), vault_key, key.clone(), device.clone())
    }

    pub(crate) fn unwrap_vault_key(
        &self,
        password: &SecretString,
        key: &ClientKey,
    ) -> Result<Key32> {
        match self.header.match_key(key) {
            KeyMatch::Current => {}
            KeyMatch::Stale { retired_ms } => return Err(VaultError::StaleKey { retired_ms }),
            KeyMatch::Foreign => return Err(VaultError::ForeignKey),
        }
        let h = &self.header;
        let kek = header::derive_kek(password, key, &h.vault_id, &h.kdf, &h.salt)?;
        h.unwrap(&kek).map_err(|_| VaultError::WrongPassword)
    }

    /// Rewrites the header with a new password and/or client key, keeping
    /// the vault key. Used by password change and key rotation.
    pub(crate) fn rewrap(
        &mut self,
        vault_key: &Key32,
        password: &SecretString,
        key: &ClientKey,
        params: KdfParams,
    ) -> Result<()> {
        let mut next = self.header.clone();
        let fp = key.fingerprint(&next.vault_id);
        if fp != next.key_fp {
            next.retire_current(now_ms());
            next.key_fp = fp;
            next.key_created_ms = now_ms();
        }
        next.kdf = params;
        getrandom::fill(&mut next.salt)?;
        let kek = header::derive_kek(password, key, &next.vault_id, &params, &next.salt)?;
        next.wrap(vault_key, &kek)?;
        // Check the new header opens before it replaces the old one.
        let kek_check = header::derive_kek(password, key, &next.vault_id, &params, &next.salt)?;
        if next
            .unwrap(&kek_check)
            .map(|k| k.bytes() == vault_key.bytes())
            != Ok(true)
        {
            return Err(VaultError::corrupt(
                &self.dir,
                "the new header did not verify; nothing was changed",
            ));
        }
        write_atomic(&self.dir.join(HEADER_FILE), &next.encode())?;
        self.header = next;
        Ok(())
    }
}

/// Checks the name and KDF cost of a new vault, then makes its folder and
/// its logs folder (owner only); returns the logs folder.
pub(crate) fn prepare_new(dir: &Path, name: &str, params: &KdfParams) -> Result<PathBuf> {
    params.check()?;
    Header::check_name(name)?;
    let logs = log::logs_dir(dir);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&logs)
        .map_err(|e| VaultError::io(dir, e))?;
    Ok(logs)
}

/// A header for a new vault: new vault id, salt, client key and vault key.
pub(crate) fn fresh_header(
    name: &str,
    password: &SecretString,
    params: KdfParams,
) -> Result<(Header, Key32, ClientKey)> {
    let key = ClientKey::generate()?;
    let vault_id = VaultId::random()?;
    let now = now_ms();
    let mut salt = [0u8; header::SALT_LEN];
    getrandom::fill(&mut salt)?;
    let mut header = Header {
        vault_id,
        created_ms: now,
        kdf: params,
        salt,
        key_fp: key.fingerprint(&vault_id),
        key_created_ms: now,
        name: name.to_string(),
        retired: Vec::new(),
        wrap_nonce: [0; 12],
        wrapped: [0; 48],
    };
    let vault_key = Key32::random()?;
    let kek = header::derive_kek(password, &key, &vault_id, &params, &header.salt)?;
    header.wrap(&vault_key, &kek)?;
    Ok((header, vault_key, key))
}

pub(crate) fn read_header(dir: &Path) -> Result<Header> {
    let path = dir.join(HEADER_FILE);
    let meta = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VaultError::NoVault {
                path: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(VaultError::io(&path, e)),
    };
    if meta.len() > MAX_HEADER_FILE {
        return Err(VaultError::corrupt(&path, "header file is far too large"));
    }
    let bytes = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
    Header::parse(&bytes, &path)
}
