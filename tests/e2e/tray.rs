//! The tray, as a desktop sees it: `idp-tray` registers with a real
//! StatusNotifierWatcher on a private session bus, its title, icon and
//! tooltip follow the agent, and its menu and icon, clicked over D-Bus the
//! way a panel does, lock, unlock (through pinentry), show the client key
//! and save the emergency kit.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::bus::{PrivateBus, TrayHost};
use crate::harness::{World, signal};

/// A running `idp-tray`, stopped on drop (before its world's agent).
struct TrayProcess(Child);

impl TrayProcess {
    fn start(w: &World) -> TrayProcess {
        let mut c = Command::new(w.bins.join("idp-tray"));
        w.envs(&mut c);
        let log = std::fs::File::create(w.path("tray.log")).expect("tray log");
        let child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("idp-tray: build it with cargo build --workspace");
        TrayProcess(child)
    }
}

impl Drop for TrayProcess {
    fn drop(&mut self) {
        signal(self.0.id() as i32, rustix::process::Signal::TERM);
        let _ = self.0.wait();
    }
}

/// The fake pinentry, copied into the world with its answers file.
fn pinentry(w: &World, answers: &[&str]) -> PathBuf {
    let dir = w.path("pinentry");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bin = dir.join("fake-pinentry");
    if !bin.exists() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/bus/fake-pinentry");
        std::fs::copy(src, &bin).expect("copy pinentry");
    }
    let _ = std::fs::remove_file(dir.join("pinentry.count"));
    std::fs::write(dir.join("pinentry.answers"), answers.join("\n") + "\n").expect("answers");
    bin
}

fn pinentry_log(w: &World) -> String {
    std::fs::read_to_string(w.path("pinentry/pinentry.log")).unwrap_or_default()
}

fn key_known(w: &World) -> bool {
    let v: serde_json::Value =
        serde_json::from_str(&w.idp(&["status", "--json"], "").ok()).expect("status json");
    v["state"]["locked"]["key_known"].as_bool().unwrap_or(false)
}

/// A world with a session bus, a tray host, a fake pinentry and a vault.
fn desktop() -> (World, PrivateBus, TrayHost, String) {
    let mut w = World::new();
    let bus = PrivateBus::start(&w.path("session_bus"));
    w.env
        .push(("DBUS_SESSION_BUS_ADDRESS".into(), bus.address.clone()));
    let host = TrayHost::start(&bus);
    let pin = pinentry(&w, &[]);
    w.config(&format!("pinentry = \"{}\"\n", pin.display()));
    let key = w.init("correct horse");
    (w, bus, host, key)
}

/// The tray's entry in the watcher, once it registered.
fn registered(w: &World, host: &mut TrayHost) -> String {
    let mut item = None;
    w.wait_for(5, "the tray registers with the watcher", || {
        item = host.ask("items")[0].as_str().map(str::to_owned);
        item.is_some()
    });
    item.expect("item")
}

fn wait_title(w: &World, host: &mut TrayHost, item: &str, title: &str) -> serde_json::Value {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let props = host.ask(&format!("props {item}"));
        if props["title"] == title {
            return props;
        }
        assert!(
            std::time::Instant::now() < end,
            "the tray's title did not become {title:?} within 2 s: {props}\n{}",
            std::fs::read_to_string(w.path("tray.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn tray_follows_the_agent_and_its_menu_drives_it() {
    let (w, _bus, mut host, key) = desktop();
    let _tray = TrayProcess::start(&w);
    let item = registered(&w, &mut host);

    let props = wait_title(&w, &mut host, &item, "idp-vault: unlocked, 0 items");
    assert_eq!(props["icon"], "idp-vault-unlocked");
    let tip = props["tooltip"].as_str().expect("tooltip");
    // 15 min idle lock, 12 h at most, counted down from the agent's figures.
    assert!(
        tip == "Locks in 15 min if idle, at the latest in 12 h."
            || tip == "Locks in 14 min if idle, at the latest in 11 h 59 min.",
        "{tip}"
    );

    let menu = host.ask(&format!("menu {item}"));
    let entries: Vec<(&str, bool)> = menu
        .as_array()
        .expect("menu")
        .iter()
        .map(|e| (e["label"].as_str().expect("label"), e["enabled"] == true))
        .collect();
    assert_eq!(
        entries,
        [
            ("Unlock…", false),
            ("Lock", true),
            ("Save emergency kit (PDF)…", true),
            ("Show client key…", true),
            ("Quit", true),
        ]
    );

    // Lock from the menu.
    assert_eq!(host.ask(&format!("click {item} Lock"))["clicked"], "Lock");
    w.wait_for(2, "the menu's Lock locks the agent", || {
        w.state() == "locked"
    });
    let known = key_known(&w);
    let (title, icon) = if known {
        ("idp-vault: locked", "idp-vault-locked")
    } else {
        (
            "idp-vault: locked, client key needed",
            "idp-vault-key-needed",
        )
    };
    assert_eq!(wait_title(&w, &mut host, &item, title)["icon"], icon);
    let menu = host.ask(&format!("menu {item}"));
    assert_eq!(menu[0]["enabled"], true, "Unlock… is offered: {menu}");

    // A click on the icon unlocks, asking pinentry for what the agent needs.
    if known {
        pinentry(&w, &["correct horse"]);
    } else {
        pinentry(&w, &[&key, "correct horse"]);
    }
    host.ask(&format!("activate {item}"));
    w.wait_for(5, "a click on the icon unlocks", || w.state() == "unlocked");
    wait_title(&w, &mut host, &item, "idp-vault: unlocked, 0 items");
    assert!(
        pinentry_log(&w).contains("Unlock the idp-vault."),
        "{}",
        pinentry_log(&w)
    );

    // Show client key: the password again, then the key in a pinentry box.
    pinentry(&w, &["correct horse"]);
    host.ask(&format!("click {item} Show client key…"));
    w.wait_for(5, "the key is shown", || pinentry_log(&w).contains(&key));

    // Save emergency kit: a PDF in Downloads.
    pinentry(&w, &["correct horse"]);
    host.ask(&format!("click {item} Save emergency kit (PDF)…"));
    let downloads = w.path("home/Downloads");
    w.wait_for(10, "the kit is saved", || {
        std::fs::read_dir(&downloads).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".pdf"))
        })
    });

    // A lock from elsewhere shows at once.
    w.idp(&["lock"], "").ok();
    wait_title(&w, &mut host, &item, title);
}

#[test]
fn a_wrong_password_in_the_tray_changes_nothing_and_quit_ends_it() {
    let (w, _bus, mut host, key) = desktop();
    w.idp(&["lock"], "").ok();
    let mut tray = TrayProcess::start(&w);
    let item = registered(&w, &mut host);
    let wrong = ["wrong one", "wrong two", "wrong three"];
    let mut answers: Vec<&str> = Vec::new();
    if !key_known(&w) {
        answers.push(&key);
    }
    answers.extend(wrong);
    pinentry(&w, &answers);
    host.ask(&format!("click {item} Unlock…"));
    w.wait_for(20, "three tries are asked for", || {
        pinentry_log(&w).matches("Unlock the idp-vault.").count() == 3
    });
    assert_eq!(w.state(), "locked");

    assert_eq!(host.ask(&format!("click {item} Quit"))["clicked"], "Quit");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while tray.0.try_wait().expect("wait").is_none() {
        assert!(std::time::Instant::now() < end, "Quit did not end idp-tray");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A desktop with no StatusNotifierWatcher: the tray says so once by
/// notification, then tells each lock and unlock the same way; when a tray
/// appears later, the icon registers with it.
#[test]
fn without_a_tray_host_the_tray_falls_back_to_notifications() {
    let session = crate::session::Session::without_keyring();
    let mut w = World::new();
    session.join(&mut w);
    w.init("pw");
    let _tray = TrayProcess::start(&w);
    let said = |summary: &str| {
        let summary = summary.to_owned();
        let session = &session;
        move || {
            session
                .notices()
                .iter()
                .any(|(s, _)| s.starts_with(&summary))
                .then_some(())
        }
    };
    let limit = std::time::Duration::from_secs(10);
    assert!(
        crate::session::within(limit, said("idp-vault: no system tray")).is_some(),
        "no notice of the missing tray: {:?}\n{}",
        session.notices(),
        std::fs::read_to_string(w.path("tray.log")).unwrap_or_default()
    );
    w.idp(&["lock"], "").ok();
    assert!(
        crate::session::within(limit, said("idp-vault: locked")).is_some(),
        "no notice of the lock: {:?}",
        session.notices()
    );

    // A tray applet starts later: the icon shows there, locked.
    let mut host = TrayHost::start(session.bus());
    let item = registered(&w, &mut host);
    w.wait_for(5, "the icon shows the locked vault", || {
        host.ask(&format!("props {item}"))["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("idp-vault: locked"))
    });
}
