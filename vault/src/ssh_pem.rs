//! PEM private key files for `idp ssh import`: PKCS#8 (`PRIVATE KEY`, and
//! `ENCRYPTED PRIVATE KEY` with its passphrase), PKCS#1 (`RSA PRIVATE KEY`)
//! and SEC1 (`EC PRIVATE KEY`), as `ssh-keygen -m PKCS8` and `-m PEM` and
//! OpenSSL write them, read with the RustCrypto crates `ssh-key` itself
//! builds on. PEM files encrypted the old OpenSSL way (`Proc-Type:
//! 4,ENCRYPTED`) are refused: no maintained pure-Rust crate reads them, and
//! `ssh-keygen -p -f FILE` rewrites them in OpenSSH's format.

use pkcs8::DecodePrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use ssh_key::PrivateKey;
use ssh_key::private::{EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair};

use super::SshError;

/// The PEM label of `text` (`PRIVATE KEY`, `RSA PRIVATE KEY`, ...).
fn label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let len = text[start..].find("-----")?;
    Some(&text[start..start + len])
}

/// `true` for a PEM private key `ssh-key` does not read itself.
pub(super) fn is_pem(file: &[u8]) -> bool {
    std::str::from_utf8(file)
        .ok()
        .and_then(label)
        .is_some_and(|l| l.ends_with("PRIVATE KEY") && l != "OPENSSH PRIVATE KEY")
}

/// `true` when the PEM file needs a passphrase.
pub(super) fn is_encrypted(file: &[u8]) -> Result<bool, SshError> {
    let text = std::str::from_utf8(file).map_err(|_| SshError::NotAKey)?;
    let l = label(text).ok_or(SshError::NotAKey)?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(legacy());
    }
    Ok(l == "ENCRYPTED PRIVATE KEY")
}

fn legacy() -> SshError {
    SshError::LegacyPem
}

fn from_pkcs8_der(der: &[u8]) -> Result<KeypairData, SshError> {
    if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
        return Ok(Ed25519Keypair::from(&k).into());
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok(p256_pair(k));
    }
    if let Ok(k) = p384::SecretKey::from_pkcs8_der(der) {
        return Ok(p384_pair(k));
    }
    if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
        return rsa_pair(&k);
    }
    Err(SshError::Unsupported {
        what: "this PKCS#8".into(),
    })
}

fn p256_pair(k: p256::SecretKey) -> KeypairData {
    let public = k.public_key();
    EcdsaKeypair::NistP256 {
        public: public.into(),
        private: k.into(),
    }
    .into()
}

fn p384_pair(k: p384::SecretKey) -> KeypairData {
    let public = k.public_key();
    EcdsaKeypair::NistP384 {
        public: public.into(),
        private: k.into(),
    }
    .into()
}

fn rsa_pair(k: &rsa::PrivateKey) -> Result<KeypairData, SshError> {
    RsaKeypair::try_from(k)
        .map(Into::into)
        .map_err(|_| SshError::NotAKey)
}

/// Reads a PEM private key file, decrypting an encrypted PKCS#8 one with
/// `passphrase`.
pub(super) fn import(file: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, SshError> {
    let text = std::str::from_utf8(file).map_err(|_| SshError::NotAKey)?;
    // Refuses the old OpenSSL encryption.
    is_encrypted(file)?;
    let data = match label(text) {
        Some("ENCRYPTED PRIVATE KEY") => {
            let pass = passphrase.ok_or(SshError::NeedsPassphrase)?;
            let (_, doc) = pkcs8::SecretDocument::from_pem(text).map_err(|_| SshError::NotAKey)?;
            let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes())
                .map_err(|_| SshError::NotAKey)?;
            let plain = info.decrypt(pass).map_err(|_| SshError::WrongPassphrase)?;
            from_pkcs8_der(plain.as_bytes())?
        }
        Some("PRIVATE KEY") => {
            let (_, doc) = pkcs8::SecretDocument::from_pem(text).map_err(|_| SshError::NotAKey)?;
            from_pkcs8_der(doc.as_bytes())?
        }
        Some("RSA PRIVATE KEY") => {
            rsa_pair(&rsa::PrivateKey::from_pkcs1_pem(text).map_err(|_| SshError::NotAKey)?)?
        }
        Some("EC PRIVATE KEY") => {
            if let Ok(k) = p256::SecretKey::from_sec1_pem(text) {
                p256_pair(k)
            } else if let Ok(k) = p384::SecretKey::from_sec1_pem(text) {
                p384_pair(k)
            } else {
                return Err(SshError::Unsupported {
                    what: "this EC".into(),
                });
            }
        }
        _ => return Err(SshError::NotAKey),
    };
    PrivateKey::new(data, "").map_err(|_| SshError::NotAKey)
}
