//! SIGKILL of the agent at random moments during a stream of adds: every
//! add that `idp` reported as done must be there after a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::harness::{World, random_token, signal};

/// Adds in the stream; CI runs at least 100.
const ADDS: usize = 120;

#[test]
fn sigkill_during_adds_loses_no_acknowledged_add() {
    let w = World::new();
    let key = w.init("pw");
    let mut done = BTreeSet::new();
    let mut kills = 0;
    let mut seed = u64::from_le_bytes(*random_token(8).as_bytes().first_chunk().expect("8"));
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..ADDS {
        let name = format!("item-{i:04}");
        let killer = (next() % 6 == 0).then(|| {
            let pid = w.agent_pid();
            let delay = Duration::from_micros(next() % 15_000);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                signal(pid, rustix::process::Signal::KILL);
                pid
            })
        });
        let run = w.idp(
            &["add", &name, "--password-stdin"],
            &format!("{name}-secret\n"),
        );
        if run.code() == 0 {
            done.insert(name);
        }
        if let Some(k) = killer {
            wait_dead(k.join().expect("killer"));
            kills += 1;
            // Bring a fresh agent up.
            let status = w.idp(&["status"], "").ok();
            if !status.contains("unlocked") {
                w.unlock("pw", &key).ok();
            }
        }
    }
    assert!(kills > 5, "only {kills} kills");
    assert!(done.len() > ADDS / 2, "only {} adds succeeded", done.len());

    let pid = w.agent_pid();
    signal(pid, rustix::process::Signal::KILL);
    wait_dead(pid);
    w.idp(&["status"], "").ok();
    w.unlock("pw", &key).ok();
    let listed: BTreeSet<String> = w
        .idp(&["list"], "")
        .ok()
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    let missing: Vec<&String> = done.difference(&listed).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    for name in done.iter().take(10) {
        assert_eq!(
            w.idp(&["get", name], "").ok().trim(),
            format!("{name}-secret")
        );
    }
    eprintln!("{} adds acknowledged, {kills} kills, none lost", done.len());
}

/// Waits until the killed agent `pid` is gone: no process, or a zombie
/// whose other threads have all exited (until then its open files, the
/// socket and the agent lock among them, are still held).
fn wait_dead(pid: i32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        if field("State:").starts_with('Z') && field("Threads:") == "1" {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "agent {pid} still runs 5 s after SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}
