//! The emergency kit from the command line: save, verify, unlock with it,
//! show the key; kits of other vaults and damaged files are refused.

use std::path::PathBuf;

use crate::harness::World;

fn saved_path(out: &str) -> PathBuf {
    let line = out
        .lines()
        .find(|l| l.starts_with("saved "))
        .expect("saved line");
    PathBuf::from(line.trim_start_matches("saved "))
}

#[test]
fn save_verify_and_unlock_with_each_kit_format() {
    let w = World::new();
    let key = w.init("kit password");
    for (flag, ext) in [("--pdf", "pdf"), ("--png", "png")] {
        let out = w
            .idp(&["kit", "save", flag, "--password-stdin"], "kit password\n")
            .ok();
        let file = saved_path(&out);
        assert_eq!(
            file.parent(),
            Some(w.path("home/Downloads").as_path()),
            "defaults to Downloads"
        );
        assert_eq!(file.extension().and_then(|e| e.to_str()), Some(ext));
        let name = file.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name.starts_with("ID Protection client key ")
                || name.starts_with("IDP_CLIENT_KEY_EMERGENCY_KIT"),
            "{name}"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&file).expect("meta").permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);

        let verdict = w
            .idp(&["kit", "verify", file.to_str().expect("utf8")], "")
            .ok();
        assert!(verdict.contains("current client key"), "{verdict}");
        let json: serde_json::Value = serde_json::from_str(
            &w.idp(
                &["kit", "verify", "--json", file.to_str().expect("utf8")],
                "",
            )
            .ok(),
        )
        .expect("json");
        assert_eq!(json["match"], "current");

        w.idp(&["lock"], "").ok();
        w.idp(
            &[
                "unlock",
                "--kit",
                file.to_str().expect("utf8"),
                "--password-stdin",
            ],
            "kit password\n",
        )
        .ok();
        assert!(w.idp(&["status"], "").ok().contains("unlocked"));
    }
    // The key printed by init is the key in the kits.
    let shown = w
        .idp(&["kit", "show", "--password-stdin"], "kit password\n")
        .ok();
    assert!(shown.contains(&key), "kit show prints the key");
    assert!(shown.contains('▀') || shown.contains('▄'), "and a QR code");
}

#[test]
fn showing_the_key_needs_the_right_password_and_an_unlocked_vault() {
    let w = World::new();
    let key = w.init("right one");
    let err = w
        .idp(&["kit", "show", "--password-stdin"], "wrong one\n")
        .fails(6);
    assert!(err.contains("wrong password"), "{err}");
    assert!(!err.contains(&key));
    w.idp(&["lock"], "").ok();
    w.idp(&["kit", "save", "--password-stdin"], "right one\n")
        .fails(3);
}

#[test]
fn kits_of_another_vault_and_damaged_files_are_refused() {
    let mine = World::new();
    mine.init("mine");
    let other = World::new();
    other.init("other");
    let out = other
        .idp(&["kit", "save", "--png", "--password-stdin"], "other\n")
        .ok();
    let foreign = saved_path(&out);
    let err = mine
        .idp(&["kit", "verify", foreign.to_str().expect("utf8")], "")
        .fails(8);
    assert!(err.contains("another vault"), "{err}");
    mine.idp(&["lock"], "").ok();
    let err = mine
        .idp(
            &[
                "unlock",
                "--kit",
                foreign.to_str().expect("utf8"),
                "--password-stdin",
            ],
            "mine\n",
        )
        .fails(8);
    assert!(err.contains("another vault"), "{err}");

    let junk = mine.path("home/ID Protection client key 12345.pdf");
    std::fs::write(&junk, b"%PDF-1.7\nnot really a pdf").expect("junk");
    let err = mine
        .idp(&["kit", "verify", junk.to_str().expect("utf8")], "")
        .fails(1);
    assert!(err.contains("not a readable kit"), "{err}");
}
