//! An agent nobody can reach any more exits by itself (as gpg-agent does):
//! its socket removed or replaced, its runtime folder or the folder holding
//! the vault gone. It locks first, and its locks go with it, so the next
//! `idp` starts a fresh agent that can open the vault.

use std::time::{Duration, Instant};

use crate::harness::{World, signal};

/// `true` while `pid` runs (a zombie waiting to be reaped has exited).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next())
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// Waits for the agent `pid` to exit, at most 10 s; returns how long it took.
#[track_caller]
fn exits_within_10_s(w: &World, pid: i32) -> Duration {
    let t = Instant::now();
    w.wait_for(10, "the orphaned agent exits", || !running(pid));
    let took = t.elapsed();
    eprintln!("orphaned agent exited after {took:?}");
    took
}

/// A world with a vault holding one item, unlocked.
fn unlocked_world() -> (World, String) {
    let w = World::new();
    let key = w.init("pw");
    w.idp(&["add", "mail", "--password-stdin"], "secret-mail\n")
        .ok();
    (w, key)
}

#[test]
fn removed_socket_agent_locks_and_exits_and_a_new_one_opens_the_vault() {
    let (w, key) = unlocked_world();
    let pid = w.agent_pid();
    std::fs::remove_file(w.socket()).expect("rm socket");
    exits_within_10_s(&w, pid);
    let log = w.log();
    assert!(log.contains("was removed"), "{log}");
    assert!(log.contains("locking and stopping"), "{log}");
    assert!(
        log.contains("reason=Shutdown"),
        "locked before exiting: {log}"
    );

    // A new agent, which can take the device's log lock.
    w.idp(&["get", "mail"], "").fails(3);
    assert_ne!(w.agent_pid(), pid);
    w.unlock("pw", &key).ok();
    assert_eq!(w.idp(&["get", "mail"], "").ok().trim(), "secret-mail");
}

#[test]
fn a_new_agent_started_at_once_waits_for_the_orphaned_one() {
    let (w, _) = unlocked_world();
    let pid = w.agent_pid();
    std::fs::remove_file(w.socket()).expect("rm socket");
    // No waiting here: the new agent finds the old one's lock and waits for
    // it to go, instead of giving up.
    let t = Instant::now();
    let status = w.idp(&["status"], "");
    assert!(status.ok().contains("locked"), "{}", status.stdout());
    eprintln!(
        "idp status with an orphaned agent in the way: {:?}",
        t.elapsed()
    );
    assert!(!running(pid));
    assert_ne!(w.agent_pid(), pid);
}

#[test]
fn replaced_socket_agent_exits_and_leaves_the_new_socket() {
    let (w, _) = unlocked_world();
    let pid = w.agent_pid();
    std::fs::remove_file(w.socket()).expect("rm socket");
    let newer = std::os::unix::net::UnixListener::bind(w.socket()).expect("bind");
    exits_within_10_s(&w, pid);
    assert!(w.log().contains("was replaced by another"), "{}", w.log());
    assert!(w.socket().exists(), "the newer socket stays");
    drop(newer);
}

#[test]
fn removed_runtime_folder_agent_exits() {
    let (w, _) = unlocked_world();
    let pid = w.agent_pid();
    std::fs::remove_dir_all(w.path("run")).expect("rm run");
    exits_within_10_s(&w, pid);
    std::fs::create_dir_all(w.path("run")).expect("mkdir run");
    assert!(w.idp(&["status"], "").ok().contains("locked"));
}

#[test]
fn removed_vault_parent_agent_exits() {
    let (w, key) = unlocked_world();
    // An agent started with the vault in place, as at every login: the
    // folder holding it is known from the first check.
    let first = w.agent_pid();
    signal(first, rustix::process::Signal::TERM);
    w.wait_for(10, "the first agent stops", || !running(first));
    w.unlock("pw", &key).ok();
    let pid = w.agent_pid();
    // The vault is data/idp/vault: its parent data/idp goes.
    std::fs::remove_dir_all(w.path("data/idp")).expect("rm data/idp");
    exits_within_10_s(&w, pid);
    let log = w.log();
    assert!(log.contains("that holds the vault was removed"), "{log}");
    assert!(w.idp(&["status"], "").ok().contains("idp init"));
}

#[test]
fn a_fresh_account_without_a_vault_folder_is_not_orphaned() {
    let w = World::new();
    let pid = w.agent_pid();
    assert!(!w.path("data/idp").exists());
    std::thread::sleep(Duration::from_millis(4500));
    assert!(running(pid));
    assert_eq!(w.agent_pid(), pid);
}
