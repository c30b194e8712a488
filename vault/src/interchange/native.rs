//! idp-vault's own plaintext JSON export: every field of every item,
//! including history, so export and import round-trip exactly.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{ImportError, ImportFormat, Parsed};
use crate::ids::ItemId;
use crate::item::{HistoryEntry, Item, ItemKind, SecretField};
use crate::secret::SecretString;

const FORMAT: &str = "idp-vault-export";

/// The formats `idp export --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// idp-vault's own JSON, complete.
    IdpJson,
    /// Bitwarden's unencrypted JSON (history of passwords only; first tag as folder).
    BitwardenJson,
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" | "idp-json" => Ok(Self::IdpJson),
            "bitwarden-json" => Ok(Self::BitwardenJson),
            other => Err(format!(
                "unknown export format {other:?}: use json or bitwarden-json"
            )),
        }
    }
}

impl ExportFormat {
    /// The items as the text of an export file. Plaintext: the caller writes
    /// it with care (mode 0600) and warns.
    pub fn export<'a>(self, items: impl Iterator<Item = &'a Item>) -> SecretString {
        let value = match self {
            Self::IdpJson => {
                let doc = Doc {
                    format: FORMAT.into(),
                    version: 1,
                    items: items.map(NativeItem::from).collect(),
                };
                serde_json::to_value(doc).unwrap_or(serde_json::Value::Null)
            }
            Self::BitwardenJson => super::bitwarden::export(items),
        };
        SecretString::new(serde_json::to_string_pretty(&value).unwrap_or_default())
    }
}

#[derive(Serialize, Deserialize)]
struct Doc {
    format: String,
    version: u32,
    items: Vec<NativeItem>,
}

#[derive(Serialize, Deserialize)]
struct NativeHistory {
    field: String,
    value: String,
    replaced_ms: i64,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct NativeItem {
    id: String,
    kind: String,
    name: String,
    tags: Vec<String>,
    created_ms: i64,
    modified_ms: i64,
    username: Option<String>,
    password: Option<String>,
    urls: Vec<String>,
    totp: Option<String>,
    notes: Option<String>,
    card_holder: Option<String>,
    card_number: Option<String>,
    card_expiry: Option<String>,
    card_cvv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_private: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_public: Option<String>,
    history: Vec<NativeHistory>,
}

fn plain(s: &Option<SecretString>) -> Option<String> {
    s.as_ref().map(|v| v.expose().to_string())
}

impl From<&Item> for NativeItem {
    fn from(i: &Item) -> Self {
        NativeItem {
            id: i.id.to_hex(),
            kind: i.kind.as_str().into(),
            name: i.name.clone(),
            tags: i.tags.clone(),
            created_ms: i.created_ms,
            modified_ms: i.modified_ms,
            username: i.username.clone(),
            password: plain(&i.password),
            urls: i.urls.clone(),
            totp: plain(&i.totp),
            notes: plain(&i.notes),
            card_holder: i.card_holder.clone(),
            card_number: plain(&i.card_number),
            card_expiry: i.card_expiry.clone(),
            card_cvv: plain(&i.card_cvv),
            ssh_private: plain(&i.ssh_private),
            ssh_public: i.ssh_public.clone(),
            history: i
                .history
                .iter()
                .map(|h| NativeHistory {
                    field: h.field.as_str().into(),
                    value: h.value.expose().into(),
                    replaced_ms: h.replaced_ms,
                })
                .collect(),
        }
    }
}

fn kind(s: &str) -> Option<ItemKind> {
    [
        ItemKind::Login,
        ItemKind::Note,
        ItemKind::Card,
        ItemKind::SshKey,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
}

pub(super) fn parse(text: &str) -> Result<Parsed, ImportError> {
    let bad = |d: String| ImportError::malformed(ImportFormat::IdpJson, d);
    let doc: Doc =
        serde_json::from_str(text).map_err(|e| bad(format!("line {}: {e}", e.line())))?;
    if doc.format != FORMAT || doc.version != 1 {
        return Err(bad(format!(
            "format {:?} version {}",
            doc.format, doc.version
        )));
    }
    let mut out = Parsed::default();
    for (n, ni) in doc.items.into_iter().enumerate() {
        let k = kind(&ni.kind)
            .ok_or_else(|| bad(format!("item {}: unknown kind {:?}", n + 1, ni.kind)))?;
        let mut item = Item::new(k, &ni.name);
        if let Ok(id) = ni.id.parse::<ItemId>() {
            item.id = id;
        }
        item.tags = ni.tags;
        item.username = ni.username;
        item.password = ni.password.map(Into::into);
        item.urls = ni.urls;
        item.totp = ni.totp.map(Into::into);
        item.notes = ni.notes.map(Into::into);
        item.card_holder = ni.card_holder;
        item.card_number = ni.card_number.map(Into::into);
        item.card_expiry = ni.card_expiry;
        item.card_cvv = ni.card_cvv.map(Into::into);
        if k == ItemKind::SshKey {
            // The public key is taken from the private key, whatever the
            // file says beside it.
            let private = SecretString::from_str_exact(ni.ssh_private.as_deref().unwrap_or(""));
            let public =
                crate::ssh::public_of(&private).map_err(|e| bad(format!("item {}: {e}", n + 1)))?;
            item.ssh_public = Some(public.line);
            item.ssh_private = Some(private);
        }
        for h in ni.history {
            let field = SecretField::ALL
                .into_iter()
                .find(|f| f.as_str() == h.field)
                .ok_or_else(|| {
                    bad(format!(
                        "item {}: unknown history field {:?}",
                        n + 1,
                        h.field
                    ))
                })?;
            item.history.push(HistoryEntry {
                field,
                value: h.value.into(),
                replaced_ms: h.replaced_ms,
            });
        }
        out.items.push(item);
    }
    Ok(out)
}
