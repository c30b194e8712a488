//! Frozen vectors: a vault folder made by version 1 of the format with a
//! known password, client key and items. These files must never change:
//! every future version of idp-vault must open them to exactly these items.
//! If this test fails, the format changed incompatibly; fix the code, not
//! the fixture.

use std::path::{Path, PathBuf};

use idp_vault::{ClientKey, Device, ItemKind, LockedVault, SecretField, SecretString};

const PASSWORD: &str = "Frozen vector p\u{e4}ssword \u{1f512}";
const KEY: &str = "1C30J0-4B9ZW9-K886YD-BQ7CVN-J4YE8Q-5M8XYC";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v1")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

#[test]
fn frozen_vault_opens_to_exactly_its_items() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    copy_dir(&fixture(), &dir);
    let key = ClientKey::parse(KEY).expect("key");
    let locked = LockedVault::open(&dir).expect("open");
    let info = locked.info();
    assert_eq!(info.vault_id.to_hex(), "d2d2a227e8ac2d6b4a310f113a7b7fdc");
    assert_eq!(info.name, "Frozen");
    assert_eq!(info.kdf, idp_vault::KdfParams::FLOOR);
    let device = Device::load_or_create(&tmp.path().join("state")).expect("device");
    let v = locked
        .unlock(&SecretString::from(PASSWORD), &key, &device)
        .expect("unlock");
    let mut names: Vec<_> = v.items().map(|i| i.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Bank card", "GitHub", "Wi-Fi \u{1f4f6}"]);

    let gh = v.find_by_name("GitHub")[0];
    assert_eq!(gh.kind, ItemKind::Login);
    assert_eq!(gh.username.as_deref(), Some("octo"));
    assert_eq!(gh.password.as_ref().map(|p| p.expose()), Some("gh-pass-2"));
    assert_eq!(gh.urls, ["https://github.com"]);
    assert_eq!(
        gh.totp.as_ref().map(|p| p.expose()),
        Some("JBSWY3DPEHPK3PXP")
    );
    assert_eq!(gh.tags, ["dev"]);
    assert_eq!(gh.history.len(), 1);
    assert_eq!(gh.history[0].field, SecretField::Password);
    assert_eq!(gh.history[0].value.expose(), "gh-pass-1");

    let wifi = v.find_by_name("Wi-Fi \u{1f4f6}")[0];
    assert_eq!(wifi.kind, ItemKind::Note);
    assert_eq!(
        wifi.notes.as_ref().map(|p| p.expose()),
        Some("SSID home\npass: \"quoted\\\"")
    );

    let card = v.find_by_name("Bank card")[0];
    assert_eq!(card.kind, ItemKind::Card);
    assert_eq!(
        card.card_number.as_ref().map(|p| p.expose()),
        Some("4111 1111 1111 1111")
    );
    assert_eq!(card.card_cvv.as_ref().map(|p| p.expose()), Some("123"));
    assert_eq!(card.card_expiry.as_deref(), Some("12/31"));
    assert!(v.find_by_name("Deleted").is_empty());
}

/// Made the fixture once: `cargo test -p idp-vault --test it -- --ignored make_fixture`.
/// Kept to document how it was made; running it again writes a new folder
/// that must NOT replace the committed one.
#[test]
#[ignore = "writes a new fixture; the committed one is frozen"]
fn make_fixture() {
    let out = std::env::temp_dir().join("idp-vault-fixture-v1");
    let _ = std::fs::remove_dir_all(&out);
    let tmp = tempfile::tempdir().expect("tmp");
    let device = Device::load_or_create(tmp.path()).expect("device");
    let (mut v, key) = LockedVault::create(
        &out,
        "Frozen",
        &SecretString::from(PASSWORD),
        idp_vault::KdfParams::FLOOR,
        &device,
    )
    .expect("create");
    let mut gh = idp_vault::Item::new(ItemKind::Login, "GitHub");
    gh.username = Some("octo".into());
    gh.password = Some("gh-pass-1".into());
    gh.urls = vec!["https://github.com".into()];
    gh.totp = Some("JBSWY3DPEHPK3PXP".into());
    gh.tags = vec!["dev".into()];
    let gh = v.add(gh).expect("add");
    v.edit(&gh, |i| i.password = Some("gh-pass-2".into()))
        .expect("edit");
    let mut wifi = idp_vault::Item::new(ItemKind::Note, "Wi-Fi \u{1f4f6}");
    wifi.notes = Some("SSID home\npass: \"quoted\\\"".into());
    v.add(wifi).expect("add");
    let mut card = idp_vault::Item::new(ItemKind::Card, "Bank card");
    card.card_number = Some("4111 1111 1111 1111".into());
    card.card_cvv = Some("123".into());
    card.card_expiry = Some("12/31".into());
    v.add(card).expect("add");
    let gone = v
        .add(idp_vault::Item::new(ItemKind::Note, "Deleted"))
        .expect("add");
    v.remove(&gone).expect("rm");
    println!(
        "key {} vault {}",
        key.expose_grouped().expose(),
        v.info().vault_id
    );
}

/// A version 1 vault stays version 1 (so older idp-vault versions on other
/// devices keep reading it) until its first key rotation, which writes a
/// version 2 header; every device's version 1 log stays readable, and each
/// device rewrites its own log in the new format when it next opens.
#[test]
fn a_version_1_vault_is_upgraded_by_its_first_rotation_across_two_devices() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    copy_dir(&fixture(), &dir);
    let key = ClientKey::parse(KEY).expect("key");
    let pw = SecretString::from(PASSWORD);
    let dev = |n: &str| Device::load_or_create(&tmp.path().join(n)).expect("device");
    let header_version = || {
        let b = std::fs::read(dir.join("vault.idp")).expect("hdr");
        u16::from_le_bytes([b[8], b[9]])
    };
    let log_version = |d: &Device| {
        let b =
            std::fs::read(dir.join("logs").join(format!("{}.log", d.id().to_hex()))).expect("log");
        b[7]
    };
    let (a_dev, b_dev) = (dev("a"), dev("b"));
    let mut a = LockedVault::open(&dir)
        .expect("open")
        .unlock(&pw, &key, &a_dev)
        .expect("a");
    let mut b = LockedVault::open(&dir)
        .expect("open")
        .unlock(&pw, &key, &b_dev)
        .expect("b");
    let from_b = b
        .add(idp_vault::Item::new(ItemKind::Note, "written by b in v1"))
        .expect("add");
    assert_eq!(
        (header_version(), log_version(&b_dev)),
        (1, 1),
        "no upgrade before a re-key"
    );

    let new_key = a.rotate_key(&pw).expect("rotate");
    assert_eq!(header_version(), 2);
    assert_eq!(log_version(&a_dev), 2, "a's own log is rewritten at once");
    a.refresh().expect("a reads b's v1 log");
    assert!(a.get(&from_b).is_some());
    let from_a = a
        .add(idp_vault::Item::new(ItemKind::Note, "written by a in v2"))
        .expect("add");

    // b, still on the old key and a version 1 log, hears of the new header
    // (authenticated by its key) and stops writing.
    let warnings = b.refresh().expect("refresh");
    assert!(
        warnings.contains(&idp_vault::Warning::KeyRotatedElsewhere),
        "{warnings:?}"
    );
    assert!(b.key_changed());
    assert_eq!(log_version(&b_dev), 1);
    drop(b);
    let b = LockedVault::open_for(&dir, &b_dev)
        .expect("open")
        .unlock(&pw, &new_key, &b_dev)
        .expect("b with the new key");
    assert_eq!(log_version(&b_dev), 2, "b's log rewritten when it opens");
    assert!(b.get(&from_a).is_some() && b.get(&from_b).is_some());
    assert_eq!(b.len(), 5);
    drop(b);
    a.refresh().expect("a reads b's rewritten log");
    assert_eq!(a.len(), 5);
}
