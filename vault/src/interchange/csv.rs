//! Browser CSV exports (Chrome and Edge, Firefox, Safari) and Bitwarden's
//! CSV, told apart by their header row.
//!
//! Fields are read by the header's names. Some exporters (Chrome among
//! them) leave trailing empty fields out of a row, and some add empty ones:
//! such rows are read, since which value is which is still clear. A row
//! with more non-empty fields than the header has columns is not (a comma
//! that should have been quoted shifts every value after it): it is left
//! out and named in the report.

use std::collections::HashMap;

use super::{
    ImportError, ImportFormat, Parsed, Skipped, append_note, login, name_from_url, non_empty,
};
use crate::item::{Item, ItemKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Bitwarden,
    Firefox,
    Safari,
    Chrome,
}

fn flavour(cols: &HashMap<String, usize>) -> Option<Flavour> {
    let has = |names: &[&str]| names.iter().all(|n| cols.contains_key(*n));
    if has(&["login_uri", "login_username", "login_password", "name"]) {
        Some(Flavour::Bitwarden)
    } else if has(&["url", "username", "password"]) && (has(&["guid"]) || has(&["httprealm"])) {
        Some(Flavour::Firefox)
    } else if has(&["title", "url", "username", "password"]) {
        Some(Flavour::Safari)
    } else if has(&["name", "url", "username", "password"]) {
        Some(Flavour::Chrome)
    } else {
        None
    }
}

pub(super) fn parse(text: &str) -> Result<Parsed, ImportError> {
    let bad = |d: String| ImportError::malformed(ImportFormat::Csv, d);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("header row: {e}")))?
        .clone();
    let cols: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
        .collect();
    let flavour = flavour(&cols).ok_or_else(|| {
        bad(format!(
            "unrecognised header {:?}: expected a Chrome, Edge, Firefox, Safari or Bitwarden CSV export",
            headers.iter().collect::<Vec<_>>().join(",")
        ))
    })?;
    let mut out = Parsed::default();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(format!("line {line}: {e}"))
        })?;
        let line = row.position().map_or(0, |p| p.line());
        if row.len() > headers.len() && row.iter().skip(headers.len()).any(|f| !f.is_empty()) {
            out.skipped.push(Skipped {
                entry: format!("line {line}"),
                reason: format!(
                    "the row has {} fields and the header {}, so which value is which is not \
                     clear (a comma in a value that is not quoted?): fix the row and import it again",
                    row.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let get = |name: &str| cols.get(name).and_then(|&i| row.get(i)).unwrap_or("");
        let (url, username, password) = match flavour {
            Flavour::Bitwarden => (
                get("login_uri"),
                get("login_username"),
                get("login_password"),
            ),
            _ => (get("url"), get("username"), get("password")),
        };
        let name = match flavour {
            Flavour::Bitwarden | Flavour::Chrome => get("name"),
            Flavour::Safari => get("title"),
            Flavour::Firefox => "",
        };
        let name = non_empty(name).map_or_else(|| name_from_url(url), str::to_string);
        let notes = match flavour {
            Flavour::Bitwarden => get("notes"),
            Flavour::Safari => get("notes"),
            Flavour::Chrome => get("note"),
            Flavour::Firefox => "",
        };
        let is_note = flavour == Flavour::Bitwarden && get("type").eq_ignore_ascii_case("note");
        if [url, username, password, notes]
            .iter()
            .all(|s| s.trim().is_empty())
        {
            out.skipped.push(Skipped {
                entry: format!("line {line} ({name})"),
                reason: "the row has no URL, username, password or notes".into(),
            });
            continue;
        }
        let mut item: Item = if is_note {
            Item::new(ItemKind::Note, &name)
        } else {
            login(&name, username, password, "")
        };
        if !is_note {
            // Bitwarden joins several URIs with commas.
            item.urls = url
                .split(if flavour == Flavour::Bitwarden {
                    ','
                } else {
                    '\n'
                })
                .filter_map(|u| non_empty(u.trim()).map(str::to_string))
                .collect();
        }
        item.notes = non_empty(notes).map(Into::into);
        let totp = match flavour {
            Flavour::Bitwarden => get("login_totp"),
            Flavour::Safari => get("otpauth"),
            _ => "",
        };
        item.totp = non_empty(totp).map(Into::into);
        if flavour == Flavour::Bitwarden {
            if let Some(folder) = non_empty(get("folder")) {
                item.tags.push(folder.to_string());
            }
            append_note(&mut item, "fields", get("fields"));
        }
        out.items.push(item);
    }
    Ok(out)
}
