//! Password and passphrase generation.
//!
//! Every symbol or word is drawn uniformly from the operating system's random
//! source (rejection sampling, no modulo bias). Character passwords must
//! contain each class of character; strings that do not are drawn again,
//! which keeps the choice uniform among those that do. Passphrases use the
//! EFF large word list (7,776 words, 12.9 bits each).

use crate::SecretString;

const LOWER: &str = "abcdefghijkmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &str = "23456789";
const SYMBOLS: &str = "!#$%&*+-=?@^_";

/// Shortest and longest character password.
pub const LENGTH_RANGE: std::ops::RangeInclusive<usize> = 8..=128;
/// Fewest and most passphrase words.
pub const WORDS_RANGE: std::ops::RangeInclusive<usize> = 4..=20;

/// Why nothing was generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    #[error("a password has {min} to {max} characters, not {found}")]
    Length {
        found: usize,
        min: usize,
        max: usize,
    },
    #[error("a passphrase has {min} to {max} words, not {found}")]
    Words {
        found: usize,
        min: usize,
        max: usize,
    },
    #[error("the operating system's random source failed: {0}")]
    Random(#[from] getrandom::Error),
}

/// A uniform integer below `bound` (which must be at least 1).
fn below(bound: u32) -> Result<u32, getrandom::Error> {
    // Largest multiple of `bound` that fits: draws at or above it are retried.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b)?;
        let v = u32::from_le_bytes(b);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

/// A password of `length` characters from letters (without look-alikes),
/// digits and symbols, with at least one of each.
pub fn password(length: usize) -> Result<SecretString, GenerateError> {
    if !LENGTH_RANGE.contains(&length) {
        return Err(GenerateError::Length {
            found: length,
            min: *LENGTH_RANGE.start(),
            max: *LENGTH_RANGE.end(),
        });
    }
    let alphabet: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat().into_bytes();
    let bound = u32::try_from(alphabet.len()).unwrap_or(u32::MAX);
    loop {
        let mut out = String::with_capacity(length);
        for _ in 0..length {
            let i = below(bound)? as usize;
            out.push(char::from(alphabet[i]));
        }
        let candidate = SecretString::new(out);
        let has = |set: &str| candidate.expose().chars().any(|c| set.contains(c));
        if has(LOWER) && has(UPPER) && has(DIGITS) && has(SYMBOLS) {
            return Ok(candidate);
        }
    }
}

/// A passphrase of `words` EFF words joined by `-`.
pub fn passphrase(words: usize) -> Result<SecretString, GenerateError> {
    if !WORDS_RANGE.contains(&words) {
        return Err(GenerateError::Words {
            found: words,
            min: *WORDS_RANGE.start(),
            max: *WORDS_RANGE.end(),
        });
    }
    let list = eff_wordlist::large::LIST;
    let bound = u32::try_from(list.len()).unwrap_or(u32::MAX);
    let longest = list.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
    let mut out = String::with_capacity(words * (longest + 1));
    for n in 0..words {
        if n > 0 {
            out.push('-');
        }
        out.push_str(list[below(bound)? as usize].1);
    }
    Ok(SecretString::new(out))
}

/// Bits of entropy of a character password of `length` (before the
/// every-class rule, which removes less than one bit at 8 characters).
pub fn password_bits(length: usize) -> f64 {
    let n = (LOWER.len() + UPPER.len() + DIGITS.len() + SYMBOLS.len()) as f64;
    length as f64 * n.log2()
}

/// Bits of entropy of a passphrase of `words`.
pub fn passphrase_bits(words: usize) -> f64 {
    words as f64 * (eff_wordlist::large::LIST.len() as f64).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_have_the_length_and_every_class() {
        for len in [8, 20, 64, 128] {
            let p = password(len).expect("generate");
            assert_eq!(p.expose().chars().count(), len);
            for set in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(p.expose().chars().any(|c| set.contains(c)));
            }
        }
        assert!(password(7).is_err());
        assert!(password(129).is_err());
    }

    #[test]
    fn passwords_differ() {
        let a = password(20).expect("generate");
        let b = password(20).expect("generate");
        assert_ne!(a, b);
    }

    #[test]
    fn passphrases_are_words_from_the_list() {
        let p = passphrase(6).expect("generate");
        let words: Vec<&str> = p.expose().split('-').collect();
        assert_eq!(words.len(), 6);
        for w in words {
            assert!(
                eff_wordlist::large::LIST.iter().any(|(_, l)| *l == w),
                "{w}"
            );
        }
        assert!(passphrase(3).is_err());
        assert!((passphrase_bits(6) - 77.5).abs() < 0.1);
        assert!(password_bits(20) > 120.0);
    }

    #[test]
    fn below_is_in_range() {
        for bound in [1, 2, 7, 70, 7776] {
            for _ in 0..200 {
                assert!(below(bound).expect("rng") < bound);
            }
        }
    }
}
