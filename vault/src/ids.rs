//! Random 128-bit identifiers for vaults, devices and items.

use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; 16]);

        impl $name {
            /// A new identifier from the operating system's random source.
            pub fn random() -> Result<Self, getrandom::Error> {
                let mut b = [0u8; 16];
                getrandom::fill(&mut b)?;
                Ok(Self(b))
            }

            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// 32 lower-case hex digits.
            pub fn to_hex(&self) -> String {
                let mut s = String::with_capacity(32);
                for b in self.0 {
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 0xf)]));
                }
                s
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, ParseIdError> {
                parse_hex16(s).map(Self)
            }
        }
    };
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A string that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an identifier: expected 32 hex digits")]
pub struct ParseIdError;

fn parse_hex16(s: &str) -> Result<[u8; 16], ParseIdError> {
    let s = s.as_bytes();
    if s.len() != 32 {
        return Err(ParseIdError);
    }
    let mut out = [0u8; 16];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).ok_or(ParseIdError)?;
        let lo = (pair[1] as char).to_digit(16).ok_or(ParseIdError)?;
        out[i] = (hi << 4 | lo) as u8;
    }
    Ok(out)
}

id_type!(
    /// Names a vault. A reset makes a new one, so other devices can tell.
    VaultId
);
id_type!(
    /// Names a device; its log file in the vault folder is named after it.
    DeviceId
);
id_type!(
    /// Names an item across all devices.
    ItemId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = ItemId::random().expect("rng");
        assert_eq!(id.to_hex().parse::<ItemId>(), Ok(id));
        assert_eq!("zz".parse::<ItemId>(), Err(ParseIdError));
        assert_eq!("g".repeat(32).parse::<VaultId>(), Err(ParseIdError));
        assert_eq!(
            VaultId::from_bytes([0xab; 16]).to_hex(),
            "abababababababababababababababab"
        );
    }
}
