use idp_vault::{
    ClientKey, Device, ItemKind, KdfParams, KeyMatch, LockedVault, SecretField, SecretString,
    VaultError,
};

use crate::common::{fast, login, new_vault};

#[test]
fn create_add_lock_unlock_keeps_items() {
    let (fx, mut v) = new_vault();
    let id = v.add(login("github", "s3cret-gh")).expect("add");
    let mut note = idp_vault::Item::new(ItemKind::Note, "wifi");
    note.notes = Some("the password is on the fridge".into());
    v.add(note).expect("add note");
    assert_eq!(v.len(), 2);
    let locked = v.lock();
    assert_eq!(locked.info().name, "Personal");

    let dev = fx.device("a");
    let v = fx.unlock(&dev);
    assert_eq!(v.len(), 2);
    let gh = v.get(&id).expect("github");
    assert_eq!(gh.password.as_ref().map(|p| p.expose()), Some("s3cret-gh"));
    assert_eq!(v.find_by_name("github").len(), 1);
    assert_eq!(v.search("GITHUB.example").len(), 1);
    assert_eq!(v.search("wif").len(), 1);
    assert_eq!(v.search("nothing-like-this").len(), 0);
}

#[test]
fn edit_keeps_history_and_remove_is_durable() {
    let (fx, mut v) = new_vault();
    let id = v.add(login("mail", "first")).expect("add");
    v.edit(&id, |i| i.password = Some("second".into()))
        .expect("edit");
    v.edit(&id, |i| i.name = "mail (work)".into())
        .expect("rename");
    let item = v.get(&id).expect("item");
    assert_eq!(item.history.len(), 1);
    assert_eq!(item.history[0].field, SecretField::Password);
    assert_eq!(item.history[0].value.expose(), "first");
    let other = v.add(login("bank", "b")).expect("add");
    v.remove(&other).expect("remove");
    assert!(matches!(v.remove(&other), Err(VaultError::ItemNotFound)));
    drop(v);

    let v = fx.unlock(&fx.device("a"));
    assert_eq!(v.len(), 1);
    assert_eq!(v.get(&id).expect("item").name, "mail (work)");
    assert!(v.get(&other).is_none());
}

#[test]
fn errors_tell_wrong_password_foreign_key_and_typo_apart() {
    let (fx, v) = new_vault();
    drop(v);
    let locked = LockedVault::open(&fx.dir).expect("open");
    let dev = fx.device("a");
    let wrong = locked.unlock(&"correct horse battery stapler".into(), &fx.key, &dev);
    assert!(matches!(wrong, Err(VaultError::WrongPassword)), "{wrong:?}");
    let other = ClientKey::generate().expect("key");
    assert_eq!(locked.check_key(&other), KeyMatch::Foreign);
    let foreign = locked.unlock(&fx.password, &other, &dev);
    assert!(
        matches!(foreign, Err(VaultError::ForeignKey)),
        "{foreign:?}"
    );
    let mut typo = fx.key.expose_canonical().expose().as_bytes().to_vec();
    typo[10] = if typo[10] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        ClientKey::parse(std::str::from_utf8(&typo).expect("ascii")),
        Err(idp_vault::ParseKeyError::Typo)
    );
    assert!(matches!(
        LockedVault::open(&fx.dir.join("nope")),
        Err(VaultError::NoVault { .. })
    ));
}

#[test]
fn error_messages_say_what_to_do_and_hold_no_secret() {
    let (fx, v) = new_vault();
    drop(v);
    let locked = LockedVault::open(&fx.dir).expect("open");
    let err = locked
        .unlock(&"hunter2-wrong".into(), &fx.key, &fx.device("a"))
        .expect_err("wrong");
    let text = format!("{err} {err:?}");
    assert!(text.contains("check the password"));
    assert!(!text.contains("hunter2"));
    assert!(!text.contains(fx.key.expose_canonical().expose()));
}

#[test]
fn create_refuses_weak_kdf_and_existing_vault() {
    let (fx, v) = new_vault();
    drop(v);
    let dev = fx.device("a");
    let again = LockedVault::create(&fx.dir, "x", &fx.password, fast(), &dev);
    assert!(matches!(again, Err(VaultError::AlreadyExists { .. })));
    let weak = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let dir = fx.tmp.path().join("weak");
    assert!(matches!(
        LockedVault::create(&dir, "x", &fx.password, weak, &dev),
        Err(VaultError::WeakKdf { .. })
    ));
}

#[test]
fn change_password_and_rotate_key() {
    let (fx, mut v) = new_vault();
    let id = v.add(login("github", "gh")).expect("add");
    let new_pw = SecretString::from("a whole new password");
    assert!(matches!(
        v.change_password(&"not it".into(), &new_pw, None),
        Err(VaultError::WrongPassword)
    ));
    v.change_password(&fx.password, &new_pw, None)
        .expect("change");
    let new_key = v.rotate_key(&new_pw).expect("rotate");
    assert_ne!(new_key, fx.key);
    drop(v);

    let locked = LockedVault::open(&fx.dir).expect("open");
    let dev = fx.device("a");
    assert!(matches!(
        locked.unlock(&fx.password, &new_key, &dev),
        Err(VaultError::WrongPassword)
    ));
    assert!(matches!(locked.check_key(&fx.key), KeyMatch::Stale { .. }));
    assert!(matches!(
        locked.unlock(&new_pw, &fx.key, &dev),
        Err(VaultError::StaleKey { .. })
    ));
    let v = locked.unlock(&new_pw, &new_key, &dev).expect("unlock");
    assert!(v.get(&id).is_some());
    assert_eq!(v.info().retired_keys.len(), 1);
}

#[test]
fn two_devices_see_each_others_writes() {
    let (fx, mut a) = new_vault();
    let b_dev: Device = fx.device("b");
    let mut b = fx.unlock(&b_dev);
    let id = a.add(login("shared", "one")).expect("add");
    assert!(b.get(&id).is_none());
    b.refresh().expect("refresh");
    assert_eq!(
        b.get(&id)
            .expect("seen")
            .password
            .as_ref()
            .map(|p| p.expose()),
        Some("one")
    );
    b.edit(&id, |i| i.password = Some("two".into()))
        .expect("edit");
    a.refresh().expect("refresh");
    assert_eq!(
        a.get(&id)
            .expect("seen")
            .password
            .as_ref()
            .map(|p| p.expose()),
        Some("two")
    );
    assert_eq!(super::common::log_files(&fx.dir).len(), 2);
}

#[test]
fn compaction_keeps_state_and_sequence() {
    let (fx, mut v) = new_vault();
    let id = v.add(login("a", "0")).expect("add");
    for n in 1..50 {
        v.edit(&id, |i| i.password = Some(n.to_string().into()))
            .expect("edit");
    }
    let gone = v.add(login("gone", "x")).expect("add");
    v.remove(&gone).expect("rm");
    let head = v.heads().values().copied().max();
    let report = v.compact().expect("compact");
    assert_eq!(report.records_before, 52);
    assert_eq!(report.records_after, 2);
    assert!(report.bytes_after < report.bytes_before);
    v.edit(&id, |i| i.name = "renamed".into())
        .expect("edit after compaction");
    drop(v);
    let v = fx.unlock(&fx.device("a"));
    assert_eq!(v.len(), 1);
    let item = v.get(&id).expect("item");
    assert_eq!(item.name, "renamed");
    assert_eq!(item.password.as_ref().map(|p| p.expose()), Some("49"));
    assert_eq!(item.history.len(), idp_vault::MAX_HISTORY.min(49));
    assert!(v.heads().values().copied().max() > head);
}

#[test]
fn a_second_writer_on_one_device_is_refused() {
    let (fx, v) = new_vault();
    let again =
        LockedVault::open(&fx.dir)
            .expect("open")
            .unlock(&fx.password, &fx.key, &fx.device("a"));
    assert!(
        matches!(again, Err(VaultError::LogBusy { .. })),
        "{again:?}"
    );
    drop(v);
}

#[test]
fn rollback_of_a_log_is_reported() {
    let (fx, mut a) = new_vault();
    let mut b = fx.unlock(&fx.device("b"));
    a.add(login("one", "1")).expect("add");
    let a_log = super::common::log_files(&fx.dir)
        .into_iter()
        .find(|p| p.to_string_lossy().contains(&a.device().id().to_hex()))
        .expect("a's log");
    let old_copy = std::fs::read(&a_log).expect("read");
    a.add(login("two", "2")).expect("add");
    b.refresh().expect("refresh");
    drop(a);
    std::fs::write(&a_log, old_copy).expect("roll back");
    let warnings = b.refresh().expect("refresh");
    assert!(
        warnings.iter().any(|w| matches!(
            w,
            idp_vault::Warning::Rollback {
                seen: 2,
                found: 1,
                ..
            }
        )),
        "{warnings:?}"
    );
    assert_eq!(b.len(), 2, "nothing seen before is forgotten");
}

#[test]
fn reset_vault_is_noticed_by_an_open_device() {
    let (fx, a) = new_vault();
    drop(a);
    let mut b = fx.unlock(&fx.device("b"));
    std::fs::remove_dir_all(&fx.dir).expect("wipe");
    let (_, _) = LockedVault::create(&fx.dir, "Personal", &fx.password, fast(), &fx.device("c"))
        .expect("recreate");
    assert!(matches!(b.refresh(), Err(VaultError::VaultReplaced { .. })));
}

#[test]
fn batch_add_is_one_durable_write_and_reload_reads_it_back() {
    let (fx, mut v) = new_vault();
    let mut items: Vec<_> = (0..100).map(|n| login(&format!("b{n}"), "x")).collect();
    items[1].id = items[0].id; // a clash inside the batch gets a new id
    let ids = v.add_batch(items).expect("batch");
    assert_eq!(ids.len(), 100);
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        100
    );
    assert_eq!(v.reload().expect("reload"), vec![]);
    assert_eq!(v.len(), 100);
    assert_eq!(v.verify().expect("verify").records, 100);
    drop(v);
    assert_eq!(fx.unlock(&fx.device("a")).len(), 100);
}

#[test]
fn concurrent_edits_pick_one_winner_and_keep_the_loser_in_history() {
    let (fx, mut a) = new_vault();
    let id = a.add(login("shared", "base")).expect("add");
    let mut b = fx.unlock(&fx.device("b"));
    // Both edit before seeing each other's change.
    a.edit(&id, |i| i.password = Some("from-a".into()))
        .expect("edit a");
    b.edit(&id, |i| i.password = Some("from-b".into()))
        .expect("edit b");
    a.refresh().expect("refresh a");
    b.refresh().expect("refresh b");
    let (ia, ib) = (a.get(&id).expect("a"), b.get(&id).expect("b"));
    assert_eq!(ia.password, ib.password, "one winner on both devices");
    assert_eq!(ia.history, ib.history, "one history on both devices");
    let mut kept: Vec<&str> = ia.history.iter().map(|h| h.value.expose()).collect();
    kept.push(ia.password.as_ref().expect("pw").expose());
    kept.sort_unstable();
    assert_eq!(kept, ["base", "from-a", "from-b"], "no edit lost");
}

#[test]
fn a_sync_tools_conflicted_copy_is_merged_and_reported() {
    let (fx, mut a) = new_vault();
    let first = a.add(login("one", "1")).expect("add");
    let log = super::common::log_files(&fx.dir)
        .into_iter()
        .find(|p| p.to_string_lossy().contains(&a.device().id().to_hex()))
        .expect("a's log");
    let copy = log.with_file_name(format!(
        "{}.sync-conflict-20261127-101500-ABCDEFG.log",
        a.device().id()
    ));
    std::fs::copy(&log, &copy).expect("conflict copy");
    let second = a.add(login("two", "2")).expect("add");
    // A sync tool puts the older copy in place and keeps ours as the conflict.
    std::fs::rename(&log, log.with_extension("newer")).expect("move");
    std::fs::rename(&copy, &log).expect("older in place");
    std::fs::rename(log.with_extension("newer"), &copy).expect("newer as conflict");
    std::fs::write(fx.dir.join("logs/.syncthing.x.tmp"), b"partial").expect("temp");
    drop(a);
    let mut b = fx.unlock(&fx.device("b"));
    assert!(
        b.get(&first).is_some() && b.get(&second).is_some(),
        "nothing lost"
    );
    let warnings = b.refresh().expect("refresh");
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, idp_vault::Warning::ConflictCopy { .. })),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|w| matches!(w, idp_vault::Warning::IgnoredFile { .. })),
        "temp files are not reported: {warnings:?}"
    );
}

#[test]
fn import_reports_duplicates_and_is_one_write() {
    use idp_vault::interchange::{ImportFormat, parse};
    let (fx, mut v) = new_vault();
    let csv = b"name,url,username,password\nA,https://a.example,u,p1\nB,https://b.example,u,p2\nA,https://a.example,u,p1\n";
    let report = v
        .import(parse(ImportFormat::Csv, csv).expect("parse"))
        .expect("import");
    assert_eq!(report.imported, 2);
    assert_eq!(report.duplicates, ["A"]);
    let again = v
        .import(parse(ImportFormat::Csv, csv).expect("parse"))
        .expect("import");
    assert_eq!(again.imported, 0, "importing twice adds nothing");
    assert_eq!(again.duplicates.len(), 3);
    drop(v);
    assert_eq!(fx.unlock(&fx.device("a")).len(), 2);
}

#[test]
fn other_devices_hear_of_password_changes_and_key_rotation() {
    let (fx, mut a) = new_vault();
    let mut b = fx.unlock(&fx.device("b"));
    let new_pw = idp_vault::SecretString::from("new password for both");
    a.change_password(&fx.password, &new_pw, None)
        .expect("change");
    assert_eq!(
        b.refresh().expect("refresh"),
        [idp_vault::Warning::PasswordChangedElsewhere]
    );
    assert!(matches!(
        b.lock().unlock(&fx.password, &fx.key, &fx.device("b")),
        Err(VaultError::WrongPassword)
    ));
    let mut b = LockedVault::open(&fx.dir)
        .expect("open")
        .unlock(&new_pw, &fx.key, &fx.device("b"))
        .expect("the new password");
    let new_key = a.rotate_key(&new_pw).expect("rotate");
    assert_eq!(
        b.refresh().expect("refresh"),
        [idp_vault::Warning::KeyRotatedElsewhere]
    );
    assert!(b.key_changed(), "b stops writing under the old key");
    assert!(matches!(
        b.add(login("late", "x")),
        Err(VaultError::KeyChanged)
    ));
    let id = a.add(login("after", "rotation")).expect("add");
    let warnings = b.refresh().expect("refresh");
    assert!(
        b.get(&id).is_none(),
        "what is written after a re-key needs the new vault key"
    );
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, idp_vault::Warning::NewerKey { .. })),
        "{warnings:?}"
    );
    drop(b);
    let locked = LockedVault::open(&fx.dir).expect("open");
    assert!(matches!(
        locked.unlock(&new_pw, &fx.key, &fx.device("b")),
        Err(VaultError::StaleKey { .. })
    ));
    let b = locked
        .unlock(&new_pw, &new_key, &fx.device("b"))
        .expect("new key and password");
    assert!(b.get(&id).is_some(), "unlocked again, b reads it");
    assert!(matches!(
        LockedVault::create(
            &fx.tmp.path().join("long"),
            &"x".repeat(300),
            &fx.password,
            fast(),
            &fx.device("c")
        ),
        Err(VaultError::NameTooLong { .. })
    ));
    for (i, bad) in [
        "home\nINFO forged",
        "a\u{1b}[2Jb",
        "x\u{202E}y",
        "tab\there",
    ]
    .iter()
    .enumerate()
    {
        assert!(matches!(
            LockedVault::create(
                &fx.tmp.path().join(format!("control-{i}")),
                bad,
                &fx.password,
                fast(),
                &fx.device("c")
            ),
            Err(VaultError::NameControl { .. })
        ));
    }
}
