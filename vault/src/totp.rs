//! Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226).
//!
//! A seed is given either as base32 (spaces, dashes, lower case and missing
//! padding tolerated, as sites print it) or as an `otpauth://totp/...` URI,
//! whose `secret`, `algorithm`, `digits` and `period` parameters are honoured.

use hkdf::hmac::{KeyInit, Mac, SimpleHmac};
use zeroize::Zeroizing;

use crate::{SecretBytes, SecretString};

/// The HMAC hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

/// A TOTP generator. The seed is wiped on drop.
#[derive(Debug, Clone)]
pub struct Totp {
    seed: SecretBytes,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
}

/// Why a TOTP seed was not accepted. Never contains the seed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    #[error("the TOTP secret is not base32 (letters A-Z and digits 2-7)")]
    NotBase32,
    #[error("the TOTP secret is empty")]
    Empty,
    #[error("the otpauth URI is not a TOTP URI or has no secret")]
    BadUri,
    #[error("unsupported TOTP algorithm {0:?}: SHA1, SHA256 and SHA512 are supported")]
    Algorithm(String),
    #[error("a TOTP code has 6 to 10 digits and a period of 1 s or more")]
    Parameters,
}

/// RFC 4648 base32, lenient about case, spaces, dashes and padding.
fn base32_decode(text: &str) -> Result<Zeroizing<Vec<u8>>, TotpError> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            b' ' | b'-' | b'=' => continue,
            _ => return Err(TotpError::NotBase32),
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if out.is_empty() {
        return Err(TotpError::Empty);
    }
    Ok(out)
}

impl Totp {
    /// A generator for a raw seed with explicit parameters.
    pub fn new(
        seed: &[u8],
        algorithm: Algorithm,
        digits: u32,
        period: u64,
    ) -> Result<Self, TotpError> {
        if seed.is_empty() {
            return Err(TotpError::Empty);
        }
        if !(6..=10).contains(&digits) || period == 0 {
            return Err(TotpError::Parameters);
        }
        Ok(Self {
            seed: SecretBytes::from_slice(seed),
            algorithm,
            digits,
            period,
        })
    }

    /// Parses a base32 seed (SHA1, 6 digits, 30 s) or an `otpauth://` URI.
    pub fn parse(text: &str) -> Result<Self, TotpError> {
        let text = text.trim();
        let Some(rest) = strip_prefix_ignore_case(text, "otpauth://") else {
            let seed = base32_decode(text)?;
            return Self::new(&seed, Algorithm::Sha1, 6, 30);
        };
        let rest = strip_prefix_ignore_case(rest, "totp/").ok_or(TotpError::BadUri)?;
        let query = rest
            .split_once('?')
            .map(|(_, q)| q)
            .ok_or(TotpError::BadUri)?;
        let (mut seed, mut algorithm, mut digits, mut period) = (None, Algorithm::Sha1, 6, 30);
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k.to_ascii_lowercase().as_str() {
                "secret" => seed = Some(base32_decode(&v.replace("%3D", "="))?),
                "algorithm" => {
                    algorithm = match v.to_ascii_uppercase().as_str() {
                        "SHA1" => Algorithm::Sha1,
                        "SHA256" => Algorithm::Sha256,
                        "SHA512" => Algorithm::Sha512,
                        other => return Err(TotpError::Algorithm(other.to_owned())),
                    }
                }
                "digits" => digits = v.parse().map_err(|_| TotpError::Parameters)?,
                "period" => period = v.parse().map_err(|_| TotpError::Parameters)?,
                _ => {}
            }
        }
        let seed = seed.ok_or(TotpError::BadUri)?;
        Self::new(&seed, algorithm, digits, period)
    }

    /// Seconds per code.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The code for unix time `unix_secs`, zero-padded to its digits.
    pub fn code_at(&self, unix_secs: u64) -> SecretString {
        let counter = (unix_secs / self.period).to_be_bytes();
        let mac = match self.algorithm {
            Algorithm::Sha1 => hmac::<sha1::Sha1>(self.seed.expose(), &counter),
            Algorithm::Sha256 => hmac::<sha2::Sha256>(self.seed.expose(), &counter),
            Algorithm::Sha512 => hmac::<sha2::Sha512>(self.seed.expose(), &counter),
        };
        // Dynamic truncation, RFC 4226 §5.3.
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        let code = u64::from(binary) % 10u64.pow(self.digits);
        let width = self.digits as usize;
        let mut out = String::with_capacity(width);
        let digits = Zeroizing::new(code.to_string());
        for _ in digits.len()..width {
            out.push('0');
        }
        out.push_str(&digits);
        SecretString::new(out)
    }

    /// Seconds the code at `unix_secs` remains valid.
    pub fn remaining_at(&self, unix_secs: u64) -> u64 {
        self.period - unix_secs % self.period
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn hmac<D>(key: &[u8], msg: &[u8]) -> Zeroizing<Vec<u8>>
where
    D: sha2::Digest + hkdf::hmac::digest::common::BlockSizeUser + Clone,
{
    // SimpleHmac accepts any key length, as RFC 2104 requires.
    let mut m = <SimpleHmac<D> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(msg);
    Zeroizing::new(m.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B. These vectors are the standard and must never
    /// change.
    #[test]
    fn rfc6238_vectors() {
        let sha1 = Totp::new(b"12345678901234567890", Algorithm::Sha1, 8, 30).expect("seed");
        let sha256 = Totp::new(
            b"12345678901234567890123456789012",
            Algorithm::Sha256,
            8,
            30,
        )
        .expect("seed");
        let sha512 = Totp::new(
            b"1234567890123456789012345678901234567890123456789012345678901234",
            Algorithm::Sha512,
            8,
            30,
        )
        .expect("seed");
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, a, b, c) in table {
            assert_eq!(sha1.code_at(t).expose(), a, "sha1 at {t}");
            assert_eq!(sha256.code_at(t).expose(), b, "sha256 at {t}");
            assert_eq!(sha512.code_at(t).expose(), c, "sha512 at {t}");
        }
    }

    #[test]
    fn base32_and_uri_give_the_same_codes() {
        // "12345678901234567890" in base32.
        let b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let plain = Totp::parse(b32).expect("base32");
        let spaced = Totp::parse("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").expect("spaced");
        let uri = Totp::parse(&format!(
            "otpauth://totp/Example:alice@example.com?secret={b32}&issuer=Example&digits=8"
        ))
        .expect("uri");
        assert_eq!(plain.code_at(59).expose(), "287082");
        assert_eq!(spaced.code_at(59).expose(), "287082");
        assert_eq!(uri.code_at(59).expose(), "94287082");
        assert_eq!(plain.remaining_at(59), 1);
        assert_eq!(plain.period(), 30);
    }

    #[test]
    fn bad_seeds_are_refused() {
        assert_eq!(Totp::parse("not base32!").err(), Some(TotpError::NotBase32));
        assert_eq!(Totp::parse("").err(), Some(TotpError::Empty));
        assert_eq!(
            Totp::parse("otpauth://hotp/x?secret=GEZD").err(),
            Some(TotpError::BadUri)
        );
        assert!(matches!(
            Totp::parse("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5"),
            Err(TotpError::Algorithm(_))
        ));
        assert_eq!(
            Totp::parse("otpauth://totp/x?secret=GEZDGNBV&digits=4").err(),
            Some(TotpError::Parameters)
        );
    }
}
