//! What the vault and its folder hold reaches the terminal escaped; new
//! item names are checked; names already stored, however long or strange,
//! still list and open.
//!
//! Names `add` refuses are written the way an older version or another
//! device would: through the vault library, as a second device of the
//! same folder.

use std::process::Command;

use crate::harness::{FAST_KDF, Run, World};

const PASSWORD: &str = "correct horse";
/// An item name that tries every trick: a colour and a screen clear, a CR
/// that would overwrite the line, and a right-to-left override.
const HOSTILE_NAME: &str = "bank\x1b[31m\x1b[2J\rfake\u{202e}gpj.exe";
const HOSTILE_USER: &str = "me\x1b]52;c;aGk=\x07\r\u{202e}";
const OLD_PASSWORD: &str = "old\x1b[31mpass";

/// Bytes that must never reach a terminal from a name.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    assert_eq!(raw_controls(text), Vec::<char>::new(), "{what}: {text:?}");
}

/// Adds `item` to the vault of `w` as another device would, with the agent
/// locked meanwhile; returns the item's id.
fn add_as_other_device(w: &World, key: &str, item: idp_vault::Item) -> String {
    w.idp(&["lock"], "").ok();
    std::fs::create_dir_all(w.path("other-device")).expect("mkdir");
    let locked = idp_vault::LockedVault::open(&w.path("data/idp/vault")).expect("open");
    let device = idp_vault::Device::load_or_create(&w.path("other-device")).expect("device");
    let mut vault = locked
        .unlock(
            &idp_vault::SecretString::new(PASSWORD.to_owned()),
            &idp_vault::ClientKey::parse(key).expect("key"),
            &device,
        )
        .expect("unlock as another device");
    let id = vault.add(item).expect("add").to_hex();
    drop(vault);
    w.unlock(PASSWORD, key).ok();
    id
}

fn hostile_item() -> idp_vault::Item {
    let mut item = idp_vault::Item::new(idp_vault::ItemKind::Login, HOSTILE_NAME);
    item.username = Some(HOSTILE_USER.to_owned());
    item.urls = vec!["https://x\x1b[8m.example".to_owned()];
    item.tags = vec!["t\u{2066}ag".to_owned()];
    item.password = Some(OLD_PASSWORD.into());
    item
}

/// `idp ARGS` on a pseudo-terminal (util-linux `script`): what a person
/// sees. The terminal turns each LF into CR LF; those CRs are removed.
fn on_terminal(w: &World, args: &[&str]) -> String {
    let mut line = w.bins.join("idp").display().to_string();
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut c = Command::new("script");
    w.envs(&mut c);
    let out = c
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .output()
        .expect("script (util-linux) must be installed");
    let run = Run(out);
    run.ok().replace("\r\n", "\n")
}

#[test]
fn names_from_the_vault_are_shown_escaped_in_every_human_output() {
    let w = World::new();
    // A vault name with controls is refused at init, the control escaped in
    // the error; names from vaults made before are escaped where shown.
    let mut args = vec!["init", "--password-stdin", "--name", "Home\x1b[5m\u{202e}"];
    args.extend(FAST_KDF);
    let err = w.idp(&args, &format!("{PASSWORD}\n")).fails(1);
    assert_clean("init", &err);
    assert!(err.contains("U+001B"), "{err}");
    args[3] = "Home \u{1F3E0}";
    let out = w.idp(&args, &format!("{PASSWORD}\n")).ok();
    assert_clean("init", &out);
    let key = out
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 41 && l.matches('-').count() == 5)
        .expect("client key")
        .to_owned();
    let id = add_as_other_device(&w, &key, hostile_item());
    // The username is not a name: `add` takes it as given.
    w.idp(
        &[
            "add",
            "plain",
            "--username",
            HOSTILE_USER,
            "--password-stdin",
        ],
        "pw\n",
    )
    .ok();
    w.idp(&["edit", &id, "--password-stdin"], "new-pass\n").ok();

    let list = w.idp(&["list"], "").ok();
    assert_clean("list", &list);
    assert!(
        list.contains("bank\\x1b[31m\\x1b[2J\\rfake\\u{202e}gpj.exe"),
        "{list}"
    );
    assert!(
        list.contains("me\\x1b]52;c;aGk=\\x07\\r\\u{202e}"),
        "{list}"
    );
    let search = w.idp(&["search", "bank"], "").ok();
    assert_clean("search", &search);
    assert!(search.contains("\\u{202e}gpj.exe"), "{search}");
    let history = w.idp(&["history", &id], "").ok();
    assert_clean("history", &history);
    assert!(history.contains("old\\x1b[31mpass"), "{history}");
    for args in [&["vault", "info"][..], &["status"][..]] {
        let out = w.idp(args, "").ok();
        assert_clean(&args.join(" "), &out);
        assert!(out.contains("Home \u{1F3E0}"), "{out}");
    }
    let err = w.idp(&["get", "nothing\x1b[2J"], "").fails(4);
    assert_clean("an error quoting the name", &err);

    // JSON stays JSON: the values as stored, in JSON's escapes.
    let json: serde_json::Value =
        serde_json::from_str(&w.idp(&["list", "--json"], "").ok()).expect("json");
    let names: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(names.contains(&HOSTILE_NAME), "{names:?}");

    // A value asked for on purpose goes to a pipe byte for byte, so that
    // `idp get x | cmd` sees what is stored...
    let piped = w.idp(&["get", &id, "--field", "username"], "").ok();
    assert_eq!(piped, format!("{HOSTILE_USER}\n"));
    // ...and to a terminal escaped, with a note on stderr.
    let seen = on_terminal(&w, &["get", &id, "--field", "username"]);
    assert_clean("get on a terminal", &seen);
    assert!(
        seen.contains("me\\x1b]52;c;aGk=\\x07\\r\\u{202e}"),
        "{seen}"
    );
    assert!(seen.contains("shown escaped"), "{seen}");
}

#[test]
fn item_names_are_checked_at_add_edit_and_import() {
    let w = World::new();
    w.init(PASSWORD);
    let long = "n".repeat(1025);
    for bad in [
        "line\nbreak",
        "esc\x1b[2J",
        "cr\rname",
        "rtl\u{202e}txt",
        &long,
    ] {
        let err = w.idp(&["add", bad, "--password-stdin"], "pw\n").fails(1);
        assert!(
            err.contains("control character") || err.contains("at most 1024"),
            "{bad:?}: {err}"
        );
        assert_clean("the refusal", &err);
    }
    w.idp(&["add", &"n".repeat(1024), "--password-stdin"], "pw\n")
        .ok();
    w.idp(&["add", "github", "--password-stdin"], "pw\n").ok();
    let err = w
        .idp(&["edit", "github", "--rename", "git\thub"], "")
        .fails(1);
    assert!(err.contains("control character"), "{err}");

    let csv = w.path("export.csv");
    std::fs::write(
        &csv,
        "name,url,username,password\n\
         good,https://good.example,me,pw1\n\
         \"bad\x1b[31m\",https://bad.example,me,pw2\n\
         \"two\nlines\",https://two.example,me,pw3\n",
    )
    .expect("csv");
    let report = w
        .idp(
            &["import", "--from", "csv", csv.to_str().expect("path")],
            "",
        )
        .ok();
    assert!(report.contains("imported 1 items"), "{report}");
    assert!(report.contains("2 skipped"), "{report}");
    assert!(
        report.contains("bad\\x1b[31m: the name holds a control character"),
        "{report}"
    );
    assert_clean("import report", &report);
    let list = w.idp(&["list"], "").ok();
    assert!(list.contains("good") && !list.contains("bad"), "{list}");
}

#[test]
fn huge_names_already_stored_list_and_search_without_panicking() {
    let w = World::new();
    let key = w.init(PASSWORD);
    let huge = "h".repeat(70_000);
    let mut item = idp_vault::Item::new(idp_vault::ItemKind::Login, &huge);
    item.username = Some("u".repeat(70_000));
    add_as_other_device(&w, &key, item);
    w.idp(&["add", "short", "--password-stdin"], "pw\n").ok();
    for args in [&["list"][..], &["search", "h"][..]] {
        let out = w.idp(args, "").ok();
        let start: String = out.chars().take(200).collect();
        assert!(out.contains("more characters)"), "{start}");
        assert!(out.len() < 1000, "{} bytes", out.len());
    }
    let list = w.idp(&["list"], "").ok();
    let short = list
        .lines()
        .find(|l| l.starts_with("short"))
        .expect("short");
    assert!(short.len() < 60, "the column is capped: {short:?}");
    // The whole name is still there for scripts, and the item opens.
    let json: serde_json::Value =
        serde_json::from_str(&w.idp(&["search", "hhh", "--json"], "").ok()).expect("json");
    assert_eq!(json[0]["name"].as_str().map(str::len), Some(70_000));
    w.idp(&["get", &huge[..], "--field", "username"], "").ok();
}
