//! A private desktop session for a test: its own D-Bus session bus, an
//! unlocked gnome-keyring serving the Secret Service on it, and a
//! notification server that records every `Notify` call. Nothing here
//! touches a bus the machine may already have; everything is stopped when
//! the [`Session`] is dropped.
//!
//! Needs the Debian packages dbus-daemon, gnome-keyring, libsecret-tools,
//! python3-dbus and python3-gi (see scripts/deps-debian).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::bus::PrivateBus;
use crate::harness::World;

/// The login keyring's password inside the test session.
const KEYRING_PASSWORD: &str = "session keyring password";

pub struct Session {
    pub dir: tempfile::TempDir,
    /// `DBUS_SESSION_BUS_ADDRESS` of the private bus.
    pub address: String,
    /// Stopped after `children` (fields drop after `Drop::drop`).
    bus: PrivateBus,
    children: Vec<Child>,
}

impl Session {
    /// A bus with gnome-keyring and the notification recorder.
    pub fn start() -> Session {
        let mut s = Session::bus_only();
        s.start_keyring();
        s.start_notifications();
        s
    }

    /// A bus with the notification recorder and no Secret Service.
    pub fn without_keyring() -> Session {
        let mut s = Session::bus_only();
        s.start_notifications();
        s
    }

    fn bus_only() -> Session {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["run", "data", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        std::fs::set_permissions(
            dir.path().join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
        let bus = PrivateBus::start(&dir.path().join("bus"));
        let address = bus.address.clone();
        Session {
            dir,
            address,
            bus,
            children: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The session's environment for a helper process.
    fn envs(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    fn start_keyring(&mut self) {
        let mut c = Command::new("gnome-keyring-daemon");
        c.args(["--foreground", "--unlock", "--components=secrets"]);
        self.envs(&mut c);
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (package gnome-keyring)");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(KEYRING_PASSWORD.as_bytes())
            .expect("keyring password");
        drop(stdin);
        self.children.push(child);
        self.bus.wait_for("org.freedesktop.secrets");
    }

    fn start_notifications(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/notify-server.py");
        let mut c = Command::new("/usr/bin/python3");
        c.arg(script).arg(self.path("notices.jsonl"));
        self.envs(&mut c);
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 (packages python3-dbus, python3-gi)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("notification server output");
        assert_eq!(
            line.trim(),
            "ready",
            "the notification server did not start"
        );
        self.children.push(child);
    }

    /// The session's bus, for more stand-ins.
    pub fn bus(&self) -> &PrivateBus {
        &self.bus
    }

    /// Runs `secret-tool ARGS` on this session.
    pub fn secret_tool(&self, args: &[&str]) -> Output {
        let mut c = Command::new("secret-tool");
        c.args(args);
        self.envs(&mut c);
        c.output().expect("secret-tool (package libsecret-tools)")
    }

    /// The secret `secret-tool` finds for this vault, if any.
    pub fn cached_key(&self, vault_id: &str) -> Option<String> {
        let out = self.secret_tool(&["lookup", "application", "idp-vault", "vault", vault_id]);
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !text.is_empty()).then_some(text)
    }

    /// Every notification shown so far: (summary, body).
    pub fn notices(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(self.path("notices.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                (
                    v["summary"].as_str().unwrap_or_default().to_owned(),
                    v["body"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Puts `world`'s `idp` and agent on this session's bus.
    pub fn join(&self, world: &mut World) {
        world
            .env
            .push(("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Last started first; the bus goes after them.
        while let Some(mut c) = self.children.pop() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `f` every 20 ms until it returns `Some` or `limit` passes.
pub fn within<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
