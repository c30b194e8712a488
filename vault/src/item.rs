//! Items: logins, secure notes, cards and SSH keys, with the history of their secret
//! fields. The plaintext encoding (a tag-length-value list, so secrets are
//! decoded straight out of the wiped plaintext buffer into buffers of exact
//! size) is in [`codec`].

use std::fmt;

use crate::ids::ItemId;
use crate::secret::{SecretBytes, SecretString};

#[path = "item_codec.rs"]
pub(crate) mod codec;

/// Most previous values kept per item; the oldest go first.
pub const MAX_HISTORY: usize = 50;

/// Longest item name accepted from a person or an import, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

/// Why a name is not accepted for a new or renamed item. Items already
/// stored with such a name (by an older version or another device) still
/// open, and clients show their names escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("an item needs a name")]
    Empty,
    #[error("the name is {len} bytes long; at most {max} are allowed: choose a shorter name", max = MAX_NAME_BYTES)]
    TooLong { len: usize },
    #[error(
        "the name holds a control character ({found}); names cannot hold line breaks, tabs, \
         escape sequences or text-direction overrides: type it without them"
    )]
    Control { found: String },
}

/// Checks a name given to a new or renamed item: not blank, at most
/// [`MAX_NAME_BYTES`], and free of control characters (C0, DEL, C1) and of
/// the invisible text-direction controls (U+061C, U+200E-U+200F,
/// U+202A-U+202E, U+2066-U+2069) and line separators (U+2028-U+2029),
/// which could make one name look like another on a terminal.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong { len: name.len() });
    }
    if let Some(c) = name.chars().find(|&c| is_control(c)) {
        return Err(NameError::Control {
            found: format!("U+{:04X}", c as u32),
        });
    }
    Ok(())
}

pub(crate) fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Login,
    Note,
    Card,
    /// An SSH private key with its public key (see [`crate::ssh`]).
    SshKey,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Login => "login",
            ItemKind::Note => "note",
            ItemKind::Card => "card",
            ItemKind::SshKey => "ssh_key",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field whose old values are kept in the item's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretField {
    Password,
    Totp,
    Notes,
    CardNumber,
    CardCvv,
}

impl SecretField {
    pub const ALL: [SecretField; 5] = [
        SecretField::Password,
        SecretField::Totp,
        SecretField::Notes,
        SecretField::CardNumber,
        SecretField::CardCvv,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretField::Password => "password",
            SecretField::Totp => "totp",
            SecretField::Notes => "notes",
            SecretField::CardNumber => "card_number",
            SecretField::CardCvv => "card_cvv",
        }
    }
}

/// A previous value of a secret field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub field: SecretField,
    pub value: SecretString,
    /// When this value was replaced (unix milliseconds).
    pub replaced_ms: i64,
}

/// One item. Fields that do not apply to its kind stay empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    pub name: String,
    pub tags: Vec<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub urls: Vec<String>,
    pub totp: Option<SecretString>,
    pub notes: Option<SecretString>,
    pub card_holder: Option<String>,
    pub card_number: Option<SecretString>,
    pub card_expiry: Option<String>,
    pub card_cvv: Option<SecretString>,
    /// An SSH key item's private key: an unencrypted OpenSSH private key
    /// file. Never replaced in place, so it has no history.
    pub ssh_private: Option<SecretString>,
    /// An SSH key item's public key, as an `authorized_keys` line.
    pub ssh_public: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// Fields written by a newer version, kept so an edit here loses nothing.
    pub(crate) unknown: Vec<(u8, SecretBytes)>,
}

impl Item {
    /// A new, empty item. Its id is random; its times are set when added.
    pub fn new(kind: ItemKind, name: &str) -> Self {
        // A failing random source would also fail the first write; an all-zero
        // id here is replaced by `UnlockedVault::add`.
        let id = ItemId::random().unwrap_or(ItemId::from_bytes([0; 16]));
        Self::with_id(id, kind, name)
    }

    pub(crate) fn with_id(id: ItemId, kind: ItemKind, name: &str) -> Self {
        Self {
            id,
            kind,
            name: name.to_string(),
            tags: Vec::new(),
            created_ms: 0,
            modified_ms: 0,
            username: None,
            password: None,
            urls: Vec::new(),
            totp: None,
            notes: None,
            card_holder: None,
            card_number: None,
            card_expiry: None,
            card_cvv: None,
            ssh_private: None,
            ssh_public: None,
            history: Vec::new(),
            unknown: Vec::new(),
        }
    }

    pub fn secret(&self, field: SecretField) -> Option<&SecretString> {
        match field {
            SecretField::Password => self.password.as_ref(),
            SecretField::Totp => self.totp.as_ref(),
            SecretField::Notes => self.notes.as_ref(),
            SecretField::CardNumber => self.card_number.as_ref(),
            SecretField::CardCvv => self.card_cvv.as_ref(),
        }
    }

    /// Appends to `self.history` every secret of `old` that this item no
    /// longer holds, and trims the history to [`MAX_HISTORY`].
    pub(crate) fn record_history(&mut self, old: &Item, now_ms: i64) {
        for field in SecretField::ALL {
            if let Some(prev) = old.secret(field)
                && !prev.is_empty()
                && self.secret(field) != Some(prev)
            {
                self.history.push(HistoryEntry {
                    field,
                    value: prev.clone(),
                    replaced_ms: now_ms,
                });
            }
        }
        if self.history.len() > MAX_HISTORY {
            let excess = self.history.len() - MAX_HISTORY;
            self.history.drain(..excess);
        }
    }

    /// Case-insensitive substring match on name, username, URLs and tags.
    pub fn matches(&self, query: &str) -> bool {
        self.matches_needle(&Needle::new(query))
    }

    pub(crate) fn matches_needle(&self, q: &Needle) -> bool {
        q.found_in(&self.name)
            || self.username.as_deref().is_some_and(|u| q.found_in(u))
            || self.urls.iter().any(|u| q.found_in(u))
            || self.tags.iter().any(|t| q.found_in(t))
    }
}

/// A lower-cased query, compared without allocating for ASCII haystacks.
pub(crate) struct Needle {
    lower: String,
    ascii: bool,
}

impl Needle {
    pub(crate) fn new(query: &str) -> Self {
        Self {
            lower: query.to_lowercase(),
            ascii: query.is_ascii(),
        }
    }

    pub(crate) fn found_in(&self, hay: &str) -> bool {
        let n = self.lower.as_bytes();
        if n.is_empty() {
            return true;
        }
        if self.ascii && hay.is_ascii() {
            return hay
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n));
        }
        hay.to_lowercase().contains(&self.lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_for_length_and_control_characters() {
        assert_eq!(check_name("github"), Ok(()));
        assert_eq!(check_name("Bank – 漢字 😀 ، عربي"), Ok(()));
        assert_eq!(check_name(&"n".repeat(MAX_NAME_BYTES)), Ok(()));
        assert_eq!(
            check_name(&"n".repeat(MAX_NAME_BYTES + 1)),
            Err(NameError::TooLong { len: 1025 })
        );
        // 342 three-byte characters are 1,026 bytes: bytes count, not characters.
        assert!(matches!(
            check_name(&"€".repeat(342)),
            Err(NameError::TooLong { .. })
        ));
        assert_eq!(check_name("  "), Err(NameError::Empty));
        for bad in [
            "a\nb",
            "a\rb",
            "a\tb",
            "\x1b[2J",
            "a\x7f",
            "a\u{85}",
            "evil\u{202e}txt",
            "a\u{2066}b",
        ] {
            assert!(
                matches!(check_name(bad), Err(NameError::Control { .. })),
                "{bad:?}"
            );
        }
        let e = check_name("x\x1by").expect_err("refused").to_string();
        assert!(e.contains("U+001B") && !e.contains('\x1b'), "{e}");
    }
}
