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
use crate::device::Device;
use crate::error::{Result, VaultError};
use crate::fsx::Dir;
use crate::header::{self, Header, KeyMatch, RetiredKey};
use crate::ids::VaultId;
use crate::kdf::KdfParams;
use crate::keys::VaultKeys;
use crate::log;
use crate::secret::{Key32, SecretString};
use crate::state::{UnlockedVault, Warning};

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
    /// The header an unlock uses.
    pub(crate) header: Header,
    /// This device's last authenticated header, when `header` is a newer
    /// one found in the folder that no key has verified yet: until an
    /// unlock verifies it, this one decides which keys are this vault's.
    pub(crate) verified: Option<Header>,
    /// What was found about the header in the folder.
    pub(crate) findings: Vec<Warning>,
}

/// What stands at `vault.idp`.
pub(crate) enum OnDisk {
    Absent,
    Damaged(VaultError),
    Found(Box<Header>),
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
        match read_disk(dir)? {
            OnDisk::Absent => {}
            OnDisk::Damaged(e) => return Err(e),
            OnDisk::Found(_) => {
                return Err(VaultError::AlreadyExists {
                    path: dir.to_path_buf(),
                });
            }
        }
        prepare_new(dir, name, &params)?;
        let (header, vault_key, key) = fresh_header(name, password, params)?;
        write_header(dir, &header)?;
        device.save_verified_header(&header)?;
        let locked = LockedVault::from_header(dir, header);
        let unlocked = UnlockedVault::open(locked, vault_key, key.clone(), device.clone())?;
        Ok((unlocked, key))
    }

    pub(crate) fn from_new_header(dir: &Path, header: Header) -> LockedVault {
        Self::from_header(dir, header)
    }

    fn from_header(dir: &Path, header: Header) -> LockedVault {
        LockedVault {
            dir: dir.to_path_buf(),
            header,
            verified: None,
            findings: Vec::new(),
        }
    }

    /// Reads and checks the header of the vault in `dir`, as found there
    /// (for a device that has never opened this vault).
    pub fn open(dir: &Path) -> Result<LockedVault> {
        match read_disk(dir)? {
            OnDisk::Absent => Err(VaultError::NoVault {
                path: dir.to_path_buf(),
            }),
            OnDisk::Damaged(e) => Err(e),
            OnDisk::Found(h) => Ok(LockedVault::from_header(dir, *h)),
        }
    }

    /// Reads the header of the vault in `dir` and weighs it against the
    /// last header `device` authenticated for it: an older, damaged,
    /// missing or altered header is not used (this device's verified copy
    /// is, and the finding is reported); a newer one is used for the next
    /// unlock, which authenticates it, while the verified copy still
    /// decides which keys belong to the vault.
    pub fn open_for(dir: &Path, device: &Device) -> Result<LockedVault> {
        let disk = read_disk(dir)?;
        let known_id = match &disk {
            OnDisk::Found(h) => Some(h.vault_id),
            _ => device.last_vault_id(),
        };
        let verified = known_id.and_then(|id| device.verified_header(&id));
        let path = dir.join(HEADER_FILE);
        let Some(trusted) = verified else {
            return LockedVault::open(dir);
        };
        let finding = match disk {
            OnDisk::Found(h) if h.vault_id != trusted.vault_id => {
                // A reset elsewhere (or another vault put here): nothing of
                // the old vault applies; the new header is used as found.
                return Ok(LockedVault::from_header(dir, *h));
            }
            OnDisk::Found(h) if h.encode() == trusted.encode() => {
                return Ok(LockedVault::from_header(dir, *h));
            }
            OnDisk::Found(h) if newer(&h, &trusted) => {
                return Ok(LockedVault {
                    dir: dir.to_path_buf(),
                    header: *h,
                    verified: Some(trusted),
                    findings: vec![Warning::HeaderUnverified { path }],
                });
            }
            OnDisk::Found(h) if h.epoch < trusted.epoch => Warning::HeaderRolledBack {
                path,
                found: h.epoch,
                seen: trusted.epoch,
            },
            OnDisk::Found(_) => Warning::HeaderAltered { path },
            OnDisk::Damaged(e) => Warning::HeaderDamaged {
                path,
                detail: e.to_string(),
            },
            // No header and no logs: the vault was deleted or moved away.
            OnDisk::Absent => return LockedVault::open(dir),
        };
        tracing::warn!(finding = ?finding, "the vault header in the folder is not used");
        Ok(LockedVault {
            dir: dir.to_path_buf(),
            header: trusted,
            verified: None,
            findings: vec![finding],
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was found about the folder's header (see [`LockedVault::open_for`]).
    pub fn findings(&self) -> &[Warning] {
        &self.findings
    }

    /// The vault as this device trusts it: its verified header while a
    /// newer one waits to be verified.
    pub fn info(&self) -> VaultInfo {
        info_of(self.verified.as_ref().unwrap_or(&self.header))
    }

    /// Whether `key` is this vault's current key, an older one, or another
    /// vault's, without the password, by the header this device trusts. A
    /// key of a newer header that no unlock has verified yet is
    /// [`KeyMatch::Unverified`].
    pub fn check_key(&self, key: &ClientKey) -> KeyMatch {
        match &self.verified {
            None => self.header.match_key(key),
            Some(v) => match v.match_key(key) {
                KeyMatch::Current => KeyMatch::Current,
                _ if self.header.match_key(key) == KeyMatch::Current => KeyMatch::Unverified,
                other => other,
            },
        }
    }

    /// Whether `key` is current for the header the next unlock uses.
    pub fn check_key_for_unlock(&self, key: &ClientKey) -> KeyMatch {
        self.header.match_key(key)
    }

    /// Opens the vault with both secrets. A key that is not this vault's is
    /// refused before the (slow) password derivation runs. The header used
    /// is then authenticated, and `device` remembers it.
    pub fn unlock(
        &self,
        password: &SecretString,
        key: &ClientKey,
        device: &Device,
    ) -> Result<UnlockedVault> {
        let vault_key = self.unwrap_vault_key(password, key)?;
        device.save_verified_header(&self.header)?;
        let mut opened = self.clone();
        opened.verified = None;
        opened
            .findings
            .retain(|f| !matches!(f, Warning::HeaderUnverified { .. }));
        UnlockedVault::open(opened, vault_key, key.clone(), device.clone())
    }

    pub(crate) fn unwrap_vault_key(
        &self,
        password: &SecretString,
        key: &ClientKey,
    ) -> Result<Key32> {
        match self.header.match_key(key) {
            KeyMatch::Current | KeyMatch::Unverified => {}
            KeyMatch::Stale { retired_ms } => return Err(VaultError::StaleKey { retired_ms }),
            KeyMatch::Foreign => return Err(VaultError::ForeignKey),
        }
        let h = &self.header;
        let kek = header::derive_kek(password, key, &h.vault_id, &h.kdf, &h.salt)?;
        h.unwrap(&kek).map_err(|_| VaultError::WrongPassword)
    }

    /// Replaces the header by the next epoch's: a new vault key for what is
    /// written from now on, wrapped under `password` and `key`, with every
    /// earlier key wrapped under it. Used by password change and key
    /// rotation. Returns the new vault key.
    pub(crate) fn rekey(
        &mut self,
        keys: &VaultKeys,
        password: &SecretString,
        key: &ClientKey,
        params: KdfParams,
        device: &Device,
    ) -> Result<Key32> {
        let mut next = self.header.clone();
        let fp = key.fingerprint(&next.vault_id);
        if fp != next.key_fp {
            next.retire_current(now_ms());
            next.key_fp = fp;
            next.key_created_ms = now_ms();
        }
        next.kdf = params;
        getrandom::fill(&mut next.salt)?;
        let new_key = Key32::random()?;
        let kek = header::derive_kek(password, key, &next.vault_id, &params, &next.salt)?;
        next.rekey(&keys.all(), &new_key, &kek)?;
        // Check the new header opens, and authenticates to the old key,
        // before it replaces the old one.
        let kek_check = header::derive_kek(password, key, &next.vault_id, &params, &next.salt)?;
        let opens = next
            .unwrap(&kek_check)
            .is_ok_and(|k| k.bytes() == new_key.bytes());
        if !opens || !next.verify_prev_mac(keys.current_key()) {
            return Err(VaultError::corrupt(
                &self.dir,
                "the new header did not verify; nothing was changed",
            ));
        }
        write_header(&self.dir, &next)?;
        device.save_verified_header(&next)?;
        self.header = next;
        Ok(new_key)
    }
}

/// Whether `h` comes after `trusted`: a later key epoch, or a version 1
/// header changed by an older idp-vault (which has no epochs).
fn newer(h: &Header, trusted: &Header) -> bool {
    h.epoch > trusted.epoch || (h.version == 1 && trusted.version == 1)
}

fn info_of(h: &Header) -> VaultInfo {
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

/// Checks the name and KDF cost of a new vault, then makes its folder and
/// its logs folder (owner only).
pub(crate) fn prepare_new(dir: &Path, name: &str, params: &KdfParams) -> Result<()> {
    params.check()?;
    Header::check_name(name)?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| VaultError::io(dir, e))?;
    let root = root_dir(dir)?;
    root.sub_or_create(log::LOGS)?;
    Ok(())
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
        version: header::VERSION,
        vault_id,
        created_ms: now,
        kdf: params,
        salt,
        key_fp: key.fingerprint(&vault_id),
        key_created_ms: now,
        name: name.to_string(),
        retired: Vec::new(),
        epoch: 1,
        old_keys: Vec::new(),
        wrap_nonce: [0; 12],
        wrapped: [0; 48],
        prev_mac: [0; 32],
    };
    let vault_key = Key32::random()?;
    let kek = header::derive_kek(password, &key, &vault_id, &params, &header.salt)?;
    header.wrap(&vault_key, &kek)?;
    Ok((header, vault_key, key))
}

/// The vault folder, opened (a link to it is followed).
pub(crate) fn root_dir(dir: &Path) -> Result<Dir> {
    Dir::open_root(dir)?.ok_or_else(|| VaultError::NoVault {
        path: dir.to_path_buf(),
    })
}

pub(crate) fn write_header(dir: &Path, header: &Header) -> Result<()> {
    root_dir(dir)?.write_atomic(HEADER_FILE, &header.encode())
}

/// What stands at `vault.idp` in `dir`. A missing header is only "no
/// vault" when the folder holds no device logs either.
pub(crate) fn read_disk(dir: &Path) -> Result<OnDisk> {
    let Some(root) = Dir::open_root(dir)? else {
        return Ok(OnDisk::Absent);
    };
    let path = root.join(HEADER_FILE);
    let damaged = |detail: String| {
        OnDisk::Damaged(VaultError::HeaderDamaged {
            path: path.clone(),
            detail,
        })
    };
    match root.read(HEADER_FILE, MAX_HEADER_FILE) {
        Ok(Some(c)) => match Header::parse(&c.bytes, &path) {
            Ok(h) => Ok(OnDisk::Found(Box::new(h))),
            Err(
                e @ (VaultError::UnsupportedVersion { .. } | VaultError::KdfOutOfBounds { .. }),
            ) => Ok(OnDisk::Damaged(e)),
            Err(VaultError::Corrupt { detail, .. }) => Ok(damaged(detail)),
            Err(e) => Ok(damaged(e.to_string())),
        },
        Ok(None) if holds_logs(&root) => Ok(damaged(
            "it is missing, while the folder holds device logs; `idp init` here would make a \
             new vault that cannot read them"
                .into(),
        )),
        Ok(None) => Ok(OnDisk::Absent),
        Err(e @ (VaultError::NotPlain { .. } | VaultError::TooLarge { .. })) => {
            Ok(damaged(e.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Whether `logs/` holds anything named like a device log.
fn holds_logs(root: &Dir) -> bool {
    let Ok(Some(logs)) = root.sub(log::LOGS) else {
        return false;
    };
    logs.entries()
        .is_ok_and(|e| e.iter().any(|(n, _)| crate::state::classify(n).is_some()))
}
