//! SSH keys kept as KeePass attachments, as KeeAgent and KeePassXC's SSH
//! agent keep them: the key file is an attachment of the entry and the
//! entry's password is the key's passphrase.
//!
//! An attachment's bytes are in the XML itself, inline or (as KeePass and
//! KeePassXC write exports) in the pool under `<Meta><Binaries>`, base64 and
//! possibly gzip-compressed. Only attachments small enough to be a key are
//! decoded, and decompression stops at that size, so a hostile export cannot
//! make the import allocate more than it holds.

use std::io::Read;

use base64::Engine;
use roxmltree::Node;
use zeroize::Zeroizing;

use crate::ssh::{self, SshError};

/// No private key file idp reads is larger (an RSA-16384 key in OpenSSH's
/// format is about 12 KiB).
const MAX_KEY_FILE: usize = 64 * 1024;

/// KeeAgent's per-entry settings, an attachment of every entry it serves.
pub(super) const SETTINGS: &str = "KeeAgent.settings";

/// The export's attachment pool, if it has one.
#[derive(Clone, Copy)]
pub(super) struct Pool<'a, 'i>(pub Option<Node<'a, 'i>>);

impl Pool<'_, '_> {
    /// The text and compression of the pool's binary `id`.
    fn find(&self, id: &str) -> Option<(&str, bool)> {
        let binary = self
            .0?
            .children()
            .find(|b| b.has_tag_name("Binary") && b.attribute("ID") == Some(id))?;
        let compressed = binary
            .attribute("Compressed")
            .is_some_and(|c| c.eq_ignore_ascii_case("true"));
        Some((binary.text().unwrap_or(""), compressed))
    }
}

/// The bytes of the attachment `binary` (an entry's `<Binary>`), or `None`
/// when they are missing, not base64, or larger than any key file.
fn bytes(binary: Node<'_, '_>, pool: Pool<'_, '_>) -> Option<Zeroizing<Vec<u8>>> {
    let value = binary.children().find(|c| c.has_tag_name("Value"))?;
    let (text, compressed) = match value.attribute("Ref") {
        Some(id) => pool.find(id)?,
        None => (value.text().unwrap_or(""), false),
    };
    let b64: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<u8>>(),
    );
    // Base64 is 4 bytes for 3; gzip rarely shrinks a key below a third.
    if b64.len() > MAX_KEY_FILE / 3 * 4 + 4 {
        return None;
    }
    let raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(&*b64)
            .ok()?,
    );
    if !compressed {
        return (raw.len() <= MAX_KEY_FILE).then_some(raw);
    }
    let mut out = Zeroizing::new(Vec::new());
    flate2::read::GzDecoder::new(&raw[..])
        .take(MAX_KEY_FILE as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= MAX_KEY_FILE).then_some(out)
}

/// A key read from an attachment.
pub(super) struct Found {
    pub key: ssh::NewSshKey,
    /// The file was protected, by the entry's password.
    pub was_encrypted: bool,
}

/// The SSH key in an attachment, decrypted with `passphrase` (the entry's
/// password) when it has one: `None` when the attachment is not a key.
pub(super) fn key(
    binary: Node<'_, '_>,
    pool: Pool<'_, '_>,
    passphrase: &str,
) -> Option<Result<Found, SshError>> {
    let file = bytes(binary, pool)?;
    let encrypted = match ssh::is_encrypted(&file) {
        Err(SshError::NotAKey) => return None,
        Err(e) => return Some(Err(e)),
        Ok(encrypted) => encrypted,
    };
    let pass = (encrypted && !passphrase.is_empty()).then_some(passphrase.as_bytes());
    Some(ssh::import(&file, pass).map(|key| Found {
        key,
        was_encrypted: encrypted,
    }))
}
