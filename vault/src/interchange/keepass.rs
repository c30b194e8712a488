//! KeePass 2 and KeePassXC XML exports.
//!
//! Group names become tags (the root group's name is left out), entries in
//! the recycle bin are skipped, the entry's own history becomes password
//! history, and string fields with no place of their own are kept in notes.
//! SSH keys kept as attachments (KeeAgent, KeePassXC's SSH agent) become
//! SSH key items; other attachments are not imported, and each is named in
//! the report.

use roxmltree::{Document, Node, ParsingOptions};

use super::keeagent::{self, Pool};
use super::{
    ImportError, ImportFormat, Parsed, Skipped, append_note, login, name_from_url, non_empty,
};
use crate::item::{HistoryEntry, Item, SecretField};

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn child_text<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
    child(node, name).and_then(|c| c.text()).unwrap_or("")
}

/// The entry's `<String><Key/><Value/></String>` pairs, in order.
fn strings<'a>(entry: Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
    entry
        .children()
        .filter(|c| c.has_tag_name("String"))
        .map(|s| (child_text(s, "Key"), child_text(s, "Value")))
        .collect()
}

fn entry_item(entry: Node<'_, '_>, tags: &[String]) -> Item {
    let fields = strings(entry);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map_or("", |(_, v)| *v)
    };
    let url = get("URL");
    let title = non_empty(get("Title")).map_or_else(|| name_from_url(url), str::to_string);
    let mut item = login(&title, get("UserName"), get("Password"), url);
    item.notes = non_empty(get("Notes")).map(Into::into);
    let totp = non_empty(get("otp")).or_else(|| non_empty(get("TOTP Seed")));
    item.totp = totp.map(Into::into);
    for (key, value) in &fields {
        let known = [
            "Title",
            "UserName",
            "Password",
            "URL",
            "Notes",
            "otp",
            "TOTP Seed",
            "TOTP Settings",
        ];
        if !known.contains(key) {
            append_note(&mut item, key, value);
        }
    }
    item.tags = tags.to_vec();
    for t in child_text(entry, "Tags").split([';', ',']) {
        if let Some(t) = non_empty(t.trim()) {
            item.tags.push(t.to_string());
        }
    }
    if let Some(history) = child(entry, "History") {
        for old in history.children().filter(|c| c.has_tag_name("Entry")) {
            let old_fields = strings(old);
            let pw = old_fields
                .iter()
                .find(|(k, _)| *k == "Password")
                .map_or("", |(_, v)| *v);
            let current = item.password.as_ref().map_or("", |p| p.expose());
            if !pw.is_empty() && pw != current {
                item.history.push(HistoryEntry {
                    field: SecretField::Password,
                    value: pw.into(),
                    replaced_ms: 0,
                });
            }
        }
    }
    item
}

/// An entry's attachments (`<Binary><Key/><Value/></Binary>`).
fn attachments<'a, 'i>(entry: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    entry.children().filter(|c| c.has_tag_name("Binary"))
}

/// The entry's item, and an SSH key item for each attachment that is a key.
/// The entry's own item is left out when all it holds beyond its title is
/// the passphrase of the keys it carries.
fn entry_items(entry: Node<'_, '_>, tags: &[String], pool: Pool<'_, '_>, out: &mut Parsed) {
    let item = entry_item(entry, tags);
    let passphrase = item.password.as_ref().map_or("", |p| p.expose());
    let mut keys = Vec::new();
    let mut passphrase_used = false;
    for binary in attachments(entry) {
        let name = child_text(binary, "Key");
        match keeagent::key(binary, pool, passphrase) {
            Some(Ok(key)) => {
                passphrase_used |= key.was_encrypted;
                keys.push((name, key));
            }
            Some(Err(e)) => out.skipped.push(Skipped {
                entry: format!("{} (attachment {name})", item.name),
                reason: format!("it is an SSH key that cannot be imported: {e}"),
            }),
            None if name == keeagent::SETTINGS => out.skipped.push(Skipped {
                entry: format!("{} (attachment {name})", item.name),
                reason: "KeeAgent's settings are not imported: idp's SSH agent serves every \
                         key in the vault, and asks before use as `[ssh_agent] confirm` says"
                    .into(),
            }),
            None => out.skipped.push(attachment_left_out(&item.name, name)),
        }
    }
    let keep_entry = keys.is_empty()
        || item.username.is_some()
        || !item.urls.is_empty()
        || item.notes.is_some()
        || item.totp.is_some()
        || !item.history.is_empty()
        || (item.password.is_some() && !passphrase_used);
    let one_name = keys.len() == 1 && !keep_entry;
    for (attachment, key) in keys {
        let name = if one_name {
            item.name.clone()
        } else {
            format!("{} ({attachment})", item.name)
        };
        let mut item = key.key.into_item(&name);
        item.tags = tags.to_vec();
        out.items.push(item);
    }
    if keep_entry {
        out.items.push(item);
    }
}

fn attachment_left_out(entry: &str, attachment: &str) -> Skipped {
    Skipped {
        entry: format!("{entry} (attachment {attachment})"),
        reason: "attachments are not imported: save the file from KeePass and keep it \
                 elsewhere, or paste a text attachment into the item's notes"
            .into(),
    }
}

fn walk(
    group: Node<'_, '_>,
    path: &mut Vec<String>,
    recycle: &str,
    pool: Pool<'_, '_>,
    out: &mut Parsed,
) {
    let name = child_text(group, "Name").to_string();
    if !recycle.is_empty() && child_text(group, "UUID") == recycle {
        for e in group.descendants().filter(|c| {
            c.has_tag_name("Entry") && !c.ancestors().any(|a| a.has_tag_name("History"))
        }) {
            let title = strings(e)
                .iter()
                .find(|(k, _)| *k == "Title")
                .map_or("", |(_, v)| *v)
                .to_string();
            out.skipped.push(Skipped {
                entry: title,
                reason: "it is in the recycle bin".into(),
            });
        }
        return;
    }
    let is_root = path.is_empty();
    if !is_root {
        path.push(name);
    } else {
        path.push(String::new());
    }
    let tags: Vec<String> = path.iter().filter(|p| !p.is_empty()).cloned().collect();
    for c in group.children() {
        if c.has_tag_name("Entry") {
            entry_items(c, &tags, pool, out);
        } else if c.has_tag_name("Group") {
            walk(c, path, recycle, pool, out);
        }
    }
    path.pop();
}

pub(super) fn parse(text: &str) -> Result<Parsed, ImportError> {
    let bad = |d: String| ImportError::malformed(ImportFormat::KeepassXml, d);
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 20_000_000,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| bad(e.to_string()))?;
    let root = doc.root_element();
    if !root.has_tag_name("KeePassFile") {
        return Err(bad(format!(
            "the root element is <{}>, not <KeePassFile>",
            root.tag_name().name()
        )));
    }
    let meta = child(root, "Meta");
    let recycle = meta.map_or("", |m| child_text(m, "RecycleBinUUID"));
    let pool = Pool(meta.and_then(|m| child(m, "Binaries")));
    let top = child(root, "Root")
        .and_then(|r| child(r, "Group"))
        .ok_or_else(|| bad("no <Root><Group>".into()))?;
    let mut out = Parsed::default();
    walk(top, &mut Vec::new(), recycle, pool, &mut out);
    Ok(out)
}
