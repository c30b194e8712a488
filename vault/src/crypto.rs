//! The only place that calls AEAD and KDF primitives (the "hazmat" layer).
//! Everything else asks this module to seal or open with a named context.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::secret::Key32;

pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;

pub(crate) const INFO_FINGERPRINT: &[u8] = b"idp-vault/v1/key-fingerprint";
pub(crate) const INFO_CLIENT_KEY: &[u8] = b"idp-vault/v1/client-key";
pub(crate) const INFO_HEADER_MAC: &[u8] = b"idp-vault/v2/header-mac";

/// HMAC-SHA256 of `data` under a key derived from `key` for header
/// authentication (HKDF, salted with the vault id).
pub(crate) fn header_mac(vault_id: &[u8], key: &Key32, data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac};
    let mac_key =
        Key32::init_with_mut(|out| hkdf_sha256(vault_id, key.bytes(), INFO_HEADER_MAC, out));
    let mut m = match hmac::Hmac::<Sha256>::new_from_slice(mac_key.bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; 32 bytes cannot fail.
        Err(_) => return [0; 32],
    };
    m.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

/// Compares two byte strings in constant time.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// HKDF-SHA256 extract-and-expand into `out` (at most 8160 bytes).
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    // Only fails for outputs longer than 255 blocks; ours are 32 bytes.
    if hk.expand(info, out).is_err() {
        out.fill(0);
    }
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(data));
    out
}

pub(crate) fn random_nonce() -> Result<[u8; NONCE_LEN], getrandom::Error> {
    let mut n = [0u8; NONCE_LEN];
    getrandom::fill(&mut n)?;
    Ok(n)
}

/// An authentication failure. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

/// AES-256-GCM with its key schedule on the heap (wiped on drop).
pub(crate) struct Cipher(Box<Aes256Gcm>);

impl Cipher {
    pub(crate) fn new(key: &Key32) -> Self {
        Self(Box::new(Aes256Gcm::new(key.bytes().into())))
    }

    /// Returns `ciphertext || tag`.
    pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
        out.extend_from_slice(plaintext);
        let nonce = Nonce::from(*nonce);
        // AES-GCM only refuses messages over 64 GiB; records are capped far below.
        match self
            .0
            .encrypt_inout_detached(&nonce, aad, out.as_mut_slice().into())
        {
            Ok(tag) => out.extend_from_slice(&tag),
            Err(_) => out.clear(),
        }
        out
    }

    /// Opens `ciphertext || tag` into a buffer of exactly the plaintext size.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AeadFailure> {
        let body_len = sealed.len().checked_sub(TAG_LEN).ok_or(AeadFailure)?;
        let (body, tag) = sealed.split_at(body_len);
        let mut out = Zeroizing::new(Vec::with_capacity(body_len));
        out.extend_from_slice(body);
        let mut tag_arr = [0u8; TAG_LEN];
        tag_arr.copy_from_slice(tag);
        let tag = Tag::from(tag_arr);
        let nonce = Nonce::from(*nonce);
        self.0
            .decrypt_inout_detached(&nonce, aad, out.as_mut_slice().into(), &tag)
            .map_err(|_| AeadFailure)?;
        Ok(out)
    }
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    //! Known-answer tests through our own wrappers. These vectors are frozen:
    //! they must never change, or existing vaults stop opening.
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("hex")
    }

    #[test]
    fn hkdf_sha256_rfc5869_case_1() {
        let ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        let mut okm = [0u8; 42];
        hkdf_sha256(&salt, &ikm, &info, &mut okm);
        assert_eq!(
            okm.to_vec(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
    }

    #[test]
    fn aes256gcm_known_answer() {
        // NIST GCM test vector (gcmEncryptExtIV256, Count 0 with AAD and PT).
        let key = Key32::init_with_mut(|k| {
            k.copy_from_slice(&hex(
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            ))
        });
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&hex("cafebabefacedbaddecaf888"));
        let pt = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let c = Cipher::new(&key);
        let sealed = c.seal(&nonce, &aad, &pt);
        assert_eq!(
            sealed,
            hex(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
                 76fc6ece0f4e1768cddf8853bb2d551b"
            )
        );
        assert_eq!(&*c.open(&nonce, &aad, &sealed).expect("opens"), &pt);
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert_eq!(c.open(&nonce, &aad, &bad), Err(AeadFailure));
        assert_eq!(c.open(&nonce, b"other", &sealed), Err(AeadFailure));
        assert_eq!(c.open(&nonce, &aad, &sealed[..10]), Err(AeadFailure));
    }
}
