//! Whole files as hostile input: foreign, deleted, renamed and older logs,
//! links and FIFOs, an older header restored, a read-only folder, and a log
//! renamed away while the vault is open.

use super::*;

#[test]
fn foreign_deleted_renamed_and_older_logs_are_reported() {
    // Another vault's log copied in where this device's should be.
    let w = world();
    let (other, v) = new_vault();
    drop(v);
    let foreign = crate::common::log_files(&other.dir).remove(0);
    put(&w.a_log, &std::fs::read(foreign).expect("read"));
    let v = check(&w, "foreign log at own name", &["b"]).expect("opens");
    assert!(has(&v, |w| matches!(w, Warning::Quarantined { .. })));
    assert!(has(&v, |w| matches!(
        w,
        Warning::Rollback {
            seen: 3,
            found: 0,
            ..
        }
    )));

    for own in [true, false] {
        let name = if own { "own" } else { "other" };
        // Deleted.
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        std::fs::remove_file(log).expect("rm");
        let v = check(&w, &format!("{name} log deleted"), &[]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::Rollback { found: 0, .. })),
            "{name}"
        );
        // Renamed to a dot-file.
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        let hidden = log.with_file_name(format!(
            ".{}",
            log.file_name().expect("n").to_string_lossy()
        ));
        std::fs::rename(log, &hidden).expect("mv");
        let v = check(&w, &format!("{name} log hidden"), &[]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::Rollback { found: 0, .. })),
            "{name}"
        );
        assert!(hidden.exists());
        // Replaced by an older copy of itself.
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        let dev = if own { "a" } else { "b" };
        let old = std::fs::read(log).expect("read");
        let mut v = w.fx.unlock(&w.fx.device(dev));
        v.add(login("late", "pw-late")).expect("add");
        drop(v);
        // "a" sees the newer log once.
        drop(w.fx.unlock(&w.fx.device("a")));
        put(log, &old);
        let v = check(&w, &format!("{name} log rolled back"), &[]).expect("opens");
        assert!(
            has(
                &v,
                |w| matches!(w, Warning::Rollback { found, seen, .. } if found < seen)
            ),
            "{name}: {:?}",
            v.warnings()
        );
    }
}

#[test]
fn links_and_fifos_are_never_followed() {
    type Plant = fn(&World, &Path);
    let plants: [(&str, Plant); 4] = [
        ("a link to a file outside", |w, at| {
            symlink(&w.outside, at).expect("ln")
        }),
        ("a link to /dev/zero", |_, at| {
            symlink("/dev/zero", at).expect("ln")
        }),
        ("a link to a FIFO", |w, at| {
            let fifo = w.fx.tmp.path().join("fifo-outside");
            if !fifo.exists() {
                mkfifo(&fifo);
            }
            symlink(&fifo, at).expect("ln")
        }),
        ("a FIFO", |_, at| mkfifo(at)),
    ];
    for (what, plant) in plants {
        // In place of this device's log: moved to quarantine, a fresh log.
        let w = world();
        std::fs::remove_file(&w.a_log).expect("rm");
        plant(&w, &w.a_log);
        let mut v = check(&w, &format!("own log: {what}"), &["b"]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::Quarantined { .. })),
            "{what}"
        );
        v.add(login("after", "pw-after"))
            .expect("writes go to a fresh log");
        assert!(std::fs::symlink_metadata(&w.a_log).expect("log").is_file());
        // In place of another device's log: reported, left alone.
        let w = world();
        std::fs::remove_file(&w.b_log).expect("rm");
        plant(&w, &w.b_log);
        let v = check(&w, &format!("other log: {what}"), &["a"]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::Unreadable { .. })),
            "{what}"
        );
        assert!(!std::fs::symlink_metadata(&w.b_log).expect("kept").is_file());
        // In place of the header: this device's verified copy is put back.
        let w = world();
        let hdr = w.fx.dir.join("vault.idp");
        std::fs::remove_file(&hdr).expect("rm");
        plant(&w, &hdr);
        assert!(matches!(
            LockedVault::open(&w.fx.dir),
            Err(VaultError::HeaderDamaged { .. })
        ));
        let v = check(&w, &format!("header: {what}"), &["a", "b"]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::HeaderRestored { .. })),
            "{what}"
        );
        // In place of the logs folder: refused, naming it.
        let w = world();
        let logs = w.fx.dir.join("logs");
        std::fs::rename(&logs, w.fx.dir.join("logs-moved")).expect("mv");
        plant(&w, &logs);
        assert!(
            check(&w, &format!("logs folder: {what}"), &[]).is_none(),
            "{what}"
        );
    }
}

#[test]
fn an_older_header_restored_after_a_password_change_or_rotation_is_refused() {
    for rotate in [false, true] {
        let w = world();
        let old_header = std::fs::read(w.fx.dir.join("vault.idp")).expect("hdr");
        let new_pw = idp_vault::SecretString::from("a brand new password");
        let mut a = w.fx.unlock(&w.fx.device("a"));
        let key = if rotate {
            a.rotate_key(&w.fx.password).expect("rotate")
        } else {
            a.change_password(&w.fx.password, &new_pw, None)
                .expect("change");
            w.fx.key.clone()
        };
        let pw = if rotate { &w.fx.password } else { &new_pw };
        a.add(login("after", "written after the re-key"))
            .expect("add");
        drop(a);
        put(&w.fx.dir.join("vault.idp"), &old_header);

        // This device refuses the older header and opens with its own copy.
        let locked = LockedVault::open_for(&w.fx.dir, &w.fx.device("a")).expect("open");
        assert!(
            locked.findings().iter().any(|f| matches!(
                f,
                Warning::HeaderRolledBack {
                    found: 1,
                    seen: 2,
                    ..
                }
            )),
            "{:?}",
            locked.findings()
        );
        assert!(
            locked
                .unlock(&w.fx.password, &w.fx.key, &w.fx.device("a"))
                .is_err()
                || rotate
        );
        let v = locked
            .unlock(pw, &key, &w.fx.device("a"))
            .expect("verified copy");
        assert_eq!(v.len(), 6);
        drop(v);

        // Someone with the old header, the old kit and the old password
        // reads nothing written after the re-key.
        let snooper_dir = w.fx.tmp.path().join("snoop");
        std::fs::create_dir_all(snooper_dir.join("logs")).expect("mkdir");
        std::fs::write(snooper_dir.join("vault.idp"), &old_header).expect("hdr");
        for f in crate::common::log_files(&w.fx.dir) {
            std::fs::copy(&f, snooper_dir.join("logs").join(f.file_name().expect("n")))
                .expect("copy");
        }
        let snoop = LockedVault::open(&snooper_dir)
            .expect("open")
            .unlock(
                &w.fx.password,
                &w.fx.key,
                &Device::load_or_create(&w.fx.tmp.path().join("snooper")).expect("dev"),
            )
            .expect("the old header still opens the old items");
        assert!(snoop.find_by_name("after").is_empty(), "rotate={rotate}");
        assert!(snoop.items().all(|i| i.name != "after"));
    }
}

#[test]
fn a_read_only_vault_opens_for_reading() {
    if !rustix::process::geteuid().is_root() {
        eprintln!(
            "a_read_only_vault_opens_for_reading: needs root to mount a tmpfs; run as root (CI does)"
        );
        return;
    }
    let w = world();
    let mnt = w.fx.tmp.path().join("ro");
    std::fs::create_dir(&mnt).expect("mkdir");
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "idp-ro-test"])
        .arg(&mnt)
        .status()
        .expect("mount");
    assert!(status.success());
    let copy = std::process::Command::new("cp")
        .arg("-a")
        .arg(w.fx.dir.join("."))
        .arg(&mnt)
        .status()
        .expect("cp");
    assert!(copy.success());
    let remount = std::process::Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&mnt)
        .status()
        .expect("remount");
    let result = std::panic::catch_unwind(|| {
        assert!(remount.success());
        let mut v = LockedVault::open_for(&mnt, &w.fx.device("a"))
            .expect("open")
            .unlock(&w.fx.password, &w.fx.key, &w.fx.device("a"))
            .expect("unlock read-only");
        assert!(v.read_only());
        assert_eq!(v.len(), 5);
        assert!(has(&v, |w| matches!(w, Warning::ReadOnly { .. })));
        let err = v.add(login("x", "y")).expect_err("read-only");
        assert!(matches!(err, VaultError::ReadOnly { .. }), "{err:?}");
        assert!(err.to_string().contains("read-only"), "{err}");
    });
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn a_log_renamed_away_while_open_is_noticed_and_writing_goes_on() {
    let w = world();
    let mut a = w.fx.unlock(&w.fx.device("a"));
    let conflict = w.a_log.with_file_name(format!(
        "{}.sync-conflict-20261204-120000-ABCDEFG.log",
        w.a_log.file_stem().expect("stem").to_string_lossy()
    ));
    let before = std::fs::read(&w.a_log).expect("read");
    std::fs::rename(&w.a_log, &conflict).expect("sync tool renames");
    put(&w.a_log, &before);
    a.add(login("next", "pw-next"))
        .expect("write after the rename");
    assert_eq!(
        std::fs::read(&conflict).expect("conflict"),
        before,
        "the renamed file is not written"
    );
    drop(a);
    let v = w.fx.unlock(&w.fx.device("b"));
    assert!(!v.find_by_name("next").is_empty());
    assert_eq!(v.len(), 6);
}
