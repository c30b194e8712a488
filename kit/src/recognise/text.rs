//! Finding the key and the vault id in a PDF's extracted text.
//!
//! The kit writes the key as six upper-case groups of six symbols (on two
//! lines, joined by `-`) and the vault id as 32 hex digits. Extractors split
//! and join text differently, so the text is cut into tokens at white space
//! and dashes, and any six consecutive six-symbol tokens are a candidate;
//! the key's check symbols make an accidental match from other words
//! practically impossible (and each candidate must pass them).

use idp_vault::client_key::ALPHABET;
use idp_vault::{ClientKey, ParseKeyError, VaultId};
use zeroize::Zeroizing;

use crate::error::{KitError, Unreadable};

/// Most tokens looked at, so a page of garbage text costs bounded time.
const MAX_TOKENS: usize = 100_000;

/// The key and vault id in `text`: `Ok(None)` when either is missing; an
/// error when two different keys or ids are present, or when a key-shaped
/// string fails its check and no valid key is there.
pub(crate) fn find_in_text(text: &str) -> Result<Option<(VaultId, ClientKey)>, KitError> {
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '-' || c == '\u{2010}' || c == '\u{2011}')
        .filter(|t| !t.is_empty())
        .take(MAX_TOKENS)
        .collect();

    let mut key: Option<ClientKey> = None;
    let mut key_error: Option<ParseKeyError> = None;
    let is_group = |t: &str| t.len() == 6 && t.bytes().all(|b| ALPHABET.contains(&b));
    let mut i = 0;
    while i + 6 <= tokens.len() {
        if !tokens[i..i + 6].iter().all(|t| is_group(t)) {
            i += 1;
            continue;
        }
        let candidate = Zeroizing::new(tokens[i..i + 6].concat());
        match ClientKey::parse(&candidate) {
            Ok(k) => {
                if key.as_ref().is_some_and(|prev| *prev != k) {
                    return Err(Unreadable::Ambiguous.into());
                }
                key = Some(k);
                i += 6;
            }
            Err(e) => {
                key_error.get_or_insert(e);
                i += 1;
            }
        }
    }

    let mut vault: Option<VaultId> = None;
    for t in &tokens {
        if t.len() == 32
            && let Ok(id) = t.parse::<VaultId>()
        {
            if vault.is_some_and(|prev| prev != id) {
                return Err(Unreadable::Ambiguous.into());
            }
            vault = Some(id);
        }
    }

    match (vault, key, key_error) {
        (Some(v), Some(k), _) => Ok(Some((v, k))),
        (_, None, Some(source)) => Err(KitError::DamagedKey { source }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (VaultId, ClientKey) {
        (
            VaultId::random().expect("rng"),
            ClientKey::generate().expect("rng"),
        )
    }

    #[test]
    fn key_split_over_lines_and_id_are_found() {
        let (vault, key) = sample();
        let g = key.expose_grouped().expose().to_owned();
        let (a, b) = g.split_at(20);
        let text = format!(
            "ID Protection emergency kit\nSECRET words KEEP\nYOUR CLIENT KEY\n{a}\n{}\nVault ID\n{}\n",
            &b[1..],
            vault.to_hex()
        );
        let (v, k) = find_in_text(&text).expect("no error").expect("found");
        assert_eq!(v, vault);
        assert!(k == key);
    }

    #[test]
    fn missing_parts_give_none() {
        let (vault, key) = sample();
        assert!(
            find_in_text(key.expose_grouped().expose())
                .expect("ok")
                .is_none()
        );
        assert!(find_in_text(&vault.to_hex()).expect("ok").is_none());
        assert!(find_in_text("").expect("ok").is_none());
    }

    #[test]
    fn two_keys_are_ambiguous() {
        let (vault, key) = sample();
        let other = ClientKey::generate().expect("rng");
        let text = format!(
            "{} {} {}",
            key.expose_grouped().expose(),
            other.expose_grouped().expose(),
            vault.to_hex()
        );
        assert!(matches!(
            find_in_text(&text),
            Err(KitError::Unreadable(Unreadable::Ambiguous))
        ));
        let same_twice = format!("{0} {0} {1}", key.expose_grouped().expose(), vault.to_hex());
        assert!(find_in_text(&same_twice).expect("ok").is_some());
    }

    #[test]
    fn a_key_with_a_typo_is_damaged() {
        let (vault, key) = sample();
        let mut g = key.expose_grouped().expose().as_bytes().to_vec();
        g[3] = if g[3] == b'A' { b'B' } else { b'A' };
        let text = format!(
            "{} {}",
            String::from_utf8(g).expect("ascii"),
            vault.to_hex()
        );
        assert!(matches!(
            find_in_text(&text),
            Err(KitError::DamagedKey { .. })
        ));
    }
}
