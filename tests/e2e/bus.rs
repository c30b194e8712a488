//! A private `dbus-daemon` per test, standing in for the system bus (lock
//! triggers) or a session bus (the tray, and [`crate::session`]'s keyring
//! and notifications), and the stand-ins that speak on it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{World, signal};

/// A dbus-daemon on a socket in the test's folder; stopped on drop.
pub struct PrivateBus {
    child: Child,
    pub address: String,
}

impl PrivateBus {
    /// Starts a bus listening on `socket`, configured beside it. Any
    /// connection may own any name (the stand-ins need that), and there are
    /// no service folders: nothing is started by activation, so the only
    /// services are the ones the test starts.
    pub fn start(socket: &Path) -> PrivateBus {
        let config = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            socket.display()
        );
        let conf = socket.with_extension("conf");
        std::fs::write(&conf, config).expect("bus config");
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon) must be installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("bus address");
        assert!(line.starts_with("unix:"), "dbus-daemon said {line:?}");
        PrivateBus {
            child,
            address: line.trim().to_owned(),
        }
    }

    /// Waits up to 10 s until `name` has an owner on the bus.
    pub fn wait_for(&self, name: &str) {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let out = Command::new("dbus-send")
                .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus"])
                .args(["/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner"])
                .arg(format!("string:{name}"))
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .expect("dbus-send (package dbus-bin) must be installed");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(Instant::now() < end, "{name} never appeared on the bus");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        signal(self.child.id() as i32, rustix::process::Signal::TERM);
        let _ = self.child.wait();
    }
}

/// `bus/fake-logind.py` on a bus: emits logind's signals on request.
pub struct FakeLogind {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl FakeLogind {
    /// Starts it with `sessions` (id, uid) and waits until it owns the name.
    pub fn start(bus: &PrivateBus, sessions: &[(&str, u32)]) -> FakeLogind {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/bus/fake-logind.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .args(sessions.iter().map(|(id, uid)| format!("{id}:{uid}")))
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (with python3-gi) must be installed");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut me = FakeLogind {
            child,
            stdin,
            stdout,
        };
        assert_eq!(me.read_line(), "ready");
        me
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("fake logind output");
        line.trim().to_owned()
    }

    /// Emits one signal (`sleep`, `resume`, `lock ID`) and waits until it
    /// is on the bus.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("fake logind input");
        assert_eq!(self.read_line(), format!("sent {command}"));
    }
}

impl FakeLogind {
    /// How many delay inhibitors are held open.
    pub fn inhibitors(&mut self) -> u32 {
        writeln!(self.stdin, "inhibitors").expect("fake logind input");
        let line = self.read_line();
        line.strip_prefix("inhibitors ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("fake logind said {line:?}"))
    }
}

impl Drop for FakeLogind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Points the world's processes at `bus` as their system bus.
pub fn use_as_system_bus(w: &mut World, bus: &PrivateBus) {
    w.env
        .push(("DBUS_SYSTEM_BUS_ADDRESS".into(), bus.address.clone()));
}

/// `status-notifier-watcher` (Debian's haskell-status-notifier-item-utils)
/// and `bus/sni-host.py` on a bus: a tray as a desktop shows it, and the
/// hands that read its properties and click its menu.
pub struct TrayHost {
    watcher: Child,
    host: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl TrayHost {
    pub fn start(bus: &PrivateBus) -> TrayHost {
        let watcher = Command::new("status-notifier-watcher")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("status-notifier-watcher (package haskell-status-notifier-item-utils)");
        bus.wait_for("org.kde.StatusNotifierWatcher");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/bus/sni-host.py");
        let mut host = Command::new("/usr/bin/python3")
            .arg(script)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (with python3-gi) must be installed");
        let stdin = host.stdin.take().expect("stdin");
        let stdout = BufReader::new(host.stdout.take().expect("stdout"));
        let mut me = TrayHost {
            watcher,
            host,
            stdin,
            stdout,
        };
        let mut line = String::new();
        me.stdout.read_line(&mut line).expect("host output");
        assert_eq!(line.trim(), "ready");
        me
    }

    /// One command of `sni-host.py`; its JSON answer.
    pub fn ask(&mut self, command: &str) -> serde_json::Value {
        writeln!(self.stdin, "{command}").expect("host input");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("host output");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

impl Drop for TrayHost {
    fn drop(&mut self) {
        for child in [&mut self.host, &mut self.watcher] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
