//! The client key: the second secret, made on the device that creates a vault.
//!
//! A key is 36 symbols from Crockford's base-32 alphabet (digits and upper
//! case letters without I, L, O and U), shown as six groups of six:
//!
//! ```text
//!   1 version symbol | 33 random symbols (165 bits) | 2 check symbols
//! ```
//!
//! The check symbols make every key a codeword of a linear code over GF(32)
//! with parity-check rows `[1, 1, …, 1]` and `[1, α, α², …, α³⁵]`. A single
//! substituted symbol changes the first syndrome; swapping two different
//! adjacent symbols leaves the first syndrome alone but changes the second by
//! `d·αⁱ·(1 + α) ≠ 0`. So every single substitution and every adjacent
//! transposition is caught, and a mistyped key is reported as a typo rather
//! than as a wrong password.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::crypto;
use crate::ids::VaultId;
use crate::secret::SecretString;

/// Crockford base 32: no I, L, O or U, so nothing reads as another symbol.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a key, without separators.
pub const KEY_LEN: usize = 36;
/// Random symbols in a key (5 bits each: 165 bits).
pub const RANDOM_SYMBOLS: usize = 33;
/// The value of the version symbol written by this version.
pub const KEY_VERSION: u8 = 1;

const GF_POLY: u16 = 0b10_0101; // x^5 + x^2 + 1, primitive over GF(2)

const fn gf_tables() -> ([u8; 62], [u8; 32]) {
    let mut exp = [0u8; 62];
    let mut log = [0u8; 32];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 31 {
        exp[i] = x as u8;
        exp[i + 31] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0b10_0000 != 0 {
            x ^= GF_POLY;
        }
        i += 1;
    }
    (exp, log)
}

const GF: ([u8; 62], [u8; 32]) = gf_tables();

fn gf_mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        return 0;
    }
    GF.0[GF.1[a as usize] as usize + GF.1[b as usize] as usize]
}

fn gf_div(a: u8, b: u8) -> u8 {
    debug_assert!(b != 0);
    if a == 0 {
        return 0;
    }
    GF.0[(GF.1[a as usize] as usize + 31 - GF.1[b as usize] as usize) % 31]
}

fn alpha_pow(i: usize) -> u8 {
    GF.0[i % 31]
}

/// Both syndromes of a 36-symbol word; a valid key has `(0, 0)`.
fn syndromes(symbols: &[u8; KEY_LEN]) -> (u8, u8) {
    let mut s1 = 0u8;
    let mut s2 = 0u8;
    for (i, &v) in symbols.iter().enumerate() {
        s1 ^= v;
        s2 ^= gf_mul(alpha_pow(i), v);
    }
    (s1, s2)
}

/// Sets the last two symbols so that both syndromes are zero.
fn fill_check_symbols(symbols: &mut [u8; KEY_LEN]) {
    symbols[34] = 0;
    symbols[35] = 0;
    let (s1, s2) = syndromes(symbols);
    // c34 + c35 = s1 and α³⁴·c34 + α³⁵·c35 = s2 (characteristic 2: minus is plus).
    let a34 = alpha_pow(34);
    let a35 = alpha_pow(35);
    let c34 = gf_div(s2 ^ gf_mul(a35, s1), a34 ^ a35);
    symbols[34] = c34;
    symbols[35] = s1 ^ c34;
}

fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

/// Why a typed or scanned key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseKeyError {
    #[error(
        "a client key has 36 letters and digits, this has {found}: check that the whole key was copied"
    )]
    WrongLength { found: usize },
    #[error(
        "this is not a client key: it contains a character that no key has (position {position})"
    )]
    NotAClientKey { position: usize },
    #[error("this client key has a typo: compare it symbol by symbol with your emergency kit")]
    Typo,
    #[error(
        "this client key has version {found}, which this idp-vault does not know: update idp-vault"
    )]
    UnsupportedVersion { found: u8 },
}

/// A client key. The symbols live on the heap and are wiped on drop; `Debug`
/// does not show them.
#[derive(Clone)]
pub struct ClientKey(Box<[u8; KEY_LEN]>);

impl ClientKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = Self(Box::new([0u8; KEY_LEN]));
        getrandom::fill(&mut key.0[1..1 + RANDOM_SYMBOLS])?;
        for v in &mut key.0[1..1 + RANDOM_SYMBOLS] {
            *v &= 0x1f; // 32 divides 256, so each symbol stays uniform
        }
        key.0[0] = KEY_VERSION;
        fill_check_symbols(&mut key.0);
        Ok(key)
    }

    /// Reads a key as a person typed or a scanner read it: case, spaces,
    /// dashes and the look-alikes O/0 and I/L/1 do not matter.
    pub fn parse(text: &str) -> Result<Self, ParseKeyError> {
        let mut key = Self(Box::new([0u8; KEY_LEN]));
        let mut n = 0usize;
        let mut bad = None;
        for (position, c) in text.bytes().enumerate() {
            if matches!(c, b' ' | b'-' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            match symbol_value(c) {
                Some(v) if n < KEY_LEN => key.0[n] = v,
                Some(_) => {}
                None => {
                    bad.get_or_insert(position);
                }
            }
            n += 1;
        }
        if n != KEY_LEN {
            return Err(ParseKeyError::WrongLength { found: n });
        }
        if let Some(position) = bad {
            return Err(ParseKeyError::NotAClientKey { position });
        }
        if syndromes(&key.0) != (0, 0) {
            return Err(ParseKeyError::Typo);
        }
        if key.0[0] != KEY_VERSION {
            return Err(ParseKeyError::UnsupportedVersion { found: key.0[0] });
        }
        Ok(key)
    }

    /// The 36 symbols in canonical form, without separators. This is the
    /// secret itself: show it only where the person asked to see it.
    pub fn expose_canonical(&self) -> SecretString {
        let mut s = String::with_capacity(KEY_LEN);
        s.extend(self.0.iter().map(|&v| ALPHABET[v as usize] as char));
        SecretString::new(s)
    }

    /// The key as shown to a person: six groups of six joined by `-`.
    pub fn expose_grouped(&self) -> SecretString {
        let mut s = String::with_capacity(KEY_LEN + 5);
        for (i, &v) in self.0.iter().enumerate() {
            if i > 0 && i % 6 == 0 {
                s.push('-');
            }
            s.push(ALPHABET[v as usize] as char);
        }
        SecretString::new(s)
    }

    /// Runs `f` on the canonical ASCII bytes in a buffer wiped afterwards.
    pub(crate) fn with_canonical_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        let mut buf = [0u8; KEY_LEN];
        for (b, &v) in buf.iter_mut().zip(self.0.iter()) {
            *b = ALPHABET[v as usize];
        }
        let out = f(&buf);
        buf.zeroize();
        out
    }

    /// The non-secret fingerprint stored in a vault's header, so a key (or
    /// an emergency kit) can be matched to its vault without the password.
    pub fn fingerprint(&self, vault: &VaultId) -> KeyFingerprint {
        let mut fp = [0u8; 32];
        self.with_canonical_bytes(|ikm| {
            crypto::hkdf_sha256(vault.as_bytes(), ikm, crypto::INFO_FINGERPRINT, &mut fp)
        });
        KeyFingerprint(fp)
    }
}

impl Drop for ClientKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey([REDACTED])")
    }
}

impl PartialEq for ClientKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for ClientKey {}

/// HKDF-SHA256 of a client key salted with the vault id: not reversible,
/// and not guessable because the key has 165 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyFingerprint(pub(crate) [u8; 32]);

impl KeyFingerprint {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 10 bytes as 16 base-32 symbols in four groups, for a kit's
    /// check line and for `idp vault info`.
    pub fn short(&self) -> String {
        let mut bits: u128 = 0;
        for &b in &self.0[..10] {
            bits = (bits << 8) | u128::from(b);
        }
        let mut s = String::with_capacity(19);
        for i in 0..16 {
            if i > 0 && i % 4 == 0 {
                s.push('-');
            }
            let v = (bits >> (75 - 5 * i)) & 0x1f;
            s.push(ALPHABET[v as usize] as char);
        }
        s
    }
}

impl fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFingerprint({})", self.short())
    }
}

#[cfg(test)]
#[path = "client_key_tests.rs"]
mod tests;
