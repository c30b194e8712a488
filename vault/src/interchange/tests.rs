use super::*;
use crate::item::SecretField;
use base64::Engine;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read(&path).expect("fixture")
}

fn pw(item: &Item) -> &str {
    item.password.as_ref().map_or("", |p| p.expose())
}

#[test]
fn bitwarden_json_keeps_every_field_and_names_what_it_leaves_out() {
    let p = parse(ImportFormat::BitwardenJson, &fixture("bitwarden.json")).expect("parse");
    assert_eq!(p.items.len(), 7);
    assert_eq!(p.skipped.len(), 2, "the passkey and the broken key");
    assert_eq!(
        p.skipped[0].entry,
        "GitHub (passkey for github.com, user octo)"
    );
    assert!(p.skipped[0].reason.contains("passkeys are not imported"));
    let gh = &p.items[0];
    assert_eq!(gh.name, "GitHub");
    assert_eq!(pw(gh), "gh-p@ss \"quoted\"");
    assert_eq!(gh.urls.len(), 2);
    assert_eq!(gh.tags, ["Wörk", "favorite"]);
    assert!(
        gh.notes
            .as_ref()
            .expect("notes")
            .expose()
            .contains("line two\nrecovery: r3c0very")
    );
    assert_eq!(gh.history[0].value.expose(), "old-gh");
    assert!(gh.totp.is_some());
    assert_eq!(p.items[1].name, "GitHub", "duplicate names are both kept");
    assert_eq!(p.items[1].password, None, "empty password");
    assert_eq!(p.items[2].kind, ItemKind::Note);
    assert!(
        p.items[2]
            .notes
            .as_ref()
            .expect("n")
            .expose()
            .contains("日本語")
    );
    let card = &p.items[3];
    assert_eq!(card.card_expiry.as_deref(), Some("7/2031"));
    assert_eq!(card.card_cvv.as_ref().expect("cvv").expose(), "123");
    let me = &p.items[4];
    assert_eq!((me.kind, me.name.as_str()), (ItemKind::Note, "Me"));
    assert_eq!(me.tags, ["identity"]);
    assert_eq!(
        me.notes.as_ref().expect("identity fields").expose(),
        "kept as a note\ntitle: Dr\nfirst name: Ann\nlast name: Örn\n\
         national insurance or social security number: 123-45-6789\n\
         passport number: X1234567\nemail: ann@example.org\naddress 1: 1 Main St\n\
         city: Springfield\nfavouriteColour: teal",
        "every field, the unknown one too"
    );
    assert_eq!(p.items[5].name, "no-name.example", "name from the URL");
    let key = &p.items[6];
    assert_eq!(
        (key.kind, key.name.as_str()),
        (ItemKind::SshKey, "Deploy key")
    );
    assert_eq!(
        key.ssh_public.as_deref(),
        Some(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDXJryFwHAkfYfLISGZdlQPpmSzTNQhquslDg3oIbN4e \
             bw@example"
        ),
        "the public key is derived from the private one, with its comment"
    );
    assert!(key.ssh_private.is_some());
    assert_eq!(
        key.notes.as_ref().expect("notes").expose(),
        "for the CI box"
    );
    assert_eq!(p.skipped[1].entry, "Broken key");
    assert!(
        p.skipped[1]
            .reason
            .starts_with("its SSH key cannot be imported: this is not a private key file"),
        "{}",
        p.skipped[1].reason
    );
}

#[test]
fn encrypted_bitwarden_exports_are_refused() {
    let err = parse(
        ImportFormat::BitwardenJson,
        br#"{"encrypted": true, "items": []}"#,
    );
    assert_eq!(err.err(), Some(ImportError::Encrypted));
    let pp = parse(
        ImportFormat::BitwardenJson,
        br#"{"passwordProtected": true, "data": "x"}"#,
    );
    assert_eq!(pp.err(), Some(ImportError::Encrypted));
}

#[test]
fn csv_flavours_are_recognised() {
    let c = parse(ImportFormat::Csv, &fixture("chrome.csv")).expect("chrome");
    assert_eq!(c.items.len(), 6);
    assert_eq!(c.skipped.len(), 2, "the empty row and the shifted one");
    assert_eq!(c.skipped[1].entry, "line 10");
    assert!(c.skipped[1].reason.contains("6 fields and the header 5"));
    assert_eq!(
        (c.items[4].name.as_str(), pw(&c.items[4]), &c.items[4].notes),
        ("four fields", "no-note-column", &None),
        "a row without its trailing empty field is read by name"
    );
    assert_eq!(
        c.items[5].notes.as_ref().expect("note").expose(),
        "note e",
        "a row with extra empty fields is read by name"
    );
    assert_eq!(pw(&c.items[0]), "pa,ss\"word");
    assert_eq!(
        c.items[1].notes.as_ref().expect("multiline").expose(),
        "multi\nline note"
    );
    assert_eq!(pw(&c.items[2]), "пароль");

    let f = parse(ImportFormat::Csv, &fixture("firefox.csv")).expect("firefox");
    assert_eq!(
        f.items.len(),
        2,
        "a row with only a URL is kept, not dropped"
    );
    assert_eq!(f.items[0].name, "accounts.firefox.example");
    assert_eq!(f.skipped.len(), 0);

    let s = parse(ImportFormat::Csv, &fixture("safari.csv")).expect("safari");
    assert_eq!(s.items[0].name, "Apple (appleid)");
    assert!(s.items[0].totp.is_some());
    assert_eq!(
        s.items[0].notes.as_ref().expect("n").expose(),
        "note, with comma"
    );
}

#[test]
fn malformed_files_are_refused_whole_with_the_place() {
    let err = parse(ImportFormat::Csv, b"foo,bar\n1,2\n").expect_err("unknown header");
    assert!(err.to_string().contains("unrecognised header"));
    let err = parse(
        ImportFormat::BitwardenJson,
        b"{\"items\": [ {\"type\": 1,\n\"name\": }",
    )
    .expect_err("json");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(parse(ImportFormat::KeepassXml, b"<KeePassFile><Root>").is_err());
    assert!(parse(ImportFormat::KeepassXml, b"<Other/>").is_err());
    assert!(parse(ImportFormat::Csv, &[0xff, 0xfe, 0x00]).is_err());
}

#[test]
fn keepass_xml_groups_history_and_recycle_bin() {
    let p = parse(ImportFormat::KeepassXml, &fixture("keepass.xml")).expect("keepass");
    let names: Vec<&str> = p.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Mail & Calendar",
            "Build server",
            "Router",
            "Mail & Calendar"
        ]
    );
    let entries: Vec<&str> = p.skipped.iter().map(|s| s.entry.as_str()).collect();
    assert_eq!(
        entries,
        [
            "Mail & Calendar (attachment passport.pdf)",
            "Build server (attachment KeeAgent.settings)",
            "Router (attachment router_key)",
            "Router (attachment inline.txt)",
            "Deleted thing"
        ]
    );
    assert!(p.skipped[0].reason.contains("attachments are not imported"));
    assert!(p.skipped[1].reason.contains("KeeAgent's settings"));
    assert_eq!(
        p.skipped[2].reason,
        "it is an SSH key that cannot be imported: wrong passphrase for the key"
    );
    assert!(p.skipped[3].reason.contains("attachments are not imported"));
    let mail = &p.items[0];
    assert_eq!(mail.name, "Mail & Calendar");
    assert_eq!(pw(mail), "m<ai>l-2");
    assert_eq!(mail.tags, ["personal", "mail"]);
    assert_eq!(mail.history.len(), 1);
    assert_eq!(mail.history[0].field, SecretField::Password);
    assert_eq!(mail.history[0].value.expose(), "mail-1");
    assert!(
        mail.notes
            .as_ref()
            .expect("n")
            .expose()
            .contains("second line\nPIN: 4321")
    );
    let key = &p.items[1];
    assert_eq!(key.kind, ItemKind::SshKey, "the entry was only the key");
    assert_eq!(
        key.ssh_public.as_deref(),
        Some(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINNaqn8nz6oSg7fRGNo9TSOusUjGIe4yKjXfbH1b7bUy \
             kee@example"
        ),
        "decrypted with the entry's password"
    );
    assert_eq!(p.items[2].kind, ItemKind::Login, "the login stays");
    assert_eq!(p.items[3].tags, ["Ünïcode group"]);
    assert_eq!(p.items[3].password, None);
}

#[test]
fn keepass_refuses_dtds() {
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><KeePassFile>&b;</KeePassFile>"#;
    assert!(parse(ImportFormat::KeepassXml, bomb).is_err());
}

#[test]
fn export_then_import_round_trips() {
    let p = parse(ImportFormat::BitwardenJson, &fixture("bitwarden.json")).expect("parse");
    let native = ExportFormat::IdpJson.export(p.items.iter());
    let back = parse(ImportFormat::IdpJson, native.expose().as_bytes()).expect("native back");
    assert_eq!(back.items.len(), p.items.len());
    for (a, b) in p.items.iter().zip(&back.items) {
        assert_eq!(a, b, "idp-json keeps every field");
    }
    let bw = ExportFormat::BitwardenJson.export(p.items.iter());
    let again = parse(ImportFormat::BitwardenJson, bw.expose().as_bytes()).expect("bitwarden back");
    assert_eq!(again.items.len(), p.items.len());
    for (a, b) in p.items.iter().zip(&again.items) {
        assert_eq!(
            (&a.name, &a.username, &a.password, &a.urls),
            (&b.name, &b.username, &b.password, &b.urls)
        );
        assert_eq!(
            (&a.card_number, &a.card_cvv, &a.card_expiry),
            (&b.card_number, &b.card_cvv, &b.card_expiry)
        );
    }
}

#[test]
fn entries_with_refused_names_are_labelled_short_in_the_report() {
    assert_eq!(entry_label("bad\x1bname"), "bad\x1bname");
    let long = entry_label(&"x".repeat(5000));
    assert_eq!(long.chars().count(), LABEL_CHARS + 1);
    assert!(long.ends_with('…'));
}

#[test]
fn keepass_attachments_larger_than_a_key_are_not_decompressed() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")
        .expect("gzip");
    gz.write_all(&vec![b'A'; 8 << 20]).expect("gzip");
    let bomb = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
    assert!(bomb.len() < 64 * 1024, "small in the file");
    let xml = format!(
        "<KeePassFile><Meta><Binaries><Binary ID=\"0\" Compressed=\"True\">{bomb}</Binary>\
         </Binaries></Meta><Root><Group><Name>r</Name><Entry>\
         <String><Key>Title</Key><Value>t</Value></String>\
         <Binary><Key>big</Key><Value Ref=\"0\"/></Binary>\
         <Binary><Key>dangling</Key><Value Ref=\"9\"/></Binary>\
         <Binary><Key>not base64</Key><Value>***</Value></Binary>\
         </Entry></Group></Root></KeePassFile>"
    );
    let p = parse(ImportFormat::KeepassXml, xml.as_bytes()).expect("keepass");
    assert_eq!(p.items.len(), 1);
    let reasons: Vec<(&str, bool)> = p
        .skipped
        .iter()
        .map(|s| {
            (
                s.entry.as_str(),
                s.reason.contains("attachments are not imported"),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("t (attachment big)", true),
            ("t (attachment dangling)", true),
            ("t (attachment not base64)", true)
        ]
    );
}
