//! Secret-holding types.
//!
//! Every secret in the vault crate lives in one of these: the bytes are wiped
//! when the value is dropped, `Debug` never prints them, and equality is
//! decided in constant time. They are built in place with a capacity known up
//! front, so no reallocation leaves an unwiped copy behind.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// A UTF-8 secret: a password, a TOTP seed, a card number, a note.
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `s`; the caller's buffer is moved, not copied.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// Copies `s` into a buffer of exactly the right size.
    pub fn from_str_exact(s: &str) -> Self {
        let mut out = String::with_capacity(s.len());
        out.push_str(s);
        Self(Zeroizing::new(out))
    }

    /// The secret itself. Keep the borrow short; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::from_str_exact(s)
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

/// Secret bytes with a fixed length known at construction.
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn from_slice(b: &[u8]) -> Self {
        let mut v = Vec::with_capacity(b.len());
        v.extend_from_slice(b);
        Self(Zeroizing::new(v))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretBytes {}

/// A 256-bit key on the heap, wiped on drop, never moved by value.
pub(crate) struct Key32(Box<[u8; 32]>);

impl Key32 {
    /// A zeroed key to be filled in place by `f`.
    pub(crate) fn init_with_mut(f: impl FnOnce(&mut [u8; 32])) -> Self {
        let mut k = Self(Box::new([0u8; 32]));
        f(&mut k.0);
        k
    }

    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut k = Self(Box::new([0u8; 32]));
        getrandom::fill(k.0.as_mut_slice())?;
        Ok(k)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for Key32 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::from("hunter2-correct-horse");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        let b = SecretBytes::from_slice(b"hunter2");
        assert_eq!(format!("{b:?}"), "[REDACTED]");
        let k = Key32::init_with_mut(|k| k.fill(7));
        assert!(!format!("{k:?}").contains('7'));
    }

    #[test]
    fn equality_compares_content() {
        assert_eq!(SecretString::from("abc"), SecretString::from("abc"));
        assert_ne!(SecretString::from("abc"), SecretString::from("abd"));
        assert_ne!(SecretString::from("abc"), SecretString::from("abcd"));
    }
}
