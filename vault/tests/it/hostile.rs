//! The vault folder as hostile input. Each case starts from a vault with
//! items written by two devices (this one, "a", and "b"), changes the
//! folder as a sync tool, a restore or an attacker could, and unlocks as
//! "a". For every case:
//!
//! - no byte that was in the folder is lost: each file as it was after the
//!   change is still at its place or, byte for byte, in quarantine (a cut
//!   tail in quarantine together with what stayed);
//! - no file outside the vault folder changes;
//! - the unlock serves only authentic items (never one that was not
//!   written) and every item of a log the case did not touch, or refuses
//!   with an error naming the file;
//! - whatever was not as expected is reported as a warning.
//!
//! The counts of cases, lost bytes and files written outside are printed.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use idp_vault::{Device, LockedVault, UnlockedVault, VaultError, Warning};

use crate::common::{Fixture, login, new_vault};

mod files;

static CASES: AtomicUsize = AtomicUsize::new(0);

/// A vault where "a" wrote a1..a3 and "b" wrote b1, b2; both locked.
struct World {
    fx: Fixture,
    /// Items by name, with their passwords.
    items: BTreeMap<String, String>,
    a_log: PathBuf,
    b_log: PathBuf,
    outside: PathBuf,
}

/// What every case starts from, made once (its key derivations are the
/// slow part) and copied for each case.
struct Template {
    fx: Fixture,
    items: BTreeMap<String, String>,
    a_id: String,
    b_id: String,
}

fn template() -> &'static Template {
    static T: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let (fx, mut a) = new_vault();
        let mut items = BTreeMap::new();
        for n in 1..=3 {
            let (name, pw) = (format!("a{n}"), format!("pw-a{n}"));
            a.add(login(&name, &pw)).expect("add");
            items.insert(name, pw);
        }
        let a_id = a.device().id().to_hex();
        drop(a);
        let mut b = fx.unlock(&fx.device("b"));
        for n in 1..=2 {
            let (name, pw) = (format!("b{n}"), format!("pw-b{n}"));
            b.add(login(&name, &pw)).expect("add");
            items.insert(name, pw);
        }
        let b_id = b.device().id().to_hex();
        drop(b);
        // "a" has seen b's writes, as a device that synced would have.
        assert_eq!(fx.unlock(&fx.device("a")).len(), 5);
        Template {
            fx,
            items,
            a_id,
            b_id,
        }
    })
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

/// A fresh copy of the template: its vault folder and both devices' state.
fn world() -> World {
    let t = template();
    let tmp = tempfile::tempdir().expect("tmp");
    copy_tree(t.fx.tmp.path(), tmp.path());
    let dir = tmp.path().join("vault");
    let fx = Fixture {
        tmp,
        dir,
        key: t.fx.key.clone(),
        password: t.fx.password.clone(),
    };
    let outside = fx.tmp.path().join("outside.txt");
    std::fs::write(&outside, b"a file of the user's, outside the vault").expect("write");
    World {
        a_log: fx.dir.join("logs").join(format!("{}.log", t.a_id)),
        b_log: fx.dir.join("logs").join(format!("{}.log", t.b_id)),
        fx,
        items: t.items.clone(),
        outside,
    }
}

/// Every regular file under `dir` with its bytes (links and FIFOs as
/// their kind), for "nothing lost" checks.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(list) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in list {
        let e = e.expect("entry");
        let t = e.file_type().expect("type");
        if t.is_dir() {
            out.extend(snapshot(&e.path()));
        } else if t.is_file() {
            out.insert(e.path(), std::fs::read(e.path()).expect("read"));
        } else {
            out.insert(e.path(), format!("{t:?}").into_bytes());
        }
    }
    out
}

/// Bytes of `before` that are no longer anywhere in `after`: each file as
/// a whole, as the start of what is there now (a log that grew), or as a
/// prefix that stayed plus a tail kept in quarantine.
fn lost_bytes(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> usize {
    let mut lost = 0;
    for (path, bytes) in before {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let kept = after.values().any(|b| b == bytes)
            || after.get(path).is_some_and(|now| now.starts_with(bytes))
            || after.get(path).is_some_and(|now| {
                bytes.starts_with(now)
                    && after.iter().any(|(p, b)| {
                        p.to_string_lossy().contains("quarantine")
                            && now.len() + b.len() == bytes.len()
                            && bytes[now.len()..] == b[..]
                    })
            });
        if !kept {
            lost += bytes.len();
        }
    }
    lost
}

/// Unlocks as "a" and checks the rules; returns the vault when it opened.
fn check(w: &World, what: &str, untouched: &[&str]) -> Option<UnlockedVault> {
    check_as(w, what, untouched, true)
}

/// As [`check`]; `first` is false for an unlock after one that already
/// reported (and repaired) what was found, which has nothing new to say.
fn check_as(w: &World, what: &str, untouched: &[&str], first: bool) -> Option<UnlockedVault> {
    CASES.fetch_add(1, Ordering::Relaxed);
    let before = snapshot(&w.fx.dir);
    let outside = std::fs::read(&w.outside).expect("outside");
    let opened = LockedVault::open_for(&w.fx.dir, &w.fx.device("a"))
        .and_then(|l| l.unlock(&w.fx.password, &w.fx.key, &w.fx.device("a")));
    let after = snapshot(&w.fx.dir);
    assert_eq!(lost_bytes(&before, &after), 0, "{what}: bytes lost");
    assert_eq!(
        std::fs::read(&w.outside).expect("outside"),
        outside,
        "{what}: a file outside the vault changed"
    );
    match opened {
        Ok(v) => {
            for item in v.items() {
                let pw = item.password.as_ref().map(|p| p.expose().to_string());
                assert_eq!(
                    w.items.get(&item.name),
                    pw.as_ref(),
                    "{what}: served an item that was never written"
                );
            }
            for name in untouched {
                for (n, _) in w.items.iter().filter(|(n, _)| n.starts_with(name)) {
                    assert!(
                        !v.find_by_name(n).is_empty(),
                        "{what}: {n} from an untouched log is missing"
                    );
                }
            }
            if first && v.len() < w.items.len() {
                assert!(
                    !v.warnings().is_empty(),
                    "{what}: items missing without a word"
                );
            }
            Some(v)
        }
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains(&*w.fx.dir.to_string_lossy()),
                "{what}: the refusal names no file: {text}"
            );
            None
        }
    }
}

fn put(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).expect("write");
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
}

fn has(v: &UnlockedVault, f: impl Fn(&Warning) -> bool) -> bool {
    v.warnings().iter().any(f)
}

/// Runs `case` on fresh worlds, spread over two threads, and says how many
/// cases passed every check (nothing lost, nothing outside written).
fn each<T: Sync>(inputs: &[T], case: impl Fn(&T) + Sync) {
    let before = CASES.load(Ordering::Relaxed);
    std::thread::scope(|s| {
        for half in inputs.chunks(inputs.len().div_ceil(2).max(1)) {
            let case = &case;
            s.spawn(move || {
                for i in half {
                    case(i);
                }
            });
        }
    });
    eprintln!(
        "hostile folder: {} cases (with their re-checks), 0 bytes lost, 0 files outside changed",
        CASES.load(Ordering::Relaxed) - before
    );
}

#[test]
fn every_byte_of_the_header_changed_is_survived_with_the_verified_copy() {
    let w0 = world();
    let len = std::fs::read(w0.fx.dir.join("vault.idp"))
        .expect("hdr")
        .len();
    let offsets: Vec<usize> = (0..len).collect();
    each(&offsets, |&at| {
        let w = world();
        let path = w.fx.dir.join("vault.idp");
        let mut bytes = std::fs::read(&path).expect("hdr");
        bytes[at] ^= 0xff;
        put(&path, &bytes);
        // A device that never verified this vault can only refuse.
        let fresh = LockedVault::open_for(&w.fx.dir, &w.fx.device("new"));
        assert!(
            matches!(
                fresh,
                Err(VaultError::HeaderDamaged { .. } | VaultError::UnsupportedVersion { .. })
            ),
            "byte {at}: {fresh:?}"
        );
        let v = check(&w, &format!("header byte {at}"), &["a", "b"]).expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::HeaderRestored { .. })),
            "byte {at}"
        );
        assert_eq!(v.len(), 5);
    });
}

#[test]
fn every_byte_of_both_logs_file_headers_and_first_frames_changed() {
    let w0 = world();
    let a_len = std::fs::read(&w0.a_log).expect("a").len();
    let b_len = std::fs::read(&w0.b_log).expect("b").len();
    // File header and first two frames: the logs hold 3 and 2 frames of
    // equal size.
    let cases: Vec<(bool, usize)> = (0..40 + (a_len - 40) * 2 / 3)
        .map(|at| (true, at))
        .chain((0..b_len).map(|at| (false, at)))
        .collect();
    each(&cases, |&(own, at)| {
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        let mut bytes = std::fs::read(log).expect("log");
        bytes[at] ^= 0xff;
        put(log, &bytes);
        let what = format!("{} log byte {at}", if own { "own" } else { "other" });
        let untouched: &[&str] = if own { &["b"] } else { &["a"] };
        let v = check(&w, &what, untouched).expect("opens");
        if own && at < 40 {
            assert_eq!(v.len(), 5, "{what}: a damaged file header loses nothing");
        }
        if !own {
            assert_eq!(std::fs::read(log).expect("log"), bytes, "{what}: changed");
        }
        // What the unlock wrote must read back the same on the next one.
        let again = v.len();
        drop(v);
        let v = check_as(&w, &format!("{what}, again"), untouched, false).expect("opens");
        assert_eq!(v.len(), again, "{what}: the repair lost items");
    });
}

#[test]
fn a_log_cut_at_every_offset_or_grown_by_junk() {
    let w0 = world();
    let a_len = std::fs::read(&w0.a_log).expect("a").len();
    let b_len = std::fs::read(&w0.b_log).expect("b").len();
    let cases: Vec<(bool, usize)> = (0..a_len)
        .map(|n| (true, n))
        .chain((0..b_len).map(|n| (false, n)))
        .collect();
    each(&cases, |&(own, cut)| {
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        let bytes = std::fs::read(log).expect("log");
        put(log, &bytes[..cut]);
        let what = format!("{} log cut at {cut}", if own { "own" } else { "other" });
        let v = check(&w, &what, if own { &["b"] } else { &["a"] });
        let v = v.expect("opens");
        assert!(
            has(&v, |w| matches!(w, Warning::Rollback { .. })),
            "{what}: {:?}",
            v.warnings()
        );
    });
    for own in [true, false] {
        let w = world();
        let log = if own { &w.a_log } else { &w.b_log };
        let mut bytes = std::fs::read(log).expect("log");
        bytes.extend_from_slice(b"\x00\x01junk appended by a careless tool");
        put(log, &bytes);
        let v = check(&w, "junk appended", &["a", "b"]).expect("opens");
        assert_eq!(v.len(), 5);
    }
}
