//! Lock triggers: logind's `PrepareForSleep(true)` and a session's `Lock`
//! lock the vault; look-alike signals from other processes, a resume and a
//! lock of another user's session do not; no system bus is one log line.

use std::process::Command;

use crate::bus::{FakeLogind, PrivateBus, use_as_system_bus};
use crate::harness::World;

fn unlocked_world_on(bus: &PrivateBus) -> (World, String) {
    let mut w = World::new();
    use_as_system_bus(&mut w, bus);
    let key = w.init("correct horse");
    w.wait_for(5, "the agent follows logind", || {
        w.log().contains("following logind")
    });
    assert_eq!(w.state(), "unlocked");
    (w, key)
}

#[test]
fn suspend_and_screen_lock_lock_the_vault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bus = PrivateBus::start(&dir.path().join("system_bus"));
    let uid = rustix::process::getuid().as_raw();
    let mut logind = FakeLogind::start(&bus, &[("c1", uid)]);
    let (w, key) = unlocked_world_on(&bus);
    w.wait_for(2, "the agent holds a sleep inhibitor", || {
        logind.inhibitors() == 1
    });

    logind.send("sleep");
    w.wait_for(2, "locked on suspend", || w.state() == "locked");
    assert!(w.log().contains("reason=Sleep"), "{}", w.log());
    // Locked: the inhibitor is released so the suspend goes ahead, and a
    // new one is taken on resume.
    w.wait_for(2, "the inhibitor is released", || logind.inhibitors() == 0);
    logind.send("resume");
    w.wait_for(2, "a new inhibitor after resume", || {
        logind.inhibitors() == 1
    });

    w.unlock("correct horse", &key).ok();
    logind.send("lock c1");
    w.wait_for(2, "locked on screen lock", || w.state() == "locked");
    assert!(w.log().contains("reason=ScreenLock"), "{}", w.log());
}

#[test]
fn signals_from_impostors_resume_and_other_users_sessions_do_not_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bus = PrivateBus::start(&dir.path().join("system_bus"));
    let uid = rustix::process::getuid().as_raw();
    let mut logind = FakeLogind::start(&bus, &[("c1", uid), ("c9", uid + 1)]);
    let (w, _key) = unlocked_world_on(&bus);

    // Any process may emit a signal naming logind's interface.
    let out = Command::new("gdbus")
        .args([
            "emit",
            "--system",
            "--object-path",
            "/org/freedesktop/login1",
        ])
        .args([
            "--signal",
            "org.freedesktop.login1.Manager.PrepareForSleep",
            "true",
        ])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
        .output()
        .expect("gdbus (package libglib2.0-bin) must be installed");
    assert!(out.status.success(), "{out:?}");
    w.wait_for(2, "the impostor is noticed", || {
        w.log().contains("sent by another process")
    });

    logind.send("lock c9");
    w.wait_for(2, "another user's screen lock is noticed", || {
        w.log().contains("another user's session")
    });
    logind.send("resume");
    assert_eq!(w.state(), "unlocked");
    // Signals are handled in order: once the suspend after them has locked,
    // every one before it was handled, and none of them locked.
    logind.send("sleep");
    w.wait_for(2, "the real suspend locks", || w.state() == "locked");
    let log = w.log();
    let locks: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("locked reason="))
        .collect();
    assert_eq!(locks.len(), 1, "{log}");
    assert!(locks[0].contains("reason=Sleep"), "{log}");
}

#[test]
fn without_a_system_bus_the_agent_says_so_once_and_serves() {
    let mut w = World::new();
    let missing = w.path("no-bus-here");
    w.env.push((
        "DBUS_SYSTEM_BUS_ADDRESS".into(),
        format!("unix:path={}", missing.display()),
    ));
    w.init("correct horse");
    w.wait_for(5, "the agent reports the missing bus", || {
        w.log().contains("no system bus")
    });
    assert_eq!(w.state(), "unlocked");
    assert_eq!(w.log().matches("no system bus").count(), 1, "{}", w.log());
    assert!(!w.log().contains("ERROR"), "{}", w.log());
}
