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
