//! The vault folder as hostile input, through the real agent: links, FIFOs,
//! damaged and older headers planted in the folder never stall the agent
//! (`status` answers within 1 s throughout), never reach a file outside the
//! folder, lose nothing, and are reported by `idp status` and `idp vault
//! info`. The byte-level cases (every offset of every file) are in the vault
//! crate's `hostile` tests; these drive the same rules end to end.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::World;

/// `idp status --json`, which must answer within a second.
#[track_caller]
fn status(w: &World) -> serde_json::Value {
    let start = Instant::now();
    let out = w.idp(&["status", "--json"], "").ok();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "status took {took:?}");
    serde_json::from_str(&out).expect("status json")
}

fn notice_kinds(st: &serde_json::Value) -> Vec<String> {
    st["notices"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
}

fn vault(w: &World) -> PathBuf {
    w.path("data/idp/vault")
}

/// This device's log, named by its device id.
fn own_log(w: &World) -> PathBuf {
    let id = std::fs::read_to_string(w.path("state/idp/device-id")).expect("device id");
    vault(w).join("logs").join(format!("{}.log", id.trim()))
}

#[test]
fn planted_links_and_fifos_never_stall_the_agent_and_are_reported() {
    let w = World::new();
    let key = w.init("hostile pw");
    w.idp(&["add", "kept", "--password-stdin"], "kept-secret\n")
        .ok();
    let outside = w.path("outside.txt");
    std::fs::write(&outside, "the user's own file").expect("write");

    // While unlocked: another "device's" log that is a FIFO, and one that
    // is a link to /dev/zero. The folder watcher makes the agent read them.
    let logs = vault(&w).join("logs");
    mkfifo(&logs.join(format!("{}.log", "ab".repeat(16))));
    std::os::unix::fs::symlink("/dev/zero", logs.join(format!("{}.log", "cd".repeat(16))))
        .expect("ln");
    w.wait_for(5, "the planted files are reported", || {
        notice_kinds(&status(&w))
            .iter()
            .filter(|k| *k == "unreadable_file")
            .count()
            == 2
    });
    assert_eq!(w.idp(&["get", "kept"], "").ok().trim(), "kept-secret");

    // This device's own log replaced by a link to the user's file: moved
    // into quarantine at unlock, never written through.
    w.idp(&["lock"], "").ok();
    let own = own_log(&w);
    let moved = w.path("own-log-copy");
    std::fs::rename(&own, &moved).expect("mv");
    std::os::unix::fs::symlink(&outside, &own).expect("ln");
    w.unlock("hostile pw", &key).ok();
    let st = status(&w);
    assert!(notice_kinds(&st).contains(&"quarantined".into()), "{st}");
    assert!(notice_kinds(&st).contains(&"rollback".into()), "{st}");
    w.idp(&["add", "after", "--password-stdin"], "after-secret\n")
        .ok();
    assert_eq!(
        std::fs::read_to_string(&outside).expect("read"),
        "the user's own file"
    );
    assert!(std::fs::symlink_metadata(&own).expect("own").is_file());
    let info = w.idp(&["vault", "info"], "").ok();
    assert!(info.contains("quarantined:"), "{info}");

    // The header replaced by a FIFO while locked: the agent keeps its
    // verified copy, says so, and puts it back at unlock.
    w.idp(&["lock"], "").ok();
    let header = vault(&w).join("vault.idp");
    std::fs::remove_file(&header).expect("rm");
    mkfifo(&header);
    w.wait_for(5, "the header is reported", || {
        notice_kinds(&status(&w)).contains(&"header_damaged".into())
    });
    assert_eq!(w.state(), "locked");
    w.unlock("hostile pw", &key).ok();
    assert!(notice_kinds(&status(&w)).contains(&"header_restored".into()));
    assert!(std::fs::symlink_metadata(&header).expect("hdr").is_file());
    assert_eq!(w.idp(&["get", "after"], "").ok().trim(), "after-secret");
    let log = w.log();
    assert!(
        log.contains("moved into quarantine"),
        "the agent log says so"
    );
}

#[test]
fn a_damaged_header_says_so_and_init_refuses() {
    let a = World::new();
    a.init("pw");
    let copy = a.path("copied-vault");
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(vault(&a))
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(copied.success());
    let header = copy.join("vault.idp");
    let mut bytes = std::fs::read(&header).expect("read");
    bytes[40] ^= 0x55;
    std::fs::write(&header, &bytes).expect("write");

    // A device that never opened this vault can only say what is wrong.
    let b = World::with_vault(&copy);
    let st = status(&b);
    assert_eq!(st["state"], "damaged", "{st}");
    let text = b.idp(&["status"], "").ok();
    assert!(text.contains("vault header damaged"), "{text}");
    assert!(text.contains("restore vault.idp"), "{text}");
    assert!(!text.contains("no vault"), "{text}");
    let err = b.idp(&["init", "--password-stdin"], "new pw\n");
    assert_ne!(err.code(), 0);
    assert!(err.stderr().contains("damaged"), "{}", err.stderr());
    assert_eq!(
        std::fs::read(&header).expect("read"),
        bytes,
        "nothing changed"
    );
}

#[test]
fn an_older_header_after_a_password_change_is_not_used() {
    let w = World::new();
    let key = w.init("first pw");
    w.idp(&["add", "x", "--password-stdin"], "secret-x\n").ok();
    let header = vault(&w).join("vault.idp");
    let old = std::fs::read(&header).expect("read");
    w.idp(
        &["vault", "change-password", "--password-stdin"],
        "first pw\nsecond pw\n",
    )
    .ok();
    w.idp(&["lock"], "").ok();
    std::fs::write(&header, &old).expect("restore the old header");
    w.wait_for(5, "the rollback is reported", || {
        notice_kinds(&status(&w)).contains(&"header_rolled_back".into())
    });
    let refused = w.unlock("first pw", &key);
    assert_ne!(refused.code(), 0, "the old password opens nothing");
    w.unlock("second pw", &key).ok();
    assert_eq!(w.idp(&["get", "x"], "").ok().trim(), "secret-x");
    assert_ne!(std::fs::read(&header).expect("read"), old, "put back");
}

#[test]
fn a_planted_file_name_cannot_forge_a_line_of_the_agent_log() {
    let w = World::new();
    w.init("pw");
    let forged = "2026-01-01T00:00:00Z  INFO idp_agent: unlocked";
    let name = format!("notes\n{forged}\u{1b}[2J");
    std::fs::write(vault(&w).join("logs").join(&name), "planted").expect("plant");
    w.wait_for(5, "the planted file is reported", || {
        notice_kinds(&status(&w)).contains(&"ignored_file".into())
    });
    let log = w.log();
    assert!(log.contains("notes\\n2026-01-01"), "{log}");
    assert!(log.contains("\\x1b[2J"), "{log}");
    assert!(
        !log.lines().any(|l| l.starts_with(forged)),
        "a line of the log was forged: {log}"
    );
    assert!(!log.contains('\u{1b}'), "{log}");
}
