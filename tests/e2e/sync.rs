//! Two devices: two agents with their own HOME, state folder and device id,
//! either on one shared vault folder or on two folders that the test copies
//! between, as a sync tool would (including copies taken mid-write).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{World, random_token};

/// Polls `f` until it is true or `limit` has passed; returns the time taken.
#[track_caller]
fn within(limit: Duration, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if f() {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn get(w: &World, name: &str) -> Option<String> {
    let r = w.idp(&["get", name], "");
    (r.code() == 0).then(|| r.stdout().trim().to_string())
}

fn history(w: &World, name: &str) -> BTreeSet<String> {
    let v: serde_json::Value =
        serde_json::from_str(&w.idp(&["history", name, "--json"], "").ok()).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .filter(|h| h["field"] == "password")
        .map(|h| h["value"].as_str().expect("value").to_string())
        .collect()
}

fn add(w: &World, name: &str, password: &str) {
    w.idp(&["add", name, "--password-stdin"], &format!("{password}\n"))
        .ok();
}

fn edit(w: &World, name: &str, password: &str) {
    w.idp(
        &["edit", name, "--password-stdin"],
        &format!("{password}\n"),
    )
    .ok();
}

/// Names and ids of every item, as one device lists them.
fn listing(w: &World) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&w.idp(&["list", "--json"], "").ok()).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().expect("name").to_string(),
                i["id"].as_str().expect("id").to_string(),
            )
        })
        .collect()
}

/// A tiny deterministic generator, so a failing run can be replayed with
/// its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Copies what `src` has and `dst` lacks, as a sync tool does: the header
/// if `dst` has none, and every log that is longer in `src`. With `partial`
/// a log copy stops at a random point (possibly inside a record), written
/// in place as a tool that appends would leave it; otherwise the file is
/// replaced whole by rename.
fn sync(src: &Path, dst: &Path, rng: &mut Rng, partial: bool) {
    if !dst.join("vault.idp").exists() {
        fs::create_dir_all(dst.join("logs")).expect("mkdir");
        fs::copy(src.join("vault.idp"), dst.join("vault.idp")).expect("copy header");
    }
    for entry in fs::read_dir(src.join("logs")).expect("logs") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let bytes = fs::read(entry.path()).expect("read log");
        let target = dst.join("logs").join(&name);
        let have = fs::metadata(&target).map_or(0, |m| m.len() as usize);
        if bytes.len() <= have {
            continue;
        }
        if partial {
            let cut = have + 1 + rng.below(bytes.len() - have);
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&target)
                .expect("open copy");
            f.write_all(&bytes[have..cut]).expect("append");
        } else {
            let tmp = dst
                .join("logs")
                .join(format!(".syncthing.{}.tmp", name.to_string_lossy()));
            fs::write(&tmp, &bytes).expect("write temp");
            fs::rename(&tmp, &target).expect("rename");
        }
    }
}

/// Two devices on one vault folder; returns them with the client key.
fn pair_on(folder_a: &Path, folder_b: &Path) -> (World, World, String) {
    let a = World::with_vault(folder_a);
    let key = a.init("pw");
    if folder_a != folder_b {
        let mut rng = Rng(1);
        sync(folder_a, folder_b, &mut rng, false);
    }
    let b = World::with_vault(folder_b);
    b.unlock("pw", &key).ok();
    (a, b, key)
}

#[test]
fn an_edit_on_one_agent_appears_on_the_other_within_a_second() {
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("Sync/idp");
    let (a, b, _) = pair_on(&folder, &folder);
    add(&a, "github", "first");
    within(Duration::from_secs(1), "add seen by b", || {
        get(&b, "github").as_deref() == Some("first")
    });
    edit(&b, "github", "second");
    within(Duration::from_secs(1), "edit seen by a", || {
        get(&a, "github").as_deref() == Some("second")
    });
    // The watch long-poll hears of another device's write.
    let status: serde_json::Value =
        serde_json::from_str(&a.idp(&["status", "--json"], "").ok()).expect("json");
    let generation = status["generation"].as_u64().expect("generation");
    edit(&b, "github", "third");
    within(Duration::from_secs(1), "generation moved", || {
        let s: serde_json::Value =
            serde_json::from_str(&a.idp(&["status", "--json"], "").ok()).expect("json");
        s["generation"].as_u64() > Some(generation)
    });
    assert!(history(&a, "github").contains("second"));
    let info = a.idp(&["vault", "info"], "").ok();
    assert!(info.contains("(this device)"), "{info}");
    assert_eq!(info.matches(" writes, last ").count(), 2, "{info}");

    // Locked, the same devices and counts, read without the key.
    let counts = |w: &World| {
        let v: serde_json::Value =
            serde_json::from_str(&w.idp(&["vault", "info", "--json"], "").ok()).expect("json");
        let mut c: Vec<(String, u64)> = v["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .map(|d| {
                let id = d["device_id"].as_str().expect("id").to_owned();
                (id, d["records"].as_u64().expect("records"))
            })
            .collect();
        c.sort();
        c
    };
    let unlocked = counts(&a);
    a.idp(&["lock"], "").ok();
    assert_eq!(counts(&a), unlocked);
    let info = a.idp(&["vault", "info"], "").ok();
    assert!(info.contains("checked at unlock"), "{info}");
}

#[test]
fn concurrent_edits_resolve_to_one_winner_and_the_loser_is_in_history() {
    let root = tempfile::tempdir().expect("tempdir");
    let (fa, fb) = (root.path().join("a"), root.path().join("b"));
    let (a, b, _) = pair_on(&fa, &fb);
    let mut rng = Rng(7);
    add(&a, "mail", "base");
    sync(&fa, &fb, &mut rng, false);
    within(Duration::from_secs(2), "b sees mail", || {
        get(&b, "mail").as_deref() == Some("base")
    });
    // Both edit while the sync tool is not running.
    edit(&a, "mail", "from-a");
    edit(&b, "mail", "from-b");
    sync(&fa, &fb, &mut rng, false);
    sync(&fb, &fa, &mut rng, false);
    // Agreeing is not enough: one device may have merged while the other
    // still serves the winner as its own edit, without the loser yet. Wait
    // until both hold the loser (and the base) in history too.
    let start = Instant::now();
    loop {
        let (x, y) = (get(&a, "mail"), get(&b, "mail"));
        let histories = [history(&a, "mail"), history(&b, "mail")];
        if let Some(winner) = x
            .as_ref()
            .filter(|x| Some(*x) == y.as_ref() && *x != "base")
        {
            let loser = if winner == "from-a" {
                "from-b"
            } else {
                "from-a"
            };
            if histories
                .iter()
                .all(|h| h.contains(loser) && h.contains("base"))
            {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "no agreement within 3 s: a serves {x:?}, b serves {y:?}, histories {histories:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn random_operations_on_two_folders_converge_and_lose_no_acknowledged_edit() {
    let ops: usize = std::env::var("IDP_SYNC_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let seed = std::env::var("IDP_SYNC_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x05ee_d1d9);
    let root = tempfile::tempdir().expect("tempdir");
    let (fa, fb) = (root.path().join("a"), root.path().join("b"));
    let (a, b, _) = pair_on(&fa, &fb);
    let worlds = [(&a, &fa), (&b, &fb)];
    let mut rng = Rng(seed);
    // Every password acknowledged per item name; names are made unique per
    // device so that adds on both devices never collide.
    let mut acked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut names: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    let mut edits: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..ops {
        let side = rng.below(2);
        let (w, _) = worlds[side];
        let pw = format!("{}-{}", n, random_token(8));
        // Adds while few items are known here; otherwise edit one this
        // device knows, at most 40 times so history (50) keeps every value.
        let known: Vec<&String> = names[side]
            .iter()
            .filter(|k| edits.get(*k).copied().unwrap_or(0) < 40)
            .collect();
        if known.len() < 5 || rng.below(10) == 0 {
            let name = format!("item-{side}-{n}");
            add(w, &name, &pw);
            names[side].push(name.clone());
            acked.entry(name).or_default().push(pw);
        } else {
            let name = known[rng.below(known.len())].clone();
            edit(w, &name, &pw);
            *edits.entry(name.clone()).or_default() += 1;
            acked.entry(name).or_default().push(pw);
        }
        if rng.below(8) == 0 {
            let (from, to, other) = if rng.below(2) == 0 {
                (&fa, &fb, 1)
            } else {
                (&fb, &fa, 0)
            };
            let partial = rng.below(3) == 0;
            sync(from, to, &mut rng, partial);
            // What arrived becomes known to the other device once its
            // agent has read it.
            if !partial {
                let seen: Vec<String> = names[1 - other].clone();
                for s in seen {
                    if !names[other].contains(&s) {
                        names[other].push(s);
                    }
                }
                let (w, _) = worlds[other];
                let want = names[other].len();
                within(Duration::from_secs(5), "the copy is read", || {
                    listing(w).len() >= want
                });
            }
        }
    }
    sync(&fa, &fb, &mut rng, false);
    sync(&fb, &fa, &mut rng, false);
    within(Duration::from_secs(10), "both devices converge", || {
        listing(&a) == listing(&b) && listing(&a).len() == acked.len()
    });
    for (name, values) in &acked {
        let current = get(&a, name).expect("item");
        assert_eq!(get(&b, name).as_deref(), Some(current.as_str()), "{name}");
        let (ha, hb) = (history(&a, name), history(&b, name));
        assert_eq!(ha, hb, "{name}: both devices keep the same history");
        for v in values {
            assert!(
                *v == current || ha.contains(v),
                "{name}: acknowledged value {v} lost (seed {seed})"
            );
        }
    }
}

/// This device's id, from `idp vault info --json`.
fn device_id(w: &World) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&w.idp(&["vault", "info", "--json"], "").ok()).expect("json");
    v["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["this_device"] == true)
        .and_then(|d| d["device_id"].as_str())
        .expect("this device")
        .to_string()
}

#[test]
fn sync_leftovers_are_reported_conflicted_copies_merged_and_rollback_warned() {
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("v");
    let (a, b, key) = pair_on(&folder, &folder);
    add(&b, "from-b", "secret-b");
    let b_id = device_id(&b);
    let logs = folder.join("logs");
    let b_log = logs.join(format!("{b_id}.log"));
    let before = fs::read(&b_log).expect("read");
    add(&b, "only-in-copy", "copied");
    within(Duration::from_secs(1), "a sees both", || {
        get(&a, "only-in-copy").is_some()
    });
    b.idp(&["lock"], "").ok();
    // A sync tool's conflicted copy holds the newer log, the log itself is
    // put back to an older copy, and a transfer is in progress.
    let after = fs::read(&b_log).expect("read");
    fs::write(
        logs.join(format!("{b_id}.sync-conflict-20260101-120000-ABCDEFG.log")),
        &after,
    )
    .expect("copy");
    fs::write(&b_log, &before).expect("older log");
    fs::write(logs.join(format!("~syncthing~{b_id}.log.tmp")), b"partial").expect("tmp");
    within(Duration::from_secs(2), "leftovers noticed", || {
        a.idp(&["status"], "").ok().contains("rollback")
    });
    assert_eq!(get(&a, "only-in-copy").as_deref(), Some("copied"));
    let info = a.idp(&["vault", "info"], "").ok();
    assert!(info.contains("conflicted copy: "), "{info}");
    assert!(info.contains("temporary file: "), "{info}");
    assert!(info.contains("warning (rollback)"), "{info}");
    assert!(info.contains("warning (conflict_copy)"), "{info}");
    // The other device still opens everything, the copy included.
    b.unlock("pw", &key).ok();
    assert_eq!(get(&b, "only-in-copy").as_deref(), Some("copied"));
}
