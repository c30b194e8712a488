//! The QR payload: what a kit's QR code says, in a versioned text format.
//!
//! ```text
//!   IDPKIT1:<vault id, 32 upper-case hex digits>:<client key, 36 symbols>
//! ```
//!
//! Every character is in the QR alphanumeric set (digits, upper-case letters,
//! `:`), so the 77 characters fit a smaller, sturdier symbol than byte mode
//! would. The password is never in it. The format is frozen: a change makes
//! a new version number, and readers refuse versions they do not know with a
//! message that says to update (see `docs/kit.md`).

use idp_vault::{ClientKey, VaultId};
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::{KitError, RenderError, Unreadable};

/// What every payload starts with, before its version number.
pub const PAYLOAD_MAGIC: &str = "IDPKIT";
/// The payload version this crate writes and reads.
pub const PAYLOAD_VERSION: u32 = 1;
/// Length of a version-1 payload in characters.
pub const PAYLOAD_LEN: usize = 8 + 32 + 1 + 36;
/// Error correction of the kit's QR code: H restores up to 30 % of damaged
/// modules, which is what a phone screenshot or a scanned printout needs; the
/// payload still fits a 45×45 (version 7) symbol.
pub const QR_EC_LEVEL: EcLevel = EcLevel::H;

/// The payload text for a vault and its key. It contains the key: it is
/// wiped when dropped.
pub fn encode_payload(vault_id: &VaultId, key: &ClientKey) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(PAYLOAD_LEN));
    s.push_str(PAYLOAD_MAGIC);
    s.push_str("1:");
    s.push_str(&vault_id.to_hex().to_ascii_uppercase());
    s.push(':');
    s.push_str(key.expose_canonical().expose());
    s
}

/// Reads a payload as decoded from a QR code.
///
/// Strict: the exact version-1 form, upper-case, no surrounding space. Any
/// other QR code (a web address, say) is "not a kit"; a higher version asks
/// for an update; a key whose check symbols fail is reported as damaged.
pub fn parse_payload(bytes: &[u8]) -> Result<(VaultId, ClientKey), KitError> {
    let not_ours = || KitError::Unreadable(Unreadable::ForeignQrCode);
    let rest = bytes
        .strip_prefix(PAYLOAD_MAGIC.as_bytes())
        .ok_or_else(not_ours)?;
    let colon = rest.iter().position(|&b| b == b':').ok_or_else(not_ours)?;
    let version = parse_version(&rest[..colon]).ok_or_else(not_ours)?;
    if version != PAYLOAD_VERSION {
        return Err(if version > PAYLOAD_VERSION {
            KitError::NewerVersion { found: version }
        } else {
            not_ours()
        });
    }
    let body = &rest[colon + 1..];
    if body.len() != 32 + 1 + 36 || body[32] != b':' {
        return Err(not_ours());
    }
    let hex = &body[..32];
    if !hex
        .iter()
        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
    {
        return Err(not_ours());
    }
    let vault_id: VaultId = std::str::from_utf8(hex)
        .ok()
        .and_then(|h| h.parse().ok())
        .ok_or_else(not_ours)?;
    let key_text = std::str::from_utf8(&body[33..]).map_err(|_| not_ours())?;
    let key = ClientKey::parse(key_text).map_err(|source| KitError::DamagedKey { source })?;
    // The lenient parser also takes look-alikes and lower case; a payload is
    // machine-written, so anything but the canonical form was altered.
    if key.expose_canonical().expose() != key_text {
        return Err(not_ours());
    }
    Ok((vault_id, key))
}

fn parse_version(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The modules of a kit's QR code, row by row, without the quiet zone:
/// `true` is dark. For drawing the same code elsewhere (a terminal, say).
#[derive(Clone, PartialEq, Eq)]
pub struct QrModules {
    width: usize,
    dark: Vec<bool>,
}

impl QrModules {
    /// The QR code of the payload for this vault and key, at [`QR_EC_LEVEL`].
    pub fn new(vault_id: &VaultId, key: &ClientKey) -> Result<Self, RenderError> {
        let payload = encode_payload(vault_id, key);
        let code = QrCode::with_error_correction_level(payload.as_bytes(), QR_EC_LEVEL)
            .map_err(|e| RenderError::Qr(e.to_string()))?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            dark,
        })
    }

    /// Modules per side.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code
    /// (the quiet zone) is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }
}

impl std::fmt::Debug for QrModules {
    // The modules encode the key: show only the size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QrModules({0}x{0})", self.width)
    }
}

impl Drop for QrModules {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.dark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frozen test vector of payload version 1: it must never change, or
    /// kits already printed would stop being read. Also in `docs/kit.md`.
    pub(crate) const VECTOR_VAULT: &str = "00112233445566778899aabbccddeeff";
    pub(crate) const VECTOR_KEY: &str = "1ABCDEFGHJKMNPQRSTVWXYZ0123456789ASJ";
    pub(crate) const VECTOR_PAYLOAD: &str =
        "IDPKIT1:00112233445566778899AABBCCDDEEFF:1ABCDEFGHJKMNPQRSTVWXYZ0123456789ASJ";

    fn vector() -> (VaultId, ClientKey) {
        (
            VECTOR_VAULT.parse().expect("vault id"),
            ClientKey::parse(VECTOR_KEY).expect("valid vector key"),
        )
    }

    #[test]
    fn frozen_vector_encodes_and_parses() {
        let (vault, key) = vector();
        assert_eq!(&*encode_payload(&vault, &key), VECTOR_PAYLOAD);
        let (v2, k2) = parse_payload(VECTOR_PAYLOAD.as_bytes()).expect("parses");
        assert_eq!(v2, vault);
        assert!(k2 == key);
        assert_eq!(VECTOR_PAYLOAD.len(), PAYLOAD_LEN);
    }

    #[test]
    fn payload_uses_only_qr_alphanumeric_characters() {
        let alnum = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        for _ in 0..50 {
            let key = ClientKey::generate().expect("rng");
            let vault = VaultId::random().expect("rng");
            assert!(
                encode_payload(&vault, &key)
                    .bytes()
                    .all(|b| alnum.contains(&b))
            );
        }
    }

    #[test]
    fn qr_is_version_7_or_smaller_at_level_h() {
        let (vault, key) = vector();
        let qr = QrModules::new(&vault, &key).expect("qr");
        assert!(qr.width() <= 45, "width {}", qr.width());
        assert!(!qr.is_dark(qr.width(), 0));
    }

    #[test]
    fn newer_versions_ask_for_an_update() {
        let newer = VECTOR_PAYLOAD.replacen("IDPKIT1:", "IDPKIT2:", 1);
        assert!(matches!(
            parse_payload(newer.as_bytes()),
            Err(KitError::NewerVersion { found: 2 })
        ));
    }

    #[test]
    fn damaged_or_foreign_payloads_are_refused() {
        let foreign = [
            "https://example.com/",
            "",
            "IDPKIT",
            "IDPKIT1",
            "IDPKIT0:00112233445566778899AABBCCDDEEFF:1ABCDEFGHJKMNPQRSTVWXYZ0123456789ASJ",
            "IDPKIT1:00112233445566778899aabbccddeeff:1ABCDEFGHJKMNPQRSTVWXYZ0123456789ASJ",
            "IDPKIT1:00112233445566778899AABBCCDDEEFF:1abcdefghjkmnpqrstvwxyz0123456789asj",
            "IDPKIT1:00112233445566778899AABBCCDDEEFF:1ABCDEFGHJKMNPQRSTVWXYZ0123456789ASJ ",
            "IDPKIT99999999:x",
        ];
        for text in foreign {
            assert!(
                matches!(
                    parse_payload(text.as_bytes()),
                    Err(KitError::Unreadable(Unreadable::ForeignQrCode))
                ),
                "{text:?}"
            );
        }
        let typo = VECTOR_PAYLOAD.replacen("ASJ", "ASK", 1);
        assert!(matches!(
            parse_payload(typo.as_bytes()),
            Err(KitError::DamagedKey { .. })
        ));
    }
}
