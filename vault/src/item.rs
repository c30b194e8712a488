//! Items: logins, secure notes and cards, with the history of their secret
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Login,
    Note,
    Card,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Login => "login",
            ItemKind::Note => "note",
            ItemKind::Card => "card",
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
