//! Moving items in and out: imports from other password managers' exports
//! and plaintext exports.
//!
//! Every import parses the whole file before anything is written: a file
//! that is malformed anywhere is refused as a whole, with the place named;
//! entries, or parts of them, that are well-formed but cannot be
//! represented (an item in the recycle bin, a name too long or holding
//! control characters, a passkey, an attachment, a CSV row whose fields
//! cannot be told apart) are skipped and listed with the reason: nothing is
//! left out without a word. The items then go into the vault
//! in one durable write, so an import is never half done.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::crypto;
use crate::error::Result;
use crate::item::{Item, ItemKind, SecretField, check_name};
use crate::state::UnlockedVault;

mod bitwarden;
mod csv;
mod keeagent;
mod keepass;
mod native;

pub use native::ExportFormat;

/// Largest export file read.
pub const MAX_IMPORT_BYTES: usize = 256 << 20;

/// The formats `idp import --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Bitwarden's unencrypted JSON export.
    BitwardenJson,
    /// A browser's CSV export (Chrome, Edge, Firefox, Safari) or Bitwarden's CSV.
    Csv,
    /// A KeePass 2 or KeePassXC XML export.
    KeepassXml,
    /// idp-vault's own JSON export.
    IdpJson,
}

impl FromStr for ImportFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "bitwarden-json" => Ok(Self::BitwardenJson),
            "csv" => Ok(Self::Csv),
            "keepass-xml" => Ok(Self::KeepassXml),
            "idp-json" | "json" => Ok(Self::IdpJson),
            other => Err(format!(
                "unknown import format {other:?}: use bitwarden-json, csv, keepass-xml or idp-json"
            )),
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BitwardenJson => "bitwarden-json",
            Self::Csv => "csv",
            Self::KeepassXml => "keepass-xml",
            Self::IdpJson => "idp-json",
        })
    }
}

/// Why an export file was refused as a whole. Nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error(
        "the file is not a {format} export ({detail}): check --from and the file; nothing was imported"
    )]
    Malformed {
        format: ImportFormat,
        detail: String,
    },
    #[error(
        "this Bitwarden export is encrypted: export again choosing the unencrypted JSON format; nothing was imported"
    )]
    Encrypted,
    #[error("the file is larger than {max} bytes; nothing was imported", max = MAX_IMPORT_BYTES)]
    TooLarge,
}

impl ImportError {
    pub(crate) fn malformed(format: ImportFormat, detail: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            detail: detail.into(),
        }
    }
}

/// An entry of the file, or a part of one (a passkey, an attachment), that
/// was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where it is: its name, or its line.
    pub entry: String,
    pub reason: String,
}

/// A whole export file, parsed; nothing written yet.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    pub skipped: Vec<Skipped>,
}

/// Parses an export file of `format`.
pub fn parse(format: ImportFormat, bytes: &[u8]) -> std::result::Result<Parsed, ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::malformed(
            format,
            format!("not UTF-8 text near byte {}", e.valid_up_to()),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = match format {
        ImportFormat::BitwardenJson => bitwarden::parse(text)?,
        ImportFormat::Csv => csv::parse(text)?,
        ImportFormat::KeepassXml => keepass::parse(text)?,
        ImportFormat::IdpJson => native::parse(text)?,
    };
    for item in &mut parsed.items {
        item.history.retain(|h| !h.value.is_empty());
    }
    Ok(parsed)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// Names of entries identical to an item already in the vault (or
    /// earlier in the file), which were not added again.
    pub duplicates: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// A digest of what makes two items the same, so duplicates are found
/// without keeping another plaintext copy of any secret.
fn identity(item: &Item) -> [u8; 32] {
    let mut buf = zeroize::Zeroizing::new(Vec::new());
    let mut put = |s: &str| {
        buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
        buf.extend_from_slice(s.as_bytes());
    };
    put(item.kind.as_str());
    put(&item.name);
    put(item.username.as_deref().unwrap_or(""));
    for u in &item.urls {
        put(u);
    }
    for f in SecretField::ALL {
        put(item.secret(f).map_or("", |s| s.expose()));
    }
    put(item.card_holder.as_deref().unwrap_or(""));
    put(item.card_expiry.as_deref().unwrap_or(""));
    // The public key names the private key: two SSH keys differ in it.
    put(item.ssh_public.as_deref().unwrap_or(""));
    crypto::sha256(&buf)
}

impl UnlockedVault {
    /// Adds a parsed export in one durable write, leaving out entries that
    /// are already in the vault.
    /// Entries whose name [`check_name`] refuses are skipped, not stored.
    pub fn import(&mut self, parsed: Parsed) -> Result<ImportReport> {
        let mut seen: HashSet<[u8; 32]> = self.items().map(identity).collect();
        let mut fresh = Vec::with_capacity(parsed.items.len());
        let mut duplicates = Vec::new();
        let mut skipped = parsed.skipped;
        for item in parsed.items {
            if let Err(e) = check_name(&item.name) {
                skipped.push(Skipped {
                    entry: entry_label(&item.name),
                    reason: e.to_string(),
                });
            } else if seen.insert(identity(&item)) {
                fresh.push(item);
            } else {
                duplicates.push(item.name.clone());
            }
        }
        let imported = fresh.len();
        self.add_batch(fresh)?;
        Ok(ImportReport {
            imported,
            duplicates,
            skipped,
        })
    }
}

/// Most characters of a refused name quoted in the import report.
const LABEL_CHARS: usize = 60;

/// How a skipped entry is named in the report: its name, cut short when
/// long. Clients escape what it holds when they show it.
fn entry_label(name: &str) -> String {
    let mut label: String = name.chars().take(LABEL_CHARS).collect();
    if label.len() < name.len() {
        label.push('…');
    }
    label
}

/// A login with its name and fields; empty strings mean "not set".
pub(crate) fn login(name: &str, username: &str, password: &str, url: &str) -> Item {
    let mut item = Item::new(ItemKind::Login, name);
    item.username = non_empty(username).map(str::to_string);
    item.password = non_empty(password).map(Into::into);
    item.urls = non_empty(url)
        .map(|u| vec![u.to_string()])
        .unwrap_or_default();
    item
}

pub(crate) fn non_empty(s: &str) -> Option<&str> {
    (!s.trim().is_empty()).then_some(s)
}

/// Appends `label: value` lines for fields we have no place for, so nothing
/// in the export is dropped.
pub(crate) fn append_note(item: &mut Item, label: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let mut text = item
        .notes
        .as_ref()
        .map(|n| n.expose().to_string())
        .unwrap_or_default();
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(label);
    text.push_str(": ");
    text.push_str(value);
    item.notes = Some(text.into());
}

/// A name for an entry that has none: the URL's host, else a placeholder.
pub(crate) fn name_from_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    if host.is_empty() {
        "(no name)".to_string()
    } else {
        host.to_string()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
