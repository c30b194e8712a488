//! The key cache and the Downloads watcher, in a private desktop session
//! (D-Bus, gnome-keyring, a notification recorder): a new device learns
//! the key from a kit dropped into Downloads; stale and foreign kits are
//! refused with a notice; `idp key import|forget`; keyutils and no cache.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{FAST_KDF, World};
use crate::session::{Session, within};

const FOUND: &str = "Emergency kit found: unlock with your password";

/// A vault made elsewhere, with kits of its key.
pub struct Origin {
    pub world: World,
    pub key: String,
    pub password: String,
}

impl Origin {
    pub fn new(password: &str) -> Origin {
        let world = World::new();
        let key = world.init(password);
        Origin {
            world,
            key,
            password: password.into(),
        }
    }

    /// Saves a kit (`--pdf` or `--png`) outside any Downloads folder.
    pub fn kit(&self, flag: &str) -> PathBuf {
        let dir = self.world.path("kits");
        let out = self
            .world
            .idp(
                &[
                    "kit",
                    "save",
                    flag,
                    "--dir",
                    dir.to_str().expect("utf8"),
                    "--password-stdin",
                ],
                &format!("{}\n", self.password),
            )
            .ok();
        let line = out
            .lines()
            .find(|l| l.starts_with("saved "))
            .expect("saved line");
        PathBuf::from(line.trim_start_matches("saved "))
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.world.path("data/idp/vault")
    }

    /// The key without its dashes, as the cache holds it.
    pub fn canonical_key(&self) -> String {
        self.key.replace('-', "")
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A new device on `session` with a copy of `vault`, caching in the
/// Secret Service.
pub fn new_device(session: &Session, vault: &Path) -> World {
    let mut w = World::new();
    session.join(&mut w);
    w.config("[key_cache]\nbackend = \"auto\"\n");
    copy_dir(vault, &w.path("data/idp/vault"));
    std::fs::create_dir_all(w.downloads()).expect("Downloads");
    w
}

pub fn status_json(w: &World) -> serde_json::Value {
    serde_json::from_str(&w.idp(&["status", "--json"], "").ok()).expect("status json")
}

/// `idp status --json` once the agent has opened its key cache and looked
/// the vault's key up (it does so in the background after starting).
pub fn settled_status(w: &World) -> serde_json::Value {
    within(Duration::from_secs(5), || {
        let st = status_json(w);
        (st["key_cache"] != "opening").then_some(st)
    })
    .expect("the agent opens its key cache")
}

/// Copies `kit` into the world's Downloads under its own name.
pub fn drop_kit(w: &World, kit: &Path) -> PathBuf {
    let target = w.downloads().join(kit.file_name().expect("name"));
    std::fs::copy(kit, &target).expect("copy kit");
    target
}

fn new_device_learns_the_key_from_a_kit(flag: &str) {
    let origin = Origin::new("new device password");
    let kit = origin.kit(flag);
    let session = Session::start();
    let w = new_device(&session, &origin.vault_dir());

    let st = settled_status(&w);
    assert_eq!(
        st["state"],
        serde_json::json!({"locked": {"key_known": false}})
    );
    assert_eq!(st["key_cache"], "Secret Service");
    let vault_id = st["vault"]["id"].as_str().expect("id").to_owned();
    assert!(
        w.idp(&["status"], "")
            .ok()
            .contains("not known on this device")
    );
    assert_eq!(session.cached_key(&vault_id), None);

    drop_kit(&w, &kit);
    let cached = within(Duration::from_secs(2), || session.cached_key(&vault_id));
    assert_eq!(
        cached.as_deref(),
        Some(origin.canonical_key().as_str()),
        "the key is in the Secret Service within 2 s; agent log:\n{}",
        w.log()
    );
    let noticed = within(Duration::from_secs(2), || {
        session.notices().into_iter().find(|(s, _)| s == FOUND)
    });
    assert!(noticed.is_some(), "notices: {:?}", session.notices());
    let st = status_json(&w);
    assert_eq!(st["key_known"], true);
    assert!(
        st["key_note"]
            .as_str()
            .unwrap_or_default()
            .contains("emergency kit found"),
        "{st}"
    );

    // The password alone unlocks now.
    w.idp(&["unlock", "--password-stdin"], "new device password\n")
        .ok();
    assert!(w.idp(&["status"], "").ok().contains("unlocked"));
}

#[test]
fn new_device_learns_the_key_from_a_pdf_kit_in_downloads() {
    new_device_learns_the_key_from_a_kit("--pdf");
}

#[test]
fn new_device_learns_the_key_from_a_png_kit_in_downloads() {
    new_device_learns_the_key_from_a_kit("--png");
}

/// Replaces the client key of the vault in `dir` (stopped agent, or a
/// copy): every kit made before becomes stale.
fn rotate_key(dir: &Path, password: &str, key: &str, state: &Path) {
    let locked = idp_vault::LockedVault::open(dir).expect("open");
    let device = idp_vault::Device::load_or_create(state).expect("device");
    let password = idp_vault::SecretString::new(password.to_owned());
    let key = idp_vault::ClientKey::parse(key).expect("key");
    let mut vault = locked.unlock(&password, &key, &device).expect("unlock");
    vault.rotate_key(&password).expect("rotate");
}

#[test]
fn stale_kits_and_kits_of_another_vault_are_refused_with_a_notice() {
    let origin = Origin::new("stale password");
    let stale = origin.kit("--pdf");
    let other_origin = Origin::new("other password");
    let other = other_origin.kit("--png");
    let session = Session::start();
    let w = new_device(&session, &origin.vault_dir());
    rotate_key(
        &w.path("data/idp/vault"),
        "stale password",
        &origin.key,
        &w.path("rotate-device"),
    );
    let vault_id = status_json(&w)["vault"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    drop_kit(&w, &stale);
    let notice = within(Duration::from_secs(3), || {
        session
            .notices()
            .into_iter()
            .find(|(s, _)| s == "Stale emergency kit")
    });
    let (_, body) =
        notice.unwrap_or_else(|| panic!("notices: {:?}\n{}", session.notices(), w.log()));
    assert!(body.contains("nothing was cached"), "{body}");

    drop_kit(&w, &other);
    let notice = within(Duration::from_secs(3), || {
        session
            .notices()
            .into_iter()
            .find(|(s, _)| s == "Emergency kit of another vault")
    });
    assert!(notice.is_some(), "notices: {:?}", session.notices());

    assert_eq!(session.cached_key(&vault_id), None);
    assert!(!session.notices().iter().any(|(s, _)| s == FOUND));
    assert_eq!(status_json(&w)["key_known"], false);

    // `idp key import` refuses both the same way as `idp kit verify`.
    for kit in [&stale, &other] {
        let err = w
            .idp(&["key", "import", kit.to_str().expect("utf8")], "")
            .fails(8);
        assert!(
            err.contains("stale") || err.contains("another vault"),
            "{err}"
        );
    }
    assert_eq!(session.cached_key(&vault_id), None);
}

#[test]
fn key_import_and_forget_with_the_secret_service() {
    let origin = Origin::new("import password");
    let kit = origin.kit("--png");
    let session = Session::start();
    let w = new_device(&session, &origin.vault_dir());
    w.config("[key_cache]\nbackend = \"auto\"\n[downloads]\nwatch = false\n");
    let vault_id = status_json(&w)["vault"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let out = w
        .idp(&["key", "import", kit.to_str().expect("utf8")], "")
        .ok();
    assert!(out.contains("Secret Service"), "{out}");
    assert_eq!(
        session.cached_key(&vault_id).as_deref(),
        Some(origin.canonical_key().as_str())
    );
    // `secret-tool search` names it by the vault (attributes go to stderr).
    let found = session.secret_tool(&["search", "--all", "application", "idp-vault"]);
    let listing = format!(
        "{}{}",
        String::from_utf8_lossy(&found.stdout),
        String::from_utf8_lossy(&found.stderr)
    );
    assert!(listing.contains(&vault_id), "{listing}");
    assert!(status_json(&w)["key_known"] == true);

    let out = w.idp(&["key", "forget"], "").ok();
    assert!(out.contains("forgot"), "{out}");
    assert_eq!(session.cached_key(&vault_id), None);
    assert_eq!(status_json(&w)["key_known"], false);
    let out = w.idp(&["key", "forget"], "").ok();
    assert!(out.contains("had no cached"), "{out}");

    // A typed key that unlocks is cached again.
    w.unlock("import password", &origin.key).ok();
    assert_eq!(
        session.cached_key(&vault_id).as_deref(),
        Some(origin.canonical_key().as_str())
    );
    w.idp(&["lock"], "").ok();
    w.idp(&["unlock", "--password-stdin"], "import password\n")
        .ok();
}

#[test]
fn keyutils_caches_the_key_where_no_secret_service_runs() {
    let w = World::new();
    w.config("[key_cache]\nbackend = \"auto\"\n");
    // The agent starts inside a fresh session keyring, as in a login
    // session without a Secret Service; there is no bus at all.
    let mut first = std::process::Command::new("keyctl");
    first
        .args(["session", "-"])
        .arg(w.bins.join("idp"))
        .arg("status");
    w.envs(&mut first);
    let out = first.output().expect("keyctl (package keyutils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut args = vec!["init", "--password-stdin"];
    args.extend(FAST_KDF);
    let out = w.idp(&args, "keyutils password\n").ok();
    assert!(out.contains('-'), "{out}");
    w.idp(&["lock"], "").ok();
    let st = settled_status(&w);
    assert!(
        st["key_cache"]
            .as_str()
            .unwrap_or_default()
            .starts_with("kernel keyutils"),
        "{st}"
    );
    assert_eq!(
        st["state"],
        serde_json::json!({"locked": {"key_known": true}})
    );
    w.idp(&["unlock", "--password-stdin"], "keyutils password\n")
        .ok();
    w.idp(&["key", "forget"], "").ok();
    w.idp(&["lock"], "").ok();
    assert_eq!(status_json(&w)["key_known"], false);
}

#[test]
fn without_any_key_cache_status_says_why_and_the_typed_key_unlocks() {
    let session = Session::without_keyring();
    let mut w = World::new();
    session.join(&mut w);
    w.config("[key_cache]\nbackend = \"secret-service\"\n");
    let key = w.init("no cache password");
    w.idp(&["lock"], "").ok();
    let st = settled_status(&w);
    let cache = st["key_cache"].as_str().unwrap_or_default().to_owned();
    assert!(cache.starts_with("none (Secret Service:"), "{cache}");
    assert_eq!(st["key_known"], false);
    let text = w.idp(&["status"], "").ok();
    assert!(text.contains("key cache:  none"), "{text}");
    w.unlock("no cache password", &key).ok();
    assert!(w.idp(&["status"], "").ok().contains("unlocked"));
}

#[test]
fn a_cached_key_rotated_elsewhere_is_reported_stale_after_a_restart() {
    a_cached_key_rotated_elsewhere_is_reported_stale(true);
}

#[test]
fn a_cached_key_rotated_elsewhere_is_reported_stale_by_a_running_agent() {
    a_cached_key_rotated_elsewhere_is_reported_stale(false);
}

/// Another device rotates the key; the synced header arrives while this
/// agent is stopped (`restart`) or while it runs, locked.
fn a_cached_key_rotated_elsewhere_is_reported_stale(restart: bool) {
    let origin = Origin::new("rotated password");
    let kit = origin.kit("--pdf");
    let session = Session::start();
    let w = new_device(&session, &origin.vault_dir());
    w.idp(&["key", "import", kit.to_str().expect("utf8")], "")
        .ok();
    assert_eq!(settled_status(&w)["key_known"], true);

    if restart {
        let pid = w.agent_pid();
        crate::harness::signal(pid, rustix::process::Signal::TERM);
        within(Duration::from_secs(5), || {
            (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
        })
        .expect("agent stopped");
    }
    rotate_key(
        &w.path("data/idp/vault"),
        "rotated password",
        &origin.key,
        &w.path("other-device"),
    );

    let st = within(Duration::from_secs(5), || {
        let st = status_json(&w);
        st["key_note"].as_str().is_some().then_some(st)
    })
    .expect("a note about the cached key");
    assert_eq!(st["key_known"], false);
    let note = st["key_note"].as_str().unwrap_or_default();
    assert!(note.contains("replaced"), "{note}");
    assert!(
        w.idp(&["status"], "")
            .ok()
            .contains("not known on this device")
    );
}
