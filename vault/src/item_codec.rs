//! Item plaintext encoding (version 1): a sequence of fields
//! `tag: u8 | len: u32 LE | value[len]`. Strings are UTF-8, times are i64
//! LE unix milliseconds. Unknown tags are kept and written back unchanged.

use zeroize::Zeroizing;

use super::{HistoryEntry, Item, ItemKind, SecretField};
use crate::header::Reader;
use crate::ids::ItemId;
use crate::secret::{SecretBytes, SecretString};

const T_KIND: u8 = 1;
const T_NAME: u8 = 2;
const T_TAG: u8 = 3;
const T_CREATED: u8 = 4;
const T_MODIFIED: u8 = 5;
/// A kind older versions do not know. They read the item as the kind in
/// [`T_KIND`] (a note) and keep this field, and every field they do not
/// know, when they write it back.
const T_KIND_EXT: u8 = 6;
const T_USERNAME: u8 = 10;
const T_PASSWORD: u8 = 11;
const T_URL: u8 = 12;
const T_TOTP: u8 = 13;
const T_NOTES: u8 = 14;
const T_CARD_HOLDER: u8 = 20;
const T_CARD_NUMBER: u8 = 21;
const T_CARD_EXPIRY: u8 = 22;
const T_CARD_CVV: u8 = 23;
const T_HISTORY: u8 = 30;
const T_SSH_PRIVATE: u8 = 40;
const T_SSH_PUBLIC: u8 = 41;

/// [`T_KIND_EXT`] of an SSH key.
const EXT_SSH_KEY: u8 = 4;

fn kind_code(k: ItemKind) -> u8 {
    match k {
        ItemKind::Login => 1,
        ItemKind::Note => 2,
        ItemKind::Card => 3,
        // Seen by older versions as a note (see `T_KIND_EXT`).
        ItemKind::SshKey => 2,
    }
}

fn field_tag(f: SecretField) -> u8 {
    match f {
        SecretField::Password => T_PASSWORD,
        SecretField::Totp => T_TOTP,
        SecretField::Notes => T_NOTES,
        SecretField::CardNumber => T_CARD_NUMBER,
        SecretField::CardCvv => T_CARD_CVV,
    }
}

fn field_of_tag(t: u8) -> Option<SecretField> {
    SecretField::ALL.into_iter().find(|&f| field_tag(f) == t)
}

/// Calls `f(tag, parts)` for every field; a value is its parts concatenated.
fn each_field(item: &Item, f: &mut dyn FnMut(u8, &[&[u8]])) {
    f(T_KIND, &[&[kind_code(item.kind)]]);
    if item.kind == ItemKind::SshKey {
        f(T_KIND_EXT, &[&[EXT_SSH_KEY]]);
    }
    f(T_NAME, &[item.name.as_bytes()]);
    for t in &item.tags {
        f(T_TAG, &[t.as_bytes()]);
    }
    f(T_CREATED, &[&item.created_ms.to_le_bytes()]);
    f(T_MODIFIED, &[&item.modified_ms.to_le_bytes()]);
    let plain = [
        (T_USERNAME, &item.username),
        (T_CARD_HOLDER, &item.card_holder),
        (T_CARD_EXPIRY, &item.card_expiry),
    ];
    for (tag, v) in plain {
        if let Some(v) = v {
            f(tag, &[v.as_bytes()]);
        }
    }
    for u in &item.urls {
        f(T_URL, &[u.as_bytes()]);
    }
    for field in SecretField::ALL {
        if let Some(v) = item.secret(field) {
            f(field_tag(field), &[v.expose().as_bytes()]);
        }
    }
    if let Some(v) = &item.ssh_private {
        f(T_SSH_PRIVATE, &[v.expose().as_bytes()]);
    }
    if let Some(v) = &item.ssh_public {
        f(T_SSH_PUBLIC, &[v.as_bytes()]);
    }
    for h in &item.history {
        f(
            T_HISTORY,
            &[
                &[field_tag(h.field)],
                &h.replaced_ms.to_le_bytes(),
                h.value.expose().as_bytes(),
            ],
        );
    }
    for (tag, v) in &item.unknown {
        f(*tag, &[v.expose()]);
    }
}

/// Encodes into a wiped buffer of exactly the encoded size.
pub(crate) fn encode(item: &Item) -> Zeroizing<Vec<u8>> {
    let mut size = 0usize;
    each_field(item, &mut |_, parts| {
        size += 5 + parts.iter().map(|p| p.len()).sum::<usize>();
    });
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    each_field(item, &mut |tag, parts| {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        out.push(tag);
        out.extend_from_slice(&(len as u32).to_le_bytes());
        for p in parts {
            out.extend_from_slice(p);
        }
    });
    out
}

fn text(v: &[u8]) -> Result<&str, &'static str> {
    std::str::from_utf8(v).map_err(|_| "a text field is not UTF-8")
}

fn time(v: &[u8]) -> Result<i64, &'static str> {
    v.try_into()
        .map(i64::from_le_bytes)
        .map_err(|_| "a time field has the wrong size")
}

fn secret(v: &[u8]) -> Result<SecretString, &'static str> {
    text(v).map(SecretString::from_str_exact)
}

/// Decodes an item; `Err` names what is malformed (never a value).
pub(crate) fn decode(id: ItemId, bytes: &[u8]) -> Result<Item, &'static str> {
    let mut item = Item::with_id(id, ItemKind::Login, "");
    let mut r = Reader { b: bytes, at: 0 };
    let mut seen_kind = false;
    let mut ssh_key = false;
    while r.at < bytes.len() {
        let tag = r.u8().ok_or("truncated field")?;
        let len = r.u32().ok_or("truncated field length")? as usize;
        let v = r.take(len).ok_or("field longer than the item")?;
        match tag {
            T_KIND => {
                item.kind = match v {
                    [1] => ItemKind::Login,
                    [2] => ItemKind::Note,
                    [3] => ItemKind::Card,
                    _ => return Err("unknown item kind"),
                };
                seen_kind = true;
            }
            T_KIND_EXT if v == [EXT_SSH_KEY] => ssh_key = true,
            T_SSH_PRIVATE => item.ssh_private = Some(secret(v)?),
            T_SSH_PUBLIC => item.ssh_public = Some(text(v)?.to_string()),
            T_NAME => item.name = text(v)?.to_string(),
            T_TAG => item.tags.push(text(v)?.to_string()),
            T_CREATED => item.created_ms = time(v)?,
            T_MODIFIED => item.modified_ms = time(v)?,
            T_USERNAME => item.username = Some(text(v)?.to_string()),
            T_URL => item.urls.push(text(v)?.to_string()),
            T_CARD_HOLDER => item.card_holder = Some(text(v)?.to_string()),
            T_CARD_EXPIRY => item.card_expiry = Some(text(v)?.to_string()),
            T_PASSWORD => item.password = Some(secret(v)?),
            T_TOTP => item.totp = Some(secret(v)?),
            T_NOTES => item.notes = Some(secret(v)?),
            T_CARD_NUMBER => item.card_number = Some(secret(v)?),
            T_CARD_CVV => item.card_cvv = Some(secret(v)?),
            T_HISTORY => {
                if v.len() < 9 {
                    return Err("history entry too short");
                }
                item.history.push(HistoryEntry {
                    field: field_of_tag(v[0]).ok_or("history of an unknown field")?,
                    replaced_ms: time(&v[1..9])?,
                    value: secret(&v[9..])?,
                });
            }
            _ => item.unknown.push((tag, SecretBytes::from_slice(v))),
        }
    }
    if !seen_kind {
        return Err("item has no kind");
    }
    if ssh_key {
        if item.kind != ItemKind::Note {
            return Err("an SSH key item must be stored as a note for older versions");
        }
        item.kind = ItemKind::SshKey;
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_item() -> Item {
        let mut i = Item::new(ItemKind::Card, "Bank ✓ card");
        i.tags = vec!["money".into(), "".into()];
        i.created_ms = 1_700_000_000_000;
        i.modified_ms = -5;
        i.username = Some("ann".into());
        i.password = Some("p\"w\\\n".into());
        i.urls = vec!["https://bank.example".into()];
        i.totp = Some("JBSWY3DPEHPK3PXP".into());
        i.notes = Some("line 1\nline 2".into());
        i.card_holder = Some("Ann".into());
        i.card_number = Some("4111111111111111".into());
        i.card_expiry = Some("12/30".into());
        i.card_cvv = Some("123".into());
        i.history.push(HistoryEntry {
            field: SecretField::CardCvv,
            value: "999".into(),
            replaced_ms: 42,
        });
        i.unknown.push((200, SecretBytes::from_slice(b"future")));
        i
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let item = full_item();
        let bytes = encode(&item);
        assert_eq!(bytes.len(), bytes.capacity());
        assert_eq!(decode(item.id, &bytes), Ok(item));
    }

    fn ssh_item() -> Item {
        let mut i = Item::new(ItemKind::SshKey, "laptop");
        i.ssh_private = Some("-----BEGIN OPENSSH PRIVATE KEY-----\n".into());
        i.ssh_public = Some("ssh-ed25519 AAAA me@host".into());
        i.tags = vec!["work".into()];
        i
    }

    #[test]
    fn ssh_keys_round_trip() {
        let item = ssh_item();
        let bytes = encode(&item);
        assert_eq!(decode(item.id, &bytes), Ok(item));
    }

    /// Versions before SSH keys know kinds 1-3 only and keep unknown
    /// fields: an SSH key must reach them as a note whose key fields they
    /// carry along unchanged.
    #[test]
    fn older_versions_read_an_ssh_key_as_a_note_and_keep_its_fields() {
        let item = ssh_item();
        let bytes = encode(&item);
        assert_eq!(&bytes[..6], &[T_KIND, 1, 0, 0, 0, 2], "kind note first");
        // A reader that does not know the extended kind's value (as an
        // older one knows none) sees a note and keeps the rest as is.
        let mut other = bytes.to_vec();
        let at = other
            .windows(6)
            .position(|w| w == [T_KIND_EXT, 1, 0, 0, 0, EXT_SSH_KEY])
            .expect("extended kind");
        other[at + 5] = 99;
        let seen = decode(item.id, &other).expect("decodes");
        assert_eq!(seen.kind, ItemKind::Note);
        assert_eq!(seen.unknown.len(), 1);
        // What it writes back (its unknown fields last) still holds the key.
        let mut back = encode(&seen).to_vec();
        assert_eq!(back.len(), bytes.len());
        let at = back
            .windows(6)
            .position(|w| w == [T_KIND_EXT, 1, 0, 0, 0, 99])
            .expect("extended kind kept");
        back[at + 5] = EXT_SSH_KEY;
        assert_eq!(decode(item.id, &back), Ok(item));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let bytes = encode(&full_item());
        for cut in 0..bytes.len() {
            let _ = decode(ItemId::from_bytes([0; 16]), &bytes[..cut]);
        }
        assert_eq!(
            decode(ItemId::from_bytes([0; 16]), &[]),
            Err("item has no kind")
        );
        assert_eq!(
            decode(ItemId::from_bytes([0; 16]), &[T_KIND, 1, 0, 0, 0, 9]),
            Err("unknown item kind")
        );
        assert_eq!(
            decode(ItemId::from_bytes([0; 16]), &[T_NAME, 255, 255, 255, 255]),
            Err("field longer than the item")
        );
    }
}
