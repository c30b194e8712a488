//! Bitwarden's unencrypted JSON export, read and written.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ImportError, ImportFormat, Parsed, Skipped, append_note, login, name_from_url, non_empty,
};
use crate::item::{HistoryEntry, Item, ItemKind, SecretField};

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default, rename = "passwordProtected")]
    password_protected: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    items: Option<Vec<BwItem>>,
}

#[derive(Deserialize)]
struct Folder {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct BwItem {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default, rename = "folderId")]
    folder_id: Option<String>,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    fields: Option<Vec<Field>>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    card: Option<Card>,
    /// Every field of an identity item, kept as the export has it.
    #[serde(default)]
    identity: Option<serde_json::Map<String, Value>>,
    #[serde(default, rename = "passwordHistory")]
    password_history: Option<Vec<PasswordHistory>>,
    #[serde(default, rename = "sshKey")]
    ssh_key: Option<SshKey>,
}

/// An SSH key item's key: Bitwarden exports the private key in OpenSSH's
/// format, unencrypted; the public key and fingerprint are derived from it
/// again on import.
#[derive(Deserialize)]
struct SshKey {
    #[serde(default, rename = "privateKey")]
    private_key: Option<String>,
}

#[derive(Deserialize, Default)]
struct Login {
    username: Option<String>,
    password: Option<String>,
    totp: Option<String>,
    uris: Option<Vec<Uri>>,
    #[serde(default, rename = "fido2Credentials")]
    fido2_credentials: Option<Vec<Passkey>>,
}

/// A passkey stored with a login. idp-vault does not hold passkeys; each is
/// named in the import report.
#[derive(Deserialize)]
struct Passkey {
    #[serde(default, rename = "rpId")]
    rp_id: Option<String>,
    #[serde(default, rename = "userName")]
    user_name: Option<String>,
}

#[derive(Deserialize)]
struct Uri {
    uri: Option<String>,
}

#[derive(Deserialize)]
struct Card {
    #[serde(rename = "cardholderName")]
    cardholder_name: Option<String>,
    number: Option<String>,
    #[serde(rename = "expMonth")]
    exp_month: Option<String>,
    #[serde(rename = "expYear")]
    exp_year: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
struct Field {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct PasswordHistory {
    password: Option<String>,
}

fn text(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

pub(super) fn parse(text_in: &str) -> Result<Parsed, ImportError> {
    let export: Export = serde_json::from_str(text_in).map_err(|e| {
        ImportError::malformed(
            ImportFormat::BitwardenJson,
            format!("line {}: {e}", e.line()),
        )
    })?;
    if export.encrypted || export.password_protected {
        return Err(ImportError::Encrypted);
    }
    let Some(items) = export.items else {
        return Err(ImportError::malformed(
            ImportFormat::BitwardenJson,
            "no \"items\" list",
        ));
    };
    let folders: BTreeMap<String, String> =
        export.folders.into_iter().map(|f| (f.id, f.name)).collect();
    let mut out = Parsed::default();
    for (n, bw) in items.into_iter().enumerate() {
        let name = non_empty(text(&bw.name)).map(str::to_string);
        let label = name.clone().unwrap_or_else(|| format!("item {}", n + 1));
        let mut item = match bw.kind {
            1 => {
                let l = bw.login.unwrap_or_default();
                let urls: Vec<String> = l
                    .uris
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|u| u.uri.filter(|u| !u.trim().is_empty()))
                    .collect();
                let first = urls.first().cloned().unwrap_or_default();
                let name = name.clone().unwrap_or_else(|| name_from_url(&first));
                let mut item = login(&name, text(&l.username), text(&l.password), "");
                item.urls = urls;
                item.totp = non_empty(text(&l.totp)).map(Into::into);
                for pk in l.fido2_credentials.unwrap_or_default() {
                    out.skipped.push(passkey_left_out(&label, &pk));
                }
                item
            }
            2 => Item::new(ItemKind::Note, name.as_deref().unwrap_or("(no name)")),
            3 => {
                let mut item = Item::new(ItemKind::Card, name.as_deref().unwrap_or("(no name)"));
                if let Some(c) = bw.card {
                    item.card_holder = non_empty(text(&c.cardholder_name)).map(str::to_string);
                    item.card_number = non_empty(text(&c.number)).map(Into::into);
                    item.card_cvv = non_empty(text(&c.code)).map(Into::into);
                    let (m, y) = (text(&c.exp_month), text(&c.exp_year));
                    if !m.is_empty() || !y.is_empty() {
                        item.card_expiry = Some(format!("{m}/{y}"));
                    }
                }
                item
            }
            4 => {
                let mut item = Item::new(ItemKind::Note, name.as_deref().unwrap_or("(no name)"));
                item.tags.push(IDENTITY_TAG.into());
                item
            }
            5 => {
                let private = bw.ssh_key.as_ref().map_or("", |k| text(&k.private_key));
                match crate::ssh::import(private.as_bytes(), None) {
                    Ok(key) => key.into_item(name.as_deref().unwrap_or("(no name)")),
                    Err(e) => {
                        out.skipped.push(Skipped {
                            entry: label,
                            reason: format!("its SSH key cannot be imported: {e}"),
                        });
                        continue;
                    }
                }
            }
            other => {
                out.skipped.push(Skipped {
                    entry: label,
                    reason: format!("Bitwarden item type {other} is not supported"),
                });
                continue;
            }
        };
        item.notes = non_empty(text(&bw.notes)).map(Into::into);
        if let Some(identity) = &bw.identity {
            identity_lines(&mut item, identity);
        }
        for f in bw.fields.unwrap_or_default() {
            append_note(&mut item, text(&f.name), text(&f.value));
        }
        if let Some(folder) = bw.folder_id.and_then(|id| folders.get(&id).cloned()) {
            item.tags.push(folder);
        }
        if bw.favorite {
            item.tags.push("favorite".into());
        }
        for h in bw.password_history.unwrap_or_default() {
            if let Some(p) = non_empty(text(&h.password)) {
                item.history.push(HistoryEntry {
                    field: SecretField::Password,
                    value: p.into(),
                    replaced_ms: 0,
                });
            }
        }
        out.items.push(item);
    }
    Ok(out)
}

/// The tag an identity imported from Bitwarden carries: it becomes a
/// secure note, its fields as `label: value` lines.
pub(super) const IDENTITY_TAG: &str = "identity";

/// The fields of a Bitwarden identity, in the order its form shows them,
/// with the label each gets in the note.
const IDENTITY_FIELDS: [(&str, &str); 18] = [
    ("title", "title"),
    ("firstName", "first name"),
    ("middleName", "middle name"),
    ("lastName", "last name"),
    ("username", "username"),
    ("company", "company"),
    ("ssn", "national insurance or social security number"),
    ("passportNumber", "passport number"),
    ("licenseNumber", "licence number"),
    ("email", "email"),
    ("phone", "phone"),
    ("address1", "address 1"),
    ("address2", "address 2"),
    ("address3", "address 3"),
    ("city", "city"),
    ("state", "state or province"),
    ("postalCode", "postal code"),
    ("country", "country"),
];

/// Appends every field of an identity to the item's notes: the known ones
/// in the form's order, then any other the export holds, so nothing is lost.
fn identity_lines(item: &mut Item, identity: &serde_json::Map<String, Value>) {
    let value_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    for (key, label) in IDENTITY_FIELDS {
        if let Some(v) = identity.get(key) {
            append_note(item, label, &value_text(v));
        }
    }
    for (key, v) in identity {
        if !IDENTITY_FIELDS.iter().any(|(k, _)| k == key) {
            append_note(item, key, &value_text(v));
        }
    }
}

fn passkey_left_out(label: &str, pk: &Passkey) -> Skipped {
    let site = non_empty(text(&pk.rp_id)).unwrap_or("an unnamed site");
    let user = non_empty(text(&pk.user_name))
        .map(|u| format!(", user {u}"))
        .unwrap_or_default();
    Skipped {
        entry: format!("{label} (passkey for {site}{user})"),
        reason: "passkeys are not imported: idp-vault cannot hold them; the login itself was \
                 imported, and the passkey stays usable where it is now"
            .into(),
    }
}

fn uuid_of(item: &Item) -> String {
    let h = item.id.to_hex();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Bitwarden's unencrypted JSON export format; the first tag becomes the folder.
pub(super) fn export<'a>(items: impl Iterator<Item = &'a Item>) -> Value {
    let expose = |s: &Option<crate::SecretString>| s.as_ref().map(|v| v.expose().to_string());
    let mut folders: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for item in items {
        let folder_id = item.tags.first().map(|t| {
            let next = format!("00000000-0000-4000-8000-{:012x}", folders.len() + 1);
            folders.entry(t.clone()).or_insert(next).clone()
        });
        let mut v = json!({
            "id": uuid_of(item),
            "organizationId": null,
            "folderId": folder_id,
            "name": item.name,
            "notes": expose(&item.notes),
            "favorite": item.tags.iter().any(|t| t == "favorite"),
            "collectionIds": null,
            "reprompt": 0,
        });
        match item.kind {
            ItemKind::Login => {
                v["type"] = json!(1);
                v["login"] = json!({
                    "uris": item.urls.iter().map(|u| json!({"match": null, "uri": u})).collect::<Vec<_>>(),
                    "username": item.username,
                    "password": expose(&item.password),
                    "totp": expose(&item.totp),
                });
            }
            ItemKind::Note => {
                v["type"] = json!(2);
                v["secureNote"] = json!({"type": 0});
            }
            ItemKind::Card => {
                let (m, y) = item
                    .card_expiry
                    .as_deref()
                    .and_then(|e| e.split_once('/'))
                    .map_or((None, None), |(m, y)| (Some(m), Some(y)));
                v["type"] = json!(3);
                v["card"] = json!({
                    "cardholderName": item.card_holder,
                    "brand": null,
                    "number": expose(&item.card_number),
                    "expMonth": m,
                    "expYear": y,
                    "code": expose(&item.card_cvv),
                });
            }
            ItemKind::SshKey => {
                let fingerprint = item
                    .ssh_public
                    .as_deref()
                    .and_then(|l| crate::ssh::public_info(l).ok())
                    .map(|p| p.fingerprint);
                v["type"] = json!(5);
                v["sshKey"] = json!({
                    "privateKey": expose(&item.ssh_private),
                    "publicKey": item.ssh_public,
                    "keyFingerprint": fingerprint,
                });
            }
        }
        let history: Vec<Value> = item
            .history
            .iter()
            .filter(|h| h.field == SecretField::Password)
            .map(|h| json!({"lastUsedDate": null, "password": h.value.expose()}))
            .collect();
        if !history.is_empty() {
            v["passwordHistory"] = json!(history);
        }
        out.push(v);
    }
    json!({
        "encrypted": false,
        "folders": folders.into_iter().map(|(name, id)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "items": out,
    })
}
