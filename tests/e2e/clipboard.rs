//! `idp copy` on a real X server (Xvfb), read back with `xclip -o` as a
//! paste would: the secret arrives, is gone after the configured time, is
//! left alone when something else was copied meanwhile, and never appears in
//! any process's arguments or environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{World, signal};

const SECRET: &str = "s3cret-Pa55-for-the-clipboard";

/// An Xvfb on a free display; stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "320x240x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (package xvfb) must be installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("display number");
        Xvfb {
            child,
            display: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        signal(self.child.id() as i32, rustix::process::Signal::TERM);
        let _ = self.child.wait();
    }
}

/// What a paste would get now, `None` when the clipboard is empty.
fn paste(x: &Xvfb) -> Option<String> {
    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", &x.display)
        .output()
        .expect("xclip (package xclip) must be installed");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn world_with_item(x: &Xvfb, clear: &str) -> World {
    let mut w = World::new();
    w.env.push(("DISPLAY".into(), x.display.clone()));
    w.config(&format!("[clipboard]\nclear = \"{clear}\"\n"));
    w.init("correct horse");
    w.idp(
        &["add", "github", "--username", "octo", "--password-stdin"],
        &format!("{SECRET}\n"),
    )
    .ok();
    w
}

/// Every process's arguments and environment that this test may read.
fn in_any_process_args_or_env(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        for file in ["cmdline", "environ"] {
            if let Ok(bytes) = std::fs::read(entry.path().join(file))
                && String::from_utf8_lossy(&bytes).contains(needle)
            {
                found.push(format!("{}/{file}", entry.path().display()));
            }
        }
    }
    found
}

#[test]
fn copy_puts_the_password_on_the_clipboard_and_clears_it_in_time() {
    let x = Xvfb::start();
    let w = world_with_item(&x, "2s");
    let said = w.idp(&["copy", "github"], "").ok();
    let copied = Instant::now();
    assert!(
        said.contains("copied the password of github (X11)"),
        "{said}"
    );
    assert_eq!(paste(&x).as_deref(), Some(SECRET));
    assert_eq!(in_any_process_args_or_env(SECRET), Vec::<String>::new());

    w.wait_for(5, "the clipboard is cleared", || paste(&x).is_none());
    let after = copied.elapsed();
    assert!(
        after >= Duration::from_millis(1800),
        "cleared after {after:?}"
    );

    w.idp(&["copy", "github", "--field", "username"], "").ok();
    assert_eq!(paste(&x).as_deref(), Some("octo"));
}

#[test]
fn copy_leaves_alone_a_clipboard_that_holds_something_else() {
    let x = Xvfb::start();
    let w = world_with_item(&x, "1s");
    w.idp(&["copy", "github"], "").ok();
    assert_eq!(paste(&x).as_deref(), Some(SECRET));

    // Another program copies: it owns the clipboard from now on.
    let mut other = Command::new("xclip")
        .args(["-selection", "clipboard", "-in", "-quiet"])
        .env("DISPLAY", &x.display)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xclip");
    std::io::Write::write_all(&mut other.stdin.take().expect("stdin"), b"something else")
        .expect("write");
    w.wait_for(2, "the other copy arrives", || {
        paste(&x).as_deref() == Some("something else")
    });
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(
        paste(&x).as_deref(),
        Some("something else"),
        "the other copy was cleared"
    );
    let _ = other.kill();
    let _ = other.wait();
}

#[test]
fn copy_without_a_display_says_what_to_do() {
    let x = Xvfb::start();
    let mut w = world_with_item(&x, "30s");
    w.env.clear();
    let err = w.idp(&["copy", "github"], "").fails(1);
    assert!(
        err.contains("no clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set"),
        "{err}"
    );
    assert!(err.contains("idp get"), "{err}");
}

/// sway on its headless backend: a Wayland compositor with a seat, which
/// wl-copy needs. sway refuses to run as root, so it runs as `nobody` in a
/// runtime folder of its own; the clients reach it by the socket's full
/// path in `WAYLAND_DISPLAY`.
struct Sway {
    child: Child,
    _dir: tempfile::TempDir,
    socket: String,
}

impl Sway {
    fn start() -> Sway {
        assert!(
            rustix::process::getuid().is_root(),
            "the Wayland test starts sway as another user: run it as root (CI does)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let nobody = rustix::fs::Uid::from_raw(65534);
        let nogroup = rustix::fs::Gid::from_raw(65534);
        rustix::fs::chown(dir.path(), Some(nobody), Some(nogroup)).expect("chown");
        let config = dir.path().join("sway.conf");
        std::fs::write(&config, "output HEADLESS-1 resolution 320x240\n").expect("config");
        let child = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "env",
                "-i",
            ])
            .arg(format!("XDG_RUNTIME_DIR={}", dir.path().display()))
            .arg(format!("HOME={}", dir.path().display()))
            .args([
                "WLR_BACKENDS=headless",
                "WLR_LIBINPUT_NO_DEVICES=1",
                "WLR_RENDERER=pixman",
            ])
            .arg("sway")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("setpriv (util-linux) and sway (package sway) must be installed");
        let socket = dir.path().join("wayland-1");
        let end = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < end, "sway did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Sway {
            child,
            socket: socket.display().to_string(),
            _dir: dir,
        }
    }

    fn paste(&self) -> Option<String> {
        let out = Command::new("wl-paste")
            .args(["--no-newline"])
            .env("WAYLAND_DISPLAY", &self.socket)
            .output()
            .expect("wl-paste (package wl-clipboard) must be installed");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        signal(self.child.id() as i32, rustix::process::Signal::TERM);
        let _ = self.child.wait();
    }
}

#[test]
fn copy_works_on_wayland_too() {
    let sway = Sway::start();
    let mut w = World::new();
    w.env.push(("WAYLAND_DISPLAY".into(), sway.socket.clone()));
    w.config("[clipboard]\nclear = \"2s\"\n");
    w.init("correct horse");
    w.idp(
        &["add", "github", "--password-stdin"],
        &format!("{SECRET}\n"),
    )
    .ok();
    let said = w.idp(&["copy", "github"], "").ok();
    assert!(said.contains("(Wayland)"), "{said}");
    assert_eq!(sway.paste().as_deref(), Some(SECRET));
    w.wait_for(5, "the Wayland clipboard is cleared", || {
        sway.paste().is_none()
    });
}

/// The pid of the `idp clipboard-hold` serving `display`.
fn holder_pid(display: &str) -> i32 {
    let env = format!("DISPLAY={display}\0");
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains("clipboard-hold")
            && String::from_utf8_lossy(&environ).contains(&env)
        {
            return pid;
        }
    }
    panic!("no clipboard holder for {display}");
}

/// The pids of the running children of `parent`.
fn children(parent: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Some((ppid, state)) = ppid_and_state(pid)
            && ppid == parent
            && state != 'Z'
        {
            out.push(pid);
        }
    }
    out
}

/// The parent and state of `pid` from /proc/PID/stat, `None` once gone.
fn ppid_and_state(pid: i32) -> Option<(i32, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces, so split after ')'.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    Some((rest.next()?.parse().ok()?, state))
}

#[test]
fn killing_the_holder_clears_the_clipboard() {
    let x = Xvfb::start();
    let w = world_with_item(&x, "5m");
    w.idp(&["copy", "github"], "").ok();
    assert_eq!(paste(&x).as_deref(), Some(SECRET));
    let holder = holder_pid(&x.display);
    let tools = children(holder);
    assert_eq!(tools.len(), 1, "the holder runs one clipboard tool");
    let killed = Instant::now();
    signal(holder, rustix::process::Signal::KILL);
    // The kernel's parent-death signal stops xclip at once: no paste is
    // needed to make it notice (a paste would end it through its closed
    // stderr pipe anyway, which proves nothing).
    w.wait_for(3, "the clipboard tool stops after the holder died", || {
        ppid_and_state(tools[0]).is_none_or(|(_, state)| state == 'Z')
    });
    println!(
        "the tool stopped {:?} after the holder was killed",
        killed.elapsed()
    );
    assert_eq!(
        paste(&x),
        None,
        "the clipboard is empty minutes before its time"
    );
}

#[test]
fn durations_beyond_their_ceiling_are_refused_by_idp_and_the_agent() {
    let w = World::new();
    for (text, key) in [
        ("[lock]\nidle = \"999999999999h\"\n", "lock.idle"),
        ("[lock]\nmax = \"31d\"\n", "lock.max"),
        ("[clipboard]\nclear = \"2d\"\n", "clipboard.clear"),
    ] {
        w.config(text);
        let err = w.idp(&["status"], "").fails(1);
        assert!(
            err.contains(&format!("{key} is")) && err.contains("longer than the most allowed"),
            "{err}"
        );
        let mut agent = Command::new(w.bins.join("idp-agent"));
        w.envs(&mut agent);
        let out = agent.stdin(Stdio::null()).output().expect("idp-agent");
        let said = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(101), "the agent panicked: {said}");
        assert!(!out.status.success(), "the agent started: {said}");
        assert!(said.contains("longer than the most allowed"), "{said}");
    }
    w.config("[lock]\nidle = \"30d\"\nmax = \"30d\"\n[clipboard]\nclear = \"24h\"\n");
    w.idp(&["status"], "").ok();
}
