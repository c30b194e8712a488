//! The vault header (`vault.idp`): who the vault is, how to derive its keys,
//! and the wrapped vault key. Written at create, password change and key
//! rotation, always by atomic replace. Byte layout in `docs/format.md`.
//!
//! Version 2 adds key epochs. Every password change or key rotation makes a
//! new vault key (the next epoch) for what is written from then on; the
//! earlier epochs' keys travel wrapped under the newest one, so old records
//! still open, while an older header (with its old password and kit) opens
//! nothing written later. A version 2 header also carries a MAC under the
//! previous epoch's key, so a device that holds that key can authenticate a
//! header that arrives by sync before it adopts anything from it.

use std::path::Path;

use crate::client_key::{ClientKey, KeyFingerprint};
use crate::crypto::{self, AeadFailure, Cipher, NONCE_LEN};
use crate::error::{Result, VaultError};
use crate::ids::VaultId;
use crate::kdf::{self, KdfParams};
use crate::secret::{Key32, SecretString};

pub(crate) const MAGIC: &[u8; 8] = b"IDPVAULT";
/// The version written by this implementation; version 1 is still read.
pub(crate) const VERSION: u16 = 2;
pub(crate) const VERSION_1: u16 = 1;
pub(crate) const SALT_LEN: usize = 32;
const KDF_ARGON2ID: u8 = 1;
const WRAPPED_LEN: usize = 32 + crypto::TAG_LEN;
const MAX_NAME: usize = 255;
/// Retired keys remembered so old kits are recognised as stale.
pub(crate) const MAX_RETIRED: usize = 64;
const AAD_DOMAIN: &[u8] = b"idp-vault/v1/header";
const OLD_KEY_DOMAIN: &[u8] = b"idp-vault/v2/old-key";
/// Earlier epochs' keys a header can carry; a vault re-keys at most this
/// many times.
pub(crate) const MAX_OLD_KEYS: usize = 255;
const OLD_KEY_LEN: usize = 4 + NONCE_LEN + WRAPPED_LEN;

/// An earlier epoch's vault key, wrapped under the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OldKey {
    pub epoch: u32,
    pub nonce: [u8; NONCE_LEN],
    pub wrapped: [u8; WRAPPED_LEN],
}

/// A client key that this vault used before a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetiredKey {
    pub fingerprint: KeyFingerprint,
    pub retired_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// 1 (read only) or 2.
    pub version: u16,
    pub vault_id: VaultId,
    pub created_ms: i64,
    pub kdf: KdfParams,
    pub salt: [u8; SALT_LEN],
    pub key_fp: KeyFingerprint,
    pub key_created_ms: i64,
    pub name: String,
    pub retired: Vec<RetiredKey>,
    /// The key epoch of `wrapped`: 1 for a new vault (and every version 1
    /// header), one more at each password change or key rotation.
    pub epoch: u32,
    /// Earlier epochs' keys, newest first (version 2).
    pub old_keys: Vec<OldKey>,
    pub wrap_nonce: [u8; NONCE_LEN],
    pub wrapped: [u8; WRAPPED_LEN],
    /// MAC under the previous epoch's key of every byte before it; zero at
    /// epoch 1 (version 2).
    pub prev_mac: [u8; 32],
}

/// The key-encryption key: Argon2id(password) XOR HKDF(client key). Either
/// half alone is worthless.
pub(crate) fn derive_kek(
    password: &SecretString,
    key: &ClientKey,
    vault_id: &VaultId,
    kdf: &KdfParams,
    salt: &[u8],
) -> Result<Key32> {
    let pw = kdf::derive_password_key(password, salt, kdf)?;
    let ck = Key32::init_with_mut(|out| {
        key.with_canonical_bytes(|ikm| {
            crypto::hkdf_sha256(vault_id.as_bytes(), ikm, crypto::INFO_CLIENT_KEY, out)
        })
    });
    Ok(Key32::init_with_mut(|out| {
        for ((o, a), b) in out.iter_mut().zip(pw.bytes()).zip(ck.bytes()) {
            *o = a ^ b;
        }
    }))
}

impl Header {
    /// Everything the wrap authenticates: all fields before the nonce.
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(256 + self.retired.len() * 40);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(self.vault_id.as_bytes());
        b.extend_from_slice(&self.created_ms.to_le_bytes());
        b.push(KDF_ARGON2ID);
        b.extend_from_slice(&self.kdf.memory_kib.to_le_bytes());
        b.extend_from_slice(&self.kdf.iterations.to_le_bytes());
        b.extend_from_slice(&self.kdf.parallelism.to_le_bytes());
        b.extend_from_slice(&self.salt);
        b.extend_from_slice(self.key_fp.as_bytes());
        b.extend_from_slice(&self.key_created_ms.to_le_bytes());
        b.push(self.name.len() as u8);
        b.extend_from_slice(self.name.as_bytes());
        b.push(self.retired.len() as u8);
        for r in &self.retired {
            b.extend_from_slice(r.fingerprint.as_bytes());
            b.extend_from_slice(&r.retired_ms.to_le_bytes());
        }
        if self.version >= VERSION {
            b.extend_from_slice(&self.epoch.to_le_bytes());
            b.push(self.old_keys.len() as u8);
            for k in &self.old_keys {
                b.extend_from_slice(&k.epoch.to_le_bytes());
                b.extend_from_slice(&k.nonce);
                b.extend_from_slice(&k.wrapped);
            }
        }
        b
    }

    /// What the previous epoch's MAC covers: every byte before it.
    fn mac_input(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.wrap_nonce);
        b.extend_from_slice(&self.wrapped);
        b
    }

    fn aad(body: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + body.len());
        aad.extend_from_slice(AAD_DOMAIN);
        aad.extend_from_slice(body);
        aad
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = self.mac_input();
        if self.version >= VERSION {
            b.extend_from_slice(&self.prev_mac);
        }
        let sum = crypto::sha256(&b);
        b.extend_from_slice(&sum);
        b
    }

    /// Seals `vault_key` under `kek`, with every other header field as
    /// associated data, so a changed parameter makes the header unopenable.
    pub(crate) fn wrap(&mut self, vault_key: &Key32, kek: &Key32) -> Result<()> {
        self.wrap_nonce = crypto::random_nonce()?;
        let sealed = Cipher::new(kek).seal(
            &self.wrap_nonce,
            &Self::aad(&self.body()),
            vault_key.bytes(),
        );
        if sealed.len() != WRAPPED_LEN {
            return Err(VaultError::corrupt("vault key", "sealing failed"));
        }
        self.wrapped.copy_from_slice(&sealed);
        Ok(())
    }

    pub(crate) fn unwrap(&self, kek: &Key32) -> Result<Key32, AeadFailure> {
        let opened =
            Cipher::new(kek).open(&self.wrap_nonce, &Self::aad(&self.body()), &self.wrapped)?;
        if opened.len() != 32 {
            return Err(AeadFailure);
        }
        Ok(Key32::init_with_mut(|k| k.copy_from_slice(&opened)))
    }

    /// Opens the earlier epochs' keys with the current one.
    pub(crate) fn open_old_keys(&self, current: &Key32) -> Result<Vec<(u32, Key32)>, AeadFailure> {
        let cipher = Cipher::new(current);
        self.old_keys
            .iter()
            .map(|k| {
                let opened = cipher.open(&k.nonce, &self.old_key_aad(k.epoch), &k.wrapped)?;
                if opened.len() != 32 {
                    return Err(AeadFailure);
                }
                Ok((
                    k.epoch,
                    Key32::init_with_mut(|o| o.copy_from_slice(&opened)),
                ))
            })
            .collect()
    }

    fn old_key_aad(&self, epoch: u32) -> Vec<u8> {
        let mut aad = Vec::with_capacity(OLD_KEY_DOMAIN.len() + 20);
        aad.extend_from_slice(OLD_KEY_DOMAIN);
        aad.extend_from_slice(self.vault_id.as_bytes());
        aad.extend_from_slice(&epoch.to_le_bytes());
        aad
    }

    /// Whether this header is authenticated by `key`, the key of the epoch
    /// before it: the proof that a device holding that key made it.
    pub(crate) fn verify_prev_mac(&self, prev: &Key32) -> bool {
        self.version >= VERSION
            && self.epoch > 1
            && crypto::ct_eq(
                &crypto::header_mac(self.vault_id.as_bytes(), prev, &self.mac_input()),
                &self.prev_mac,
            )
    }

    /// The header of the next epoch: `next_key` wrapped under `kek`, every
    /// earlier key (`keys`, the current epoch's among them) wrapped under
    /// `next_key`, and the MAC under the current key. The caller sets the
    /// salt, KDF and fingerprints first (they are all authenticated).
    pub(crate) fn rekey(
        &mut self,
        keys: &[(u32, &Key32)],
        next_key: &Key32,
        kek: &Key32,
    ) -> Result<()> {
        let current = keys
            .iter()
            .find(|(e, _)| *e == self.epoch)
            .map(|(_, k)| *k)
            .ok_or_else(|| VaultError::corrupt("vault key", "the current key is missing"))?;
        if keys.len() > MAX_OLD_KEYS {
            return Err(VaultError::TooManyRekeys { max: MAX_OLD_KEYS });
        }
        self.version = VERSION;
        self.epoch += 1;
        let cipher = Cipher::new(next_key);
        let mut old = Vec::with_capacity(keys.len());
        let mut sorted: Vec<&(u32, &Key32)> = keys.iter().collect();
        sorted.sort_by_key(|k| std::cmp::Reverse(k.0));
        for (epoch, key) in sorted {
            let nonce = crypto::random_nonce()?;
            let sealed = cipher.seal(&nonce, &self.old_key_aad(*epoch), key.bytes());
            let wrapped = sealed
                .as_slice()
                .try_into()
                .map_err(|_| VaultError::corrupt("vault key", "sealing failed"))?;
            old.push(OldKey {
                epoch: *epoch,
                nonce,
                wrapped,
            });
        }
        self.old_keys = old;
        self.wrap(next_key, kek)?;
        self.prev_mac = crypto::header_mac(self.vault_id.as_bytes(), current, &self.mac_input());
        Ok(())
    }

    /// Checks a key against the current and retired fingerprints, without
    /// the password.
    pub(crate) fn match_key(&self, key: &ClientKey) -> KeyMatch {
        let fp = key.fingerprint(&self.vault_id);
        if fp == self.key_fp {
            return KeyMatch::Current;
        }
        match self.retired.iter().find(|r| r.fingerprint == fp) {
            Some(r) => KeyMatch::Stale {
                retired_ms: r.retired_ms,
            },
            None => KeyMatch::Foreign,
        }
    }

    pub(crate) fn retire_current(&mut self, now_ms: i64) {
        self.retired.insert(
            0,
            RetiredKey {
                fingerprint: self.key_fp,
                retired_ms: now_ms,
            },
        );
        self.retired.truncate(MAX_RETIRED);
    }

    pub(crate) fn check_name(name: &str) -> Result<()> {
        if name.len() > MAX_NAME {
            return Err(VaultError::NameTooLong { max: MAX_NAME });
        }
        if let Some(c) = name.chars().find(|&c| crate::item::is_control(c)) {
            return Err(VaultError::NameControl {
                found: format!("U+{:04X}", c as u32),
            });
        }
        Ok(())
    }

    pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        let corrupt = |what: &str| VaultError::corrupt(path, what.to_string());
        if bytes.len() < 10 || &bytes[..8] != MAGIC {
            return Err(corrupt("not an idp-vault header"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != VERSION && version != VERSION_1 {
            return Err(VaultError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: VERSION,
            });
        }
        if bytes.len() < 32 + 10 {
            return Err(corrupt("header is truncated"));
        }
        let (content, sum) = bytes.split_at(bytes.len() - 32);
        if crypto::sha256(content) != sum {
            return Err(corrupt("header checksum does not match"));
        }
        let mut r = Reader { b: content, at: 10 };
        let vault_id = VaultId::from_bytes(r.array().ok_or_else(|| corrupt("short vault id"))?);
        let created_ms = r.i64().ok_or_else(|| corrupt("short creation time"))?;
        if r.u8() != Some(KDF_ARGON2ID) {
            return Err(corrupt("unknown key derivation function"));
        }
        let kdf = KdfParams {
            memory_kib: r.u32().ok_or_else(|| corrupt("short KDF parameters"))?,
            iterations: r.u32().ok_or_else(|| corrupt("short KDF parameters"))?,
            parallelism: r.u32().ok_or_else(|| corrupt("short KDF parameters"))?,
        };
        kdf.check_cap()?;
        let salt = r.array().ok_or_else(|| corrupt("short salt"))?;
        let key_fp =
            KeyFingerprint::from_bytes(r.array().ok_or_else(|| corrupt("short key fingerprint"))?);
        let key_created_ms = r.i64().ok_or_else(|| corrupt("short key time"))?;
        let name_len = usize::from(r.u8().ok_or_else(|| corrupt("short name"))?);
        let name = r
            .take(name_len)
            .and_then(|n| std::str::from_utf8(n).ok())
            .ok_or_else(|| corrupt("bad vault name"))?
            .to_string();
        let n_retired = usize::from(r.u8().ok_or_else(|| corrupt("short retired keys"))?);
        if n_retired > MAX_RETIRED {
            return Err(corrupt("too many retired keys"));
        }
        let mut retired = Vec::with_capacity(n_retired);
        for _ in 0..n_retired {
            retired.push(RetiredKey {
                fingerprint: KeyFingerprint::from_bytes(
                    r.array().ok_or_else(|| corrupt("short retired key"))?,
                ),
                retired_ms: r.i64().ok_or_else(|| corrupt("short retired key"))?,
            });
        }
        let (mut epoch, mut old_keys) = (1, Vec::new());
        if version >= VERSION {
            epoch = r.u32().ok_or_else(|| corrupt("short key epoch"))?;
            let n_old = usize::from(r.u8().ok_or_else(|| corrupt("short earlier keys"))?);
            if epoch == 0 || n_old as u64 != u64::from(epoch) - 1 {
                return Err(corrupt("key epoch and earlier keys disagree"));
            }
            for _ in 0..n_old {
                let k = r
                    .take(OLD_KEY_LEN)
                    .ok_or_else(|| corrupt("short earlier key"))?;
                let mut at = Reader { b: k, at: 0 };
                old_keys.push(OldKey {
                    epoch: at.u32().ok_or_else(|| corrupt("short earlier key"))?,
                    nonce: at.array().ok_or_else(|| corrupt("short earlier key"))?,
                    wrapped: at.array().ok_or_else(|| corrupt("short earlier key"))?,
                });
            }
            let mut epochs: Vec<u32> = old_keys.iter().map(|k| k.epoch).collect();
            epochs.sort_unstable();
            if epochs != (1..epoch).collect::<Vec<u32>>() {
                return Err(corrupt(
                    "earlier keys are not the epochs before the current one",
                ));
            }
        }
        let wrap_nonce = r.array().ok_or_else(|| corrupt("short nonce"))?;
        let wrapped = r.array().ok_or_else(|| corrupt("short wrapped key"))?;
        let prev_mac = if version >= VERSION {
            r.array().ok_or_else(|| corrupt("short header MAC"))?
        } else {
            [0; 32]
        };
        if r.at != content.len() {
            return Err(corrupt("trailing bytes after the wrapped key"));
        }
        Ok(Header {
            version,
            vault_id,
            created_ms,
            kdf,
            salt,
            key_fp,
            key_created_ms,
            name,
            retired,
            epoch,
            old_keys,
            wrap_nonce,
            wrapped,
            prev_mac,
        })
    }
}

/// How a client key relates to a vault, decided without the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatch {
    /// The vault's current key.
    Current,
    /// A key this vault used before it was rotated.
    Stale { retired_ms: i64 },
    /// Not a key of this vault.
    Foreign,
    /// The current key of a newer header found in the folder that this
    /// device has not authenticated yet: an unlock with it (and the
    /// password) verifies it; nothing should trust it before that.
    Unverified,
}

/// A bounds-checked little-endian reader.
pub(crate) struct Reader<'a> {
    pub b: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
    pub(crate) fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }
}
