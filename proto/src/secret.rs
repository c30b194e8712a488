//! The wire type for secrets.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroizing;

/// A secret inside a request or reply: wiped on drop, `[REDACTED]` in
/// `Debug`, serialised as a plain string.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Copies `s` into a buffer of exactly its size, so no reallocation
    /// leaves a copy behind.
    pub fn new(s: &str) -> Self {
        let mut out = String::with_capacity(s.len());
        out.push_str(s);
        Self(Zeroizing::new(out))
    }

    /// Takes `s` without copying it.
    pub fn from_string(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret itself. Keep the borrow short; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl PartialEq for Secret {
    /// Not constant time: only tests compare wire secrets; the agent compares
    /// through the vault's own types.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes() == other.0.as_bytes()
    }
}

impl Eq for Secret {}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(SecretVisitor)
    }
}

struct SecretVisitor;

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        Ok(Secret::new(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Secret, E> {
        Ok(Secret::from_string(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Secret, E> {
        std::str::from_utf8(v)
            .map(Secret::new)
            .map_err(|_| E::invalid_value(de::Unexpected::Other("bytes that are not UTF-8"), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("hunter2-correct-horse");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        let nested = Some(vec![s]);
        assert!(!format!("{nested:?}").contains("hunter2"));
    }

    #[test]
    fn round_trips_through_messagepack() {
        let s = Secret::new("pässwörd");
        let bytes = rmp_serde::to_vec(&s).expect("encode");
        let back: Secret = rmp_serde::from_slice(&bytes).expect("decode");
        assert_eq!(back.expose(), "pässwörd");
    }
}
