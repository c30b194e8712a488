//! Password key derivation: Unicode NFKD, then Argon2id.
//!
//! Parameters are bounded both ways: a vault is never created below
//! [`KdfParams::FLOOR`], and parameters read from a file above
//! [`KdfParams::CAP`] are refused before any work is done, so a hostile
//! header cannot make the agent allocate gigabytes or spin for minutes.

use std::fmt;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::secret::{Key32, SecretString};

/// Argon2id cost parameters, as stored in a vault header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes (and threads).
    pub parallelism: u32,
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Argon2id m={} MiB, t={}, p={}",
            self.memory_kib / 1024,
            self.iterations,
            self.parallelism
        )
    }
}

impl KdfParams {
    /// The default for new vaults: 256 MiB, 3 passes, 4 lanes. About half a
    /// second on a two-core machine (see `cargo bench -p idp-vault -- kdf`).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 256 * 1024,
        iterations: 3,
        parallelism: 4,
    };

    /// The weakest parameters a vault may be created with (OWASP's minimum
    /// for Argon2id: 19 MiB, 2 passes, 1 lane).
    pub const FLOOR: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The most a vault file may ask for; anything above is refused unrun.
    pub const CAP: KdfParams = KdfParams {
        memory_kib: 1024 * 1024,
        iterations: 10,
        parallelism: 16,
    };

    /// Parameters for a new vault: at or above the floor, at or below the cap.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self> {
        let p = Self {
            memory_kib,
            iterations,
            parallelism,
        };
        p.check()?;
        Ok(p)
    }

    /// At or above the floor, and at or below the cap.
    pub(crate) fn check(&self) -> Result<()> {
        self.check_floor()?;
        self.check_cap()
    }

    pub(crate) fn check_floor(&self) -> Result<()> {
        let f = Self::FLOOR;
        if self.memory_kib < f.memory_kib
            || self.iterations < f.iterations
            || self.parallelism < f.parallelism
        {
            return Err(VaultError::WeakKdf {
                params: *self,
                min: f,
            });
        }
        Ok(())
    }

    /// Checked on every header read, before the KDF runs.
    pub(crate) fn check_cap(&self) -> Result<()> {
        let c = Self::CAP;
        // Argon2 needs at least 8 KiB per lane; anything below is malformed.
        if self.memory_kib > c.memory_kib
            || self.iterations > c.iterations
            || self.parallelism > c.parallelism
            || self.iterations == 0
            || self.parallelism == 0
            || self.memory_kib < 8 * self.parallelism
        {
            return Err(VaultError::KdfOutOfBounds {
                params: *self,
                max: c,
            });
        }
        Ok(())
    }
}

/// NFKD-normalises `password` into a buffer that is wiped afterwards.
/// Grows by allocating a fresh buffer and wiping the old one, so no
/// reallocation leaves an unwiped copy.
fn nfkd(password: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(password.len() + 16));
    for c in password.nfkd() {
        if out.len() + c.len_utf8() > out.capacity() {
            let mut bigger = Zeroizing::new(String::with_capacity(out.capacity() * 2 + 8));
            bigger.push_str(&out);
            out = bigger;
        }
        out.push(c);
    }
    out
}

/// Argon2id(NFKD(password), salt) → 32 bytes. Argon2's working memory is
/// allocated here and wiped before it is freed.
pub(crate) fn derive_password_key(
    password: &SecretString,
    salt: &[u8],
    params: &KdfParams,
) -> Result<Key32> {
    params.check_cap()?;
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|_| VaultError::KdfOutOfBounds {
        params: *params,
        max: KdfParams::CAP,
    })?;
    let blocks_len = argon_params.block_count();
    let mut blocks: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    blocks
        .try_reserve_exact(blocks_len)
        .map_err(|_| VaultError::KdfMemory { params: *params })?;
    blocks.resize(blocks_len, Block::new());

    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let normalised = nfkd(password.expose());
    let mut failed = false;
    let key = Key32::init_with_mut(|out| {
        failed = argon
            .hash_password_into_with_memory(normalised.as_bytes(), salt, out, blocks.as_mut_slice())
            .is_err();
    });
    if failed {
        return Err(VaultError::KdfOutOfBounds {
            params: *params,
            max: KdfParams::CAP,
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(KdfParams::new(19 * 1024, 2, 1).is_ok());
        assert!(matches!(
            KdfParams::new(8 * 1024, 2, 1),
            Err(VaultError::WeakKdf { .. })
        ));
        assert!(matches!(
            KdfParams::new(2 * 1024 * 1024, 3, 4),
            Err(VaultError::KdfOutOfBounds { .. })
        ));
        assert!(KdfParams::DEFAULT.check_floor().is_ok());
        assert!(KdfParams::DEFAULT.check_cap().is_ok());
        let huge = KdfParams {
            memory_kib: u32::MAX,
            iterations: 1,
            parallelism: 1,
        };
        assert!(matches!(
            derive_password_key(&"pw".into(), &[0; 32], &huge),
            Err(VaultError::KdfOutOfBounds { .. })
        ));
    }

    /// Frozen known answer for our wrapper (NFKD + Argon2id v0x13). Must never
    /// change: every vault's password key depends on it.
    #[test]
    fn argon2id_known_answer() {
        let params = KdfParams::new(19 * 1024, 2, 1).expect("params");
        let key = derive_password_key(&"correct horse".into(), b"idp-vault salt 0", &params)
            .expect("kdf");
        assert_eq!(
            hex::encode(key.bytes()),
            "671a6e36edd4f16ef39ad83153d45f251cf6b5b7faf7d32077bd3da0d2ac5a52" // from argon2-cffi (libargon2)
        );
    }

    #[test]
    fn nfkd_makes_equivalent_passwords_equal() {
        let params = KdfParams::FLOOR;
        // "é" precomposed vs "e" + combining acute; "ﬁ" ligature vs "fi".
        let a = derive_password_key(&"caf\u{e9} \u{fb01}".into(), &[7; 16], &params).expect("a");
        let b = derive_password_key(&"cafe\u{301} fi".into(), &[7; 16], &params).expect("b");
        assert_eq!(a.bytes(), b.bytes());
        let c = derive_password_key(&"cafe fi".into(), &[7; 16], &params).expect("c");
        assert_ne!(a.bytes(), c.bytes());
    }

    #[test]
    fn nfkd_growth_keeps_content() {
        let long = "\u{fdfa}".repeat(40); // each expands to 18 code points
        let n = nfkd(&long);
        assert_eq!(n.as_str(), long.nfkd().collect::<String>());
    }
}
