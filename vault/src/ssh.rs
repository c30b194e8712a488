//! SSH keys held as items: generating, importing, describing and signing.
//!
//! An SSH key item keeps its private key as an unencrypted OpenSSH private
//! key file (`-----BEGIN OPENSSH PRIVATE KEY-----`, the vault's own
//! encryption protects it) and its public key as an `authorized_keys` line
//! (`ssh-ed25519 AAAA… comment`). The formats themselves are `ssh-key`'s;
//! this module only decides what is accepted: Ed25519, ECDSA on P-256 and
//! P-384, and RSA of at least [`MIN_RSA_BITS`] bits. Anything else (DSA,
//! P-521, security keys, certificates) is refused with a reason.
//!
//! Keys are parsed from the stored text each time they are used, so no
//! parsed copy outlives the call; `ssh-key` wipes its private key types on
//! drop. Errors never quote key material.

use ssh_key::private::{KeypairData, RsaKeypair};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, LineEnding, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::secret::SecretString;

#[path = "ssh_pem.rs"]
mod pem;

/// The smallest RSA modulus accepted, as OpenSSH's own lower bound for new
/// keys and signatures.
pub const MIN_RSA_BITS: u32 = 2048;

/// The RSA size `generate` makes, as `ssh-keygen`'s default.
pub const GENERATED_RSA_BITS: usize = 3072;

/// `SSH_AGENT_RSA_SHA2_256`: sign with `rsa-sha2-256`.
pub const FLAG_RSA_SHA2_256: u32 = 0x02;
/// `SSH_AGENT_RSA_SHA2_512`: sign with `rsa-sha2-512`.
pub const FLAG_RSA_SHA2_512: u32 = 0x04;

/// What kind of key `generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshKeyType {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    Rsa,
}

/// Why a key was not accepted or could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SshError {
    #[error(
        "this is not a private key file idp reads (OpenSSH's `BEGIN OPENSSH PRIVATE KEY`, or \
         PEM: PKCS#8, PKCS#1, SEC1)"
    )]
    NotAKey,
    #[error(
        "PEM files encrypted the old OpenSSL way (Proc-Type: 4,ENCRYPTED) are not read: \
         `ssh-keygen -p -f FILE` rewrites the file in OpenSSH's format"
    )]
    LegacyPem,
    #[error("the key is protected by a passphrase: give its passphrase")]
    NeedsPassphrase,
    #[error("wrong passphrase for the key")]
    WrongPassphrase,
    #[error(
        "{what} keys are not supported: use Ed25519, ECDSA (P-256, P-384) or RSA of 2048 bits or more"
    )]
    Unsupported { what: String },
    #[error("the RSA key has {bits} bits; at least {MIN_RSA_BITS} are needed")]
    WeakRsa { bits: u32 },
    #[error("the stored key is damaged")]
    Damaged,
    #[error(
        "the signature scheme asked for does not fit this key (plain `ssh-rsa` SHA-1 signatures are refused)"
    )]
    BadFlags,
    #[error("signing failed")]
    SignFailed,
    #[error("the system's random source failed")]
    Random,
}

/// What lists show of a key, all of it public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublic {
    /// The `authorized_keys` line: algorithm, base64 key, comment.
    pub line: String,
    /// The SSH wire encoding of the public key (what the agent protocol
    /// names keys by).
    pub blob: Vec<u8>,
    /// `ED25519`, `ECDSA` or `RSA`, as `ssh-keygen -l` shows it.
    pub key_type: &'static str,
    pub bits: u32,
    /// `SHA256:` and unpadded base64, as `ssh-keygen -l` and `ssh-add -l`.
    pub fingerprint: String,
    pub comment: String,
}

/// A key ready to be stored: the private key file and the public line.
#[derive(Debug)]
pub struct NewSshKey {
    pub private: SecretString,
    pub public: SshPublic,
}

impl NewSshKey {
    /// A new SSH key item named `name` holding this key.
    pub fn into_item(self, name: &str) -> crate::item::Item {
        let mut item = crate::item::Item::new(crate::item::ItemKind::SshKey, name);
        item.ssh_public = Some(self.public.line);
        item.ssh_private = Some(self.private);
        item
    }
}

fn check_supported(key: &KeyData) -> Result<(), SshError> {
    match key {
        KeyData::Ed25519(_) => Ok(()),
        KeyData::Ecdsa(k) => match k.curve() {
            EcdsaCurve::NistP256 | EcdsaCurve::NistP384 => Ok(()),
            other => Err(SshError::Unsupported {
                what: format!("ECDSA {}", other.as_str()),
            }),
        },
        KeyData::Rsa(k) => match k.key_size() {
            bits if bits >= MIN_RSA_BITS => Ok(()),
            bits => Err(SshError::WeakRsa { bits }),
        },
        other => Err(SshError::Unsupported {
            what: other.algorithm().as_str().to_string(),
        }),
    }
}

/// Describes a public key (already checked to be supported).
fn describe(key: &PublicKey) -> Result<SshPublic, SshError> {
    let data = key.key_data();
    let (key_type, bits) = match data {
        KeyData::Ed25519(_) => ("ED25519", 256),
        KeyData::Ecdsa(k) => match k.curve() {
            EcdsaCurve::NistP256 => ("ECDSA", 256),
            EcdsaCurve::NistP384 => ("ECDSA", 384),
            EcdsaCurve::NistP521 => ("ECDSA", 521),
        },
        KeyData::Rsa(k) => ("RSA", k.key_size()),
        _ => ("?", 0),
    };
    Ok(SshPublic {
        line: key.to_openssh().map_err(|_| SshError::Damaged)?,
        blob: key.to_bytes().map_err(|_| SshError::Damaged)?,
        key_type,
        bits,
        fingerprint: data.fingerprint(HashAlg::Sha256).to_string(),
        comment: key.comment().as_str_lossy().to_string(),
    })
}

/// Reads an `authorized_keys` line as stored in an item.
pub fn public_info(line: &str) -> Result<SshPublic, SshError> {
    let key = PublicKey::from_openssh(line).map_err(|_| SshError::Damaged)?;
    describe(&key)
}

fn store(key: &PrivateKey) -> Result<NewSshKey, SshError> {
    check_supported(key.public_key().key_data())?;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|_| SshError::Damaged)?;
    Ok(NewSshKey {
        private: SecretString::from_str_exact(&text),
        public: describe(key.public_key())?,
    })
}

/// A new key of `ty`, with `comment`.
pub fn generate(ty: SshKeyType, comment: &str) -> Result<NewSshKey, SshError> {
    use ssh_key::getrandom::SysRng;
    use ssh_key::rand_core::UnwrapErr;
    // `UnwrapErr` would panic on a failing random source: find out first.
    let mut probe = [0u8; 8];
    getrandom::fill(&mut probe).map_err(|_| SshError::Random)?;
    let mut rng = UnwrapErr(SysRng);
    let mut key = match ty {
        SshKeyType::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519),
        SshKeyType::EcdsaP256 => PrivateKey::random(
            &mut rng,
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            },
        ),
        SshKeyType::EcdsaP384 => PrivateKey::random(
            &mut rng,
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP384,
            },
        ),
        SshKeyType::Rsa => RsaKeypair::random(&mut rng, GENERATED_RSA_BITS)
            .and_then(|k| PrivateKey::new(KeypairData::from(k), "")),
    }
    .map_err(|_| SshError::Random)?;
    key.set_comment(comment);
    store(&key)
}

/// `true` when `file` is a private key protected by a passphrase.
pub fn is_encrypted(file: &[u8]) -> Result<bool, SshError> {
    if pem::is_pem(file) {
        return pem::is_encrypted(file);
    }
    let key = PrivateKey::from_openssh(file).map_err(|_| SshError::NotAKey)?;
    Ok(key.is_encrypted())
}

/// Reads an OpenSSH private key file (or a PEM one: PKCS#8, PKCS#1, SEC1),
/// decrypting it with `passphrase` when it has one; the result is stored
/// unencrypted (inside the vault).
pub fn import(file: &[u8], passphrase: Option<&[u8]>) -> Result<NewSshKey, SshError> {
    if pem::is_pem(file) {
        return store(&pem::import(file, passphrase)?);
    }
    let key = PrivateKey::from_openssh(file).map_err(|_| SshError::NotAKey)?;
    // Refuse unsupported keys before spending a bcrypt KDF on them.
    check_supported(key.public_key().key_data())?;
    if !key.is_encrypted() {
        return store(&key);
    }
    let pass = passphrase.ok_or(SshError::NeedsPassphrase)?;
    let plain = key.decrypt(pass).map_err(|_| SshError::WrongPassphrase)?;
    store(&plain)
}

/// A key that arrived in the SSH agent protocol's wire form (the body of
/// `SSH_AGENTC_ADD_IDENTITY`: key type, key fields, comment).
pub fn from_agent_wire(body: &[u8]) -> Result<(NewSshKey, usize), SshError> {
    use ssh_key::encoding::{Decode, Reader};
    let mut reader = body;
    let data = KeypairData::decode(&mut reader).map_err(|_| SshError::NotAKey)?;
    let comment = String::decode(&mut reader).map_err(|_| SshError::NotAKey)?;
    let used = body.len() - reader.remaining_len();
    let key = PrivateKey::new(data, comment).map_err(|_| SshError::NotAKey)?;
    Ok((store(&key)?, used))
}

/// Signs `data` with the stored private key, as `SSH_AGENTC_SIGN_REQUEST`
/// asks: RSA keys sign with SHA-512 or SHA-256 as `flags` say, and refuse
/// SHA-1; other keys ignore the RSA flags. Returns the SSH signature blob
/// (algorithm name, signature).
pub fn sign(private: &SecretString, data: &[u8], flags: u32) -> Result<Vec<u8>, SshError> {
    use signature::Signer;
    use ssh_key::encoding::Encode;
    let key = PrivateKey::from_openssh(private.expose()).map_err(|_| SshError::Damaged)?;
    let sig = match key.key_data() {
        KeypairData::Rsa(rsa) => {
            let hash = if flags & FLAG_RSA_SHA2_512 != 0 {
                HashAlg::Sha512
            } else if flags & FLAG_RSA_SHA2_256 != 0 {
                HashAlg::Sha256
            } else {
                return Err(SshError::BadFlags);
            };
            (rsa, Some(hash))
                .try_sign(data)
                .map_err(|_| SshError::SignFailed)?
        }
        other => other.try_sign(data).map_err(|_| SshError::SignFailed)?,
    };
    let mut out = Zeroizing::new(Vec::new());
    sig.encode(&mut *out).map_err(|_| SshError::SignFailed)?;
    Ok(out.to_vec())
}

/// Checks a `session-bind@openssh.com` message: `signature` must be the
/// host key's signature over `session_id`, as OpenSSH's agent checks.
/// Returns the host key's fingerprint.
pub fn verify_session_bind(
    host_key: &[u8],
    session_id: &[u8],
    signature: &[u8],
) -> Result<String, SshError> {
    use signature::Verifier;
    use ssh_key::encoding::Decode;
    let key = PublicKey::from_bytes(host_key).map_err(|_| SshError::NotAKey)?;
    let mut reader = signature;
    let sig = ssh_key::Signature::decode(&mut reader).map_err(|_| SshError::SignFailed)?;
    key.key_data()
        .verify(session_id, &sig)
        .map_err(|_| SshError::SignFailed)?;
    Ok(key.fingerprint(HashAlg::Sha256).to_string())
}

/// The public key of a stored private key, as an `authorized_keys` line.
pub fn public_of(private: &SecretString) -> Result<SshPublic, SshError> {
    let key = PrivateKey::from_openssh(private.expose()).map_err(|_| SshError::Damaged)?;
    describe(key.public_key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::encoding::Decode;

    fn verify(public: &SshPublic, data: &[u8], blob: &[u8]) -> String {
        use signature::Verifier;
        let key = PublicKey::from_bytes(&public.blob).expect("public");
        let mut r = blob;
        let sig = ssh_key::Signature::decode(&mut r).expect("signature");
        key.key_data().verify(data, &sig).expect("verifies");
        sig.algorithm().as_str().to_string()
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for (ty, alg, kind, bits) in [
            (SshKeyType::Ed25519, "ssh-ed25519", "ED25519", 256),
            (SshKeyType::EcdsaP256, "ecdsa-sha2-nistp256", "ECDSA", 256),
            (SshKeyType::EcdsaP384, "ecdsa-sha2-nistp384", "ECDSA", 384),
        ] {
            let key = generate(ty, "me@test").expect("generate");
            assert_eq!(key.public.key_type, kind);
            assert_eq!(key.public.bits, bits);
            assert!(key.public.line.starts_with(alg), "{}", key.public.line);
            assert!(key.public.line.ends_with(" me@test"));
            assert!(key.public.fingerprint.starts_with("SHA256:"));
            assert_eq!(public_info(&key.public.line).expect("info"), key.public);
            assert_eq!(public_of(&key.private).expect("public"), key.public);
            let blob = sign(&key.private, b"hello", 0).expect("sign");
            assert_eq!(verify(&key.public, b"hello", &blob), alg);
        }
    }

    #[test]
    fn rsa_signs_with_the_hash_the_flags_ask_for_and_never_sha1() {
        let key = generate(SshKeyType::Rsa, "").expect("generate");
        assert_eq!(key.public.bits, 3072);
        let b = sign(&key.private, b"m", FLAG_RSA_SHA2_256).expect("sign");
        assert_eq!(verify(&key.public, b"m", &b), "rsa-sha2-256");
        let b = sign(&key.private, b"m", FLAG_RSA_SHA2_512).expect("sign");
        assert_eq!(verify(&key.public, b"m", &b), "rsa-sha2-512");
        assert_eq!(sign(&key.private, b"m", 0), Err(SshError::BadFlags));
    }

    #[test]
    fn encrypted_files_need_their_passphrase() {
        let key = generate(SshKeyType::Ed25519, "c").expect("generate");
        let plain = PrivateKey::from_openssh(key.private.expose()).expect("parse");
        let enc = plain
            .encrypt(&mut ssh_key::getrandom::SysRng, b"pass phrase")
            .expect("encrypt");
        let file = enc.to_openssh(LineEnding::LF).expect("encode");
        assert_eq!(is_encrypted(file.as_bytes()), Ok(true));
        assert_eq!(
            import(file.as_bytes(), None).map(|_| ()),
            Err(SshError::NeedsPassphrase)
        );
        assert_eq!(
            import(file.as_bytes(), Some(b"wrong")).map(|_| ()),
            Err(SshError::WrongPassphrase)
        );
        let back = import(file.as_bytes(), Some(b"pass phrase")).expect("import");
        assert_eq!(back.public, key.public);
        assert_eq!(is_encrypted(back.private.expose().as_bytes()), Ok(false));
        assert_eq!(import(b"junk", None).map(|_| ()), Err(SshError::NotAKey));
    }

    #[test]
    fn errors_never_quote_key_material() {
        let key = generate(SshKeyType::Ed25519, "c").expect("generate");
        let cut = &key.private.expose()[..100];
        let e = import(cut.as_bytes(), None)
            .expect_err("refused")
            .to_string();
        assert!(!e.contains(&cut[40..80]), "{e}");
    }
}
