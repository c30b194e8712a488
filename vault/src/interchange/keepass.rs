//! KeePass 2 and KeePassXC XML exports.
//!
//! Group names become tags (the root group's name is left out), entries in
//! the recycle bin are skipped, the entry's own history becomes password
//! history, and string fields with no place of their own are kept in notes.
//! Attachments are not imported; each is named in the report.

use roxmltree::{Document, Node, ParsingOptions};

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

/// The names of an entry's attachments (`<Binary><Key/>...</Binary>`).
fn attachment_names<'a>(entry: Node<'a, '_>) -> impl Iterator<Item = &'a str> {
    entry
        .children()
        .filter(|c| c.has_tag_name("Binary"))
        .map(|b| child_text(b, "Key"))
}

fn attachment_left_out(entry: &str, attachment: &str) -> Skipped {
    Skipped {
        entry: format!("{entry} (attachment {attachment})"),
        reason: "attachments are not imported: save the file from KeePass and keep it \
                 elsewhere, or paste a text attachment into the item's notes"
            .into(),
    }
}

fn walk(group: Node<'_, '_>, path: &mut Vec<String>, recycle: &str, out: &mut Parsed) {
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
            let item = entry_item(c, &tags);
            for name in attachment_names(c) {
                out.skipped.push(attachment_left_out(&item.name, name));
            }
            out.items.push(item);
        } else if c.has_tag_name("Group") {
            walk(c, path, recycle, out);
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
    let recycle = child(root, "Meta").map_or("", |m| child_text(m, "RecycleBinUUID"));
    let top = child(root, "Root")
        .and_then(|r| child(r, "Group"))
        .ok_or_else(|| bad("no <Root><Group>".into()))?;
    let mut out = Parsed::default();
    walk(top, &mut Vec::new(), recycle, &mut out);
    Ok(out)
}
