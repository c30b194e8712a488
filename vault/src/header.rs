//! The vault header (`vault.idp`): who the vault is, how to derive its keys,
//! and the wrapped vault key. Written at create, password change and key
//! rotation, always by atomic replace. Byte layout in `docs/format.md`.

use std::path::Path;

use crate::client_key::{ClientKey, KeyFingerprint};
use crate::crypto::{self, AeadFailure, Cipher, NONCE_LEN};
use crate::error::{Result, VaultError};
use crate::ids::VaultId;
use crate::kdf::{self, KdfParams};
use crate::secret::{Key32, SecretString};

pub(crate) const MAGIC: &[u8; 8] = b"IDPVAULT";
pub(crate) const VERSION: u16 = 1;
pub(crate) const SALT_LEN: usize = 32;
const KDF_ARGON2ID: u8 = 1;
const WRAPPED_LEN: usize = 32 + crypto::TAG_LEN;
const MAX_NAME: usize = 255;
/// Retired keys remembered so old kits are recognised as stale.
pub(crate) const MAX_RETIRED: usize = 64;
const AAD_DOMAIN: &[u8] = b"idp-vault/v1/header";

/// A client key that this vault used before a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetiredKey {
    pub fingerprint: KeyFingerprint,
    pub retired_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub vault_id: VaultId,
    pub created_ms: i64,
    pub kdf: KdfParams,
    pub salt: [u8; SALT_LEN],
    pub key_fp: KeyFingerprint,
    pub key_created_ms: i64,
    pub name: String,
    pub retired: Vec<RetiredKey>,
    pub wrap_nonce: [u8; NONCE_LEN],
    pub wrapped: [u8; WRAPPED_LEN],
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
        b.extend_from_slice(&VERSION.to_le_bytes());
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
        b
    }

    fn aad(body: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + body.len());
        aad.extend_from_slice(AAD_DOMAIN);
        aad.extend_from_slice(body);
        aad
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.wrap_nonce);
        b.extend_from_slice(&self.wrapped);
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
        Ok(())
    }

    pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        let corrupt = |what: &str| VaultError::corrupt(path, what.to_string());
        if bytes.len() < 10 || &bytes[..8] != MAGIC {
            return Err(corrupt("not an idp-vault header"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != VERSION {
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
        let wrap_nonce = r.array().ok_or_else(|| corrupt("short nonce"))?;
        let wrapped = r.array().ok_or_else(|| corrupt("short wrapped key"))?;
        if r.at != content.len() {
            return Err(corrupt("trailing bytes after the wrapped key"));
        }
        Ok(Header {
            vault_id,
            created_ms,
            kdf,
            salt,
            key_fp,
            key_created_ms,
            name,
            retired,
            wrap_nonce,
            wrapped,
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
    pub(crate) fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }
}
