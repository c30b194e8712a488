//! `idp vault reset | change-password | rotate-key | info`, `idp import`
//! and `idp export`, end to end, with a second device on the same folder
//! where the change concerns it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::{FAST_KDF, World};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(name)
        .display()
        .to_string()
}

#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(3), "{what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The path printed after `saved `.
fn saved_path(out: &str) -> PathBuf {
    out.lines()
        .find_map(|l| l.strip_prefix("saved "))
        .map(PathBuf::from)
        .expect("a saved kit")
}

fn pair() -> (tempfile::TempDir, World, World, String) {
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("shared");
    let a = World::with_vault(&folder);
    let key = a.init("pw");
    let b = World::with_vault(&folder);
    b.unlock("pw", &key).ok();
    (root, a, b, key)
}

fn save_kit(w: &World, password: &str) -> PathBuf {
    let dir = w.path("kits");
    let out = w
        .idp(
            &[
                "kit",
                "save",
                "--password-stdin",
                "--dir",
                dir.to_str().expect("utf-8"),
            ],
            &format!("{password}\n"),
        )
        .ok();
    saved_path(&out)
}

#[test]
fn change_password_reaches_the_other_device() {
    let (_root, a, b, key) = pair();
    a.idp(&["add", "x", "--password-stdin"], "secret-x\n").ok();
    let err = a
        .idp(
            &["vault", "change-password", "--password-stdin"],
            "wrong\nnew pw\n",
        )
        .fails(6);
    assert!(err.contains("wrong password"), "{err}");
    a.idp(
        &["vault", "change-password", "--password-stdin"],
        "pw\nnew pw\n",
    )
    .ok();
    eventually("b hears of the change", || {
        b.idp(&["status"], "")
            .ok()
            .contains("password was changed on another device")
    });
    b.idp(&["lock"], "").ok();
    b.unlock("pw", &key).fails(6);
    b.unlock("new pw", &key).ok();
    assert_eq!(b.idp(&["get", "x"], "").ok().trim(), "secret-x");
    a.idp(&["lock"], "").ok();
    a.unlock("new pw", &key).ok();
}

#[test]
fn rotate_key_makes_old_kits_stale_everywhere() {
    let (_root, a, b, key) = pair();
    let old_kit = save_kit(&a, "pw");
    let dir = a.path("kits");
    let out = a
        .idp(
            &[
                "vault",
                "rotate-key",
                "--password-stdin",
                "--dir",
                dir.to_str().expect("utf-8"),
            ],
            "pw\n",
        )
        .ok();
    let new_kit = saved_path(&out);
    assert_ne!(new_kit, old_kit);
    let err = a
        .idp(&["kit", "verify", old_kit.to_str().expect("utf-8")], "")
        .fails(8);
    assert!(err.contains("stale"), "{err}");
    a.idp(&["kit", "verify", new_kit.to_str().expect("utf-8")], "")
        .ok();
    eventually("b hears of the new key", || {
        b.idp(&["status", "--json"], "")
            .ok()
            .contains("key_rotated_elsewhere")
    });
    b.idp(&["lock"], "").ok();
    let err = b.unlock("pw", &key).fails(6);
    assert!(err.contains("replaced"), "{err}");
    b.idp(
        &[
            "unlock",
            "--password-stdin",
            "--kit",
            new_kit.to_str().expect("utf-8"),
        ],
        "pw\n",
    )
    .ok();
}

#[test]
fn reset_deletes_everything_and_the_other_device_notices() {
    let (_root, a, b, _key) = pair();
    a.idp(&["add", "doomed", "--password-stdin"], "gone soon\n")
        .ok();
    let old_kit = save_kit(&a, "pw");
    let before: serde_json::Value =
        serde_json::from_str(&a.idp(&["status", "--json"], "").ok()).expect("json");

    // No terminal for the typed word and no --yes-delete-everything.
    let err = a
        .idp(&["vault", "reset", "--password-stdin"], "fresh pw\n")
        .fails(1);
    assert!(err.contains("--yes-delete-everything"), "{err}");
    assert_eq!(a.idp(&["get", "doomed"], "").ok().trim(), "gone soon");

    let dir = a.path("kits");
    let mut args = vec![
        "vault",
        "reset",
        "--yes-delete-everything",
        "--password-stdin",
        "--kit",
        old_kit.to_str().expect("utf-8"),
        "--dir",
        dir.to_str().expect("utf-8"),
    ];
    args.extend(FAST_KDF);
    let run = a.idp(&args, "fresh pw\n");
    let out = run.ok();
    assert!(
        run.stderr()
            .contains("found an emergency kit of this vault"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("cannot be undone"),
        "{}",
        run.stderr()
    );
    let new_kit = saved_path(&out);
    let after: serde_json::Value =
        serde_json::from_str(&a.idp(&["status", "--json"], "").ok()).expect("json");
    assert_ne!(before["vault"]["id"], after["vault"]["id"]);
    assert_eq!(after["state"], "unlocked");
    assert_eq!(a.idp(&["list", "--json"], "").ok().trim(), "[]");
    a.idp(&["kit", "verify", old_kit.to_str().expect("utf-8")], "")
        .fails(8);

    // The other device locks and says why, instead of merging.
    eventually("b notices the reset", || {
        b.idp(&["status", "--json"], "")
            .ok()
            .contains("vault_reset_elsewhere")
    });
    b.idp(&["get", "doomed"], "").fails(3);
    b.idp(
        &[
            "unlock",
            "--password-stdin",
            "--kit",
            new_kit.to_str().expect("utf-8"),
        ],
        "fresh pw\n",
    )
    .ok();
    assert_eq!(b.idp(&["list", "--json"], "").ok().trim(), "[]");
    b.idp(&["add", "new life", "--password-stdin"], "fresh\n")
        .ok();
    eventually("a sees b's item in the new vault", || {
        a.idp(&["get", "new life"], "").code() == 0
    });
}

/// `idp import --json`, parsed.
fn import(w: &World, from: &str, file: &str) -> serde_json::Value {
    serde_json::from_str(&w.idp(&["import", "--from", from, file, "--json"], "").ok())
        .expect("json")
}

#[test]
fn import_fixtures_of_every_format_with_awkward_fields() {
    let w = World::new();
    w.init("pw");
    let r = import(&w, "bitwarden-json", &fixture("bitwarden.json"));
    assert_eq!(r["imported"], 7, "{r}");
    assert_eq!(r["duplicates"], serde_json::json!(["twin"]), "{r}");
    assert_eq!(
        r["skipped"],
        serde_json::json!([{
            "entry": "Ünïcødé GitHub 🐙 (passkey for github.com, user jörg)",
            "reason": "passkeys are not imported: idp-vault cannot hold them; the login itself was \
                       imported, and the passkey stays usable where it is now"
        }]),
        "the passkey is named, nothing else is left out: {r}"
    );
    assert_eq!(
        w.idp(&["get", "my passport identity", "--field", "notes"], "")
            .ok()
            .trim(),
        "first name: Jörg\nlast name: Ü\npassport number: C01X00T47\nemail: jörg@example.org",
        "an identity is a note holding every field"
    );
    assert_eq!(
        w.idp(&["get", "Ünïcødé GitHub 🐙"], "").ok().trim(),
        "pässwörd ✓ with spaces"
    );
    let gh: serde_json::Value =
        serde_json::from_str(&w.idp(&["get", "Ünïcødé GitHub 🐙", "--json"], "").ok())
            .expect("json");
    assert_eq!(
        gh["notes"],
        "line one\nline two with \"quotes\"\n\ttabbed line"
    );
    assert_eq!(gh["urls"].as_array().map(Vec::len), Some(2));
    assert!(
        w.idp(&["history", "Ünïcødé GitHub 🐙"], "")
            .ok()
            .contains("older-πassword")
    );
    assert_eq!(
        w.idp(&["get", "Visa", "--field", "card-holder"], "")
            .ok()
            .trim(),
        "Zoë Ångström"
    );
    // The same file again: everything is a duplicate, nothing is added.
    let again = import(&w, "bitwarden-json", &fixture("bitwarden.json"));
    assert_eq!(again["imported"], 0, "{again}");

    let r = import(&w, "csv", &fixture("chrome.csv"));
    assert_eq!(r["imported"], 5, "{r}");
    assert_eq!(r["duplicates"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["skipped"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(
        w.idp(&["get", "Ünïcødé mail ✉"], "").ok().trim(),
        "p,ss\"word"
    );
    w.idp(&["get", "nameless.example.net", "--field", "username"], "")
        .ok();
    assert_eq!(
        w.idp(&["get", "four-field row"], "").ok().trim(),
        "pw-four",
        "Chrome leaves the empty note column out of some rows"
    );
    let r = import(&w, "csv", &fixture("firefox.csv"));
    assert_eq!(r["imported"], 2, "{r}");
    assert_eq!(
        w.idp(&["get", "www.mozilla.org"], "").ok().trim(),
        "ф-пароль"
    );
    let r = import(&w, "csv", &fixture("safari.csv"));
    assert_eq!(r["imported"], 1, "{r}");
    w.idp(&["totp", "Bank 🏦"], "").ok();

    let r = import(&w, "keepass-xml", &fixture("keepass.xml"));
    assert_eq!(r["imported"], 3, "{r}");
    assert_eq!(
        r["skipped"][0]["entry"], "Ünïcødé server 🖥 (attachment server notes.txt)",
        "{r}"
    );
    assert_eq!(r["skipped"][1]["reason"], "it is in the recycle bin", "{r}");
    assert_eq!(
        w.idp(&["get", "Ünïcødé server 🖥"], "").ok().trim(),
        "kp-<&>-pass"
    );

    // A file broken at the end is refused whole.
    let count = w.idp(&["list", "--json"], "").ok();
    let err = w
        .idp(
            &[
                "import",
                "--from",
                "bitwarden-json",
                &fixture("broken.json"),
            ],
            "",
        )
        .fails(1);
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(w.idp(&["list", "--json"], "").ok(), count);
}

#[test]
fn export_refuses_without_plaintext_writes_0600_and_round_trips() {
    let w = World::new();
    w.init("pw");
    w.idp(
        &[
            "import",
            "--from",
            "bitwarden-json",
            &fixture("bitwarden.json"),
        ],
        "",
    )
    .ok();
    w.idp(&["edit", "Visa", "--password-stdin"], "card-login\n")
        .ok();
    let file = w.path("home/export.json");
    let f = file.to_str().expect("utf-8");
    let err = w.idp(&["export", "--format", "json", f], "pw\n").fails(1);
    assert!(err.contains("--plaintext"), "{err}");
    assert!(!file.exists());
    let plaintext = [
        "export",
        "--format",
        "json",
        "--plaintext",
        "--password-stdin",
        f,
    ];
    let run = w.idp(&plaintext, "pw\n");
    run.ok();
    assert!(run.stderr().contains("plain text"), "{}", run.stderr());
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Never replaces a file.
    w.idp(&plaintext, "pw\n").fails(1);
    let bw = w.path("home/bitwarden.json");
    w.idp(
        &[
            "export",
            "--format",
            "bitwarden-json",
            "--plaintext",
            "--password-stdin",
            bw.to_str().expect("utf-8"),
        ],
        "pw\n",
    )
    .ok();

    let other = World::new();
    other.init("pw");
    let r = import(&other, "json", f);
    assert_eq!(r["imported"], 7, "{r}");
    for name in ["Ünïcødé GitHub 🐙", "Wi-Fi at home", "Visa"] {
        let item = |x: &World| {
            let mut v: serde_json::Value =
                serde_json::from_str(&x.idp(&["get", name, "--json"], "").ok()).expect("json");
            // A new id and new times are the importing vault's own.
            for k in ["id", "created", "modified"] {
                v[k] = serde_json::Value::Null;
            }
            v
        };
        assert_eq!(item(&w), item(&other), "{name}");
        assert_eq!(
            w.idp(&["history", name, "--json"], "").ok(),
            other.idp(&["history", name, "--json"], "").ok()
        );
    }
    let third = World::new();
    third.init("pw");
    let r = import(&third, "bitwarden-json", bw.to_str().expect("utf-8"));
    assert_eq!(r["imported"], 7, "{r}");
    assert_eq!(
        third.idp(&["get", "Ünïcødé GitHub 🐙"], "").ok().trim(),
        "pässwörd ✓ with spaces"
    );
}

#[test]
fn a_large_import_goes_through_in_pieces() {
    let w = World::new();
    w.init("pw");
    let mut csv = String::from("name,url,username,password,note\n");
    for n in 0..5000 {
        csv.push_str(&format!(
            "entry {n} ✓,https://site{n}.example/login,user{n}@example.org,{}-{n},\"a note\nover two lines {n}\"\n",
            "x".repeat(400)
        ));
    }
    assert!(csv.len() > 2 * 1024 * 1024, "more than one frame");
    let file = w.path("home/big.csv");
    std::fs::write(&file, &csv).expect("write");
    let r = import(&w, "csv", file.to_str().expect("utf-8"));
    assert_eq!(r["imported"], 5000, "{r}");
    let status = w.idp(&["status"], "").ok();
    assert!(status.contains("5000 items"), "{status}");
}
