//! The everyday path, errors, restarts and concurrency.

use std::time::Duration;

use crate::harness::{World, random_token, signal};

#[test]
fn init_add_get_lock_unlock_get() {
    let w = World::new();
    assert!(w.idp(&["status"], "").ok().contains("idp init"));
    let key = w.init("correct horse");
    let secret = random_token(24);
    w.idp(
        &[
            "add",
            "github",
            "--username",
            "me",
            "--url",
            "https://github.com",
            "--password-stdin",
        ],
        &format!("{secret}\n"),
    )
    .ok();
    assert_eq!(w.idp(&["get", "github"], "").ok().trim(), secret);
    assert_eq!(
        w.idp(&["get", "github", "--field", "username"], "")
            .ok()
            .trim(),
        "me"
    );
    assert!(w.idp(&["list"], "").ok().contains("https://github.com"));
    assert_eq!(w.idp(&["lock"], "").ok().trim(), "locked");

    let err = w.idp(&["get", "github"], "").fails(3);
    assert_eq!(
        err,
        "idp: the vault is locked\nidp: next: unlock it with `idp unlock`\n"
    );
    assert!(w.idp(&["status"], "").ok().contains("client key"));

    w.unlock("correct horse", &key).ok();
    assert_eq!(w.idp(&["get", "github"], "").ok().trim(), secret);
    let json: serde_json::Value =
        serde_json::from_str(&w.idp(&["get", "github", "--json"], "").ok()).expect("json");
    assert_eq!(json["password"], secret.as_str());
    assert_eq!(json["urls"][0], "https://github.com");
}

#[test]
fn wrong_password_typo_and_throttle() {
    let w = World::new();
    let key = w.init("right password");
    w.idp(&["lock"], "").ok();

    let err = w.unlock("wrong password", &key).fails(6);
    assert!(err.contains("wrong password"), "{err}");

    // One symbol changed: caught by the check symbols, never sent as a guess.
    let mut typo: Vec<char> = key.chars().collect();
    typo[3] = if typo[3] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let err = w.unlock("right password", &typo).fails(6);
    assert!(err.contains("typo"), "{err}");

    let err = w.idp(&["get", "x"], "").fails(3);
    assert!(err.contains("locked"), "{err}");

    for _ in 0..4 {
        w.unlock("wrong password", &key).fails(6);
    }
    let err = w.unlock("right password", &key).fails(6);
    assert!(err.contains("try again in"), "{err}");
    std::thread::sleep(Duration::from_millis(2100));
    w.unlock("right password", &key).ok();
}

#[test]
fn edit_history_search_rm_totp_and_generate() {
    let w = World::new();
    w.init("pw");
    w.idp(
        &["add", "mail", "--password-stdin", "--totp-stdin"],
        "first-pass\nGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
    )
    .ok();
    w.idp(&["edit", "mail", "--password-stdin"], "second-pass\n")
        .ok();
    assert_eq!(w.idp(&["get", "mail"], "").ok().trim(), "second-pass");
    let hist = w.idp(&["history", "mail"], "").ok();
    assert!(
        hist.contains("password") && hist.contains("first-pass"),
        "{hist}"
    );
    let code = w.idp(&["totp", "mail"], "").ok();
    assert_eq!(code.trim().len(), 6);
    assert!(code.trim().chars().all(|c| c.is_ascii_digit()));
    w.idp(
        &["add", "bank card", "--type", "card", "--card-number-stdin"],
        "4111111111111111\n",
    )
    .ok();
    assert_eq!(
        w.idp(&["get", "bank card"], "").ok().trim(),
        "4111111111111111"
    );
    assert!(w.idp(&["search", "BANK"], "").ok().contains("bank card"));
    w.idp(&["rm", "bank card"], "").ok();
    let err = w.idp(&["get", "bank card"], "").fails(4);
    assert!(err.contains("no item named"), "{err}");
    let pw = w.idp(&["generate", "--length", "32"], "").ok();
    assert_eq!(pw.trim().chars().count(), 32);
    assert_eq!(
        w.idp(&["generate", "--words", "5"], "")
            .ok()
            .trim()
            .split('-')
            .count(),
        5
    );
}

#[test]
fn agent_restart_keeps_everything() {
    let w = World::new();
    let key = w.init("pw");
    for i in 0..5 {
        w.idp(
            &["add", &format!("item{i}"), "--password-stdin"],
            &format!("secret{i}\n"),
        )
        .ok();
    }
    let pid = w.agent_pid();
    signal(pid, rustix::process::Signal::TERM);
    for _ in 0..100 {
        if std::os::unix::net::UnixStream::connect(w.socket()).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The next command starts a new agent, locked.
    w.idp(&["get", "item3"], "").fails(3);
    assert_ne!(w.agent_pid(), pid);
    w.unlock("pw", &key).ok();
    for i in 0..5 {
        assert_eq!(
            w.idp(&["get", &format!("item{i}")], "").ok().trim(),
            format!("secret{i}")
        );
    }
}

#[test]
fn eight_clis_in_parallel() {
    let w = World::new();
    w.init("pw");
    std::thread::scope(|s| {
        for t in 0..8 {
            let w = &w;
            s.spawn(move || {
                for i in 0..5 {
                    let name = format!("t{t}-{i}");
                    w.idp(
                        &["add", &name, "--password-stdin"],
                        &format!("{name}-secret\n"),
                    )
                    .ok();
                    assert_eq!(
                        w.idp(&["get", &name], "").ok().trim(),
                        format!("{name}-secret")
                    );
                }
            });
        }
    });
    assert_eq!(w.idp(&["list"], "").ok().lines().count(), 40);
    let status: serde_json::Value =
        serde_json::from_str(&w.idp(&["status", "--json"], "").ok()).expect("json");
    assert_eq!(status["items"], 40);
    w.idp(&["rm", "t0-0"], "").ok();
    assert!(w.idp(&["status"], "").ok().contains("unlocked, 39 items"));
}

#[test]
fn parallel_first_use_starts_one_agent() {
    let w = World::new();
    let pids: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| w.agent_pid())).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(pids.iter().all(|p| *p == pids[0]), "{pids:?}");
}

#[test]
fn idle_lock_from_config() {
    let w = World::new();
    w.config("[lock]\nidle = \"2s\"\nmax = \"1h\"\n");
    w.init("pw");
    w.idp(&["add", "a", "--password-stdin"], "x\n").ok();
    let st = w.idp(&["status"], "").ok();
    assert!(
        st.contains("auto-lock:  in 1 s") || st.contains("auto-lock:  in 2 s"),
        "{st}"
    );
    std::thread::sleep(Duration::from_millis(2600));
    w.idp(&["get", "a"], "").fails(3);
    assert!(w.log().contains("reason=Idle"));
}

#[test]
fn second_agent_exits_cleanly() {
    let w = World::new();
    w.idp(&["status"], "").ok();
    let mut c = std::process::Command::new(w.bins.join("idp-agent"));
    w.envs(&mut c);
    let out = c.output().expect("agent");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another agent already serves"));
}

/// `systemd-socket-activate` passes the agent only `LISTEN_*` and the
/// variables named with `-E`, as a user manager passes only its own
/// environment: everything the agent may use is given here explicitly, so
/// that it can never fall back to the paths of the user running the tests.
/// `runtime_dir` is the agent's `XDG_RUNTIME_DIR`.
fn socket_activate(
    w: &World,
    socket: &std::path::Path,
    runtime_dir: &std::path::Path,
) -> Option<std::process::Child> {
    socket_activate_all(w, &[socket], runtime_dir)
}

/// [`socket_activate`] with every socket of `sockets` passed (as systemd
/// passes all the socket units of one service).
pub fn socket_activate_all(
    w: &World,
    sockets: &[&std::path::Path],
    runtime_dir: &std::path::Path,
) -> Option<std::process::Child> {
    let activate = std::path::Path::new("/usr/bin/systemd-socket-activate");
    if !activate.exists() {
        eprintln!("systemd-socket-activate missing: skipped");
        return None;
    }
    let mut c = std::process::Command::new(activate);
    w.envs(&mut c);
    for socket in sockets {
        c.arg("-l").arg(socket);
    }
    for var in [
        "PATH",
        "HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "IDP_LOG",
    ]
    .into_iter()
    .chain(w.env.iter().map(|(k, _)| k.as_str()))
    {
        c.arg("-E").arg(var);
    }
    c.arg(format!("-EXDG_RUNTIME_DIR={}", runtime_dir.display()))
        .arg(w.bins.join("idp-agent"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let activator = c.spawn().expect("systemd-socket-activate");
    for _ in 0..200 {
        if sockets.iter().all(|s| s.exists()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(activator)
}

#[test]
fn systemd_socket_activation_and_readiness() {
    let w = World::new();
    std::fs::create_dir_all(w.path("run/idp")).expect("mkdir");
    let Some(activator) = socket_activate(&w, &w.socket(), &w.path("run")) else {
        return;
    };
    // The first connection starts the agent on the passed socket.
    assert!(w.idp(&["status"], "").ok().contains("idp init"));
    let pid = w.agent_pid();
    assert_eq!(
        pid,
        activator.id() as i32,
        "systemd-socket-activate execs the agent"
    );
    signal(pid, rustix::process::Signal::TERM);
    let out = activator.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    // The socket belongs to the activator: the agent leaves it in place.
    assert!(w.socket().exists());
}

/// An agent given a socket serves that socket, with its lock beside it,
/// even when its environment points at a folder where another agent runs
/// (as `scripts/run`'s agent at the fallback path did to the tests).
#[test]
fn socket_activation_serves_the_passed_socket_whatever_runs_elsewhere() {
    let elsewhere = World::new();
    let other_pid = elsewhere.agent_pid();

    let w = World::new();
    std::fs::create_dir_all(w.path("run/idp")).expect("mkdir");
    // The activated agent's XDG_RUNTIME_DIR is the other agent's.
    let Some(activator) = socket_activate(&w, &w.socket(), &elsewhere.path("run")) else {
        return;
    };
    let status = w.idp(&["status"], "");
    assert!(status.ok().contains("idp init"), "{}", status.stderr());
    let pid = w.agent_pid();
    assert_eq!(pid, activator.id() as i32);
    assert_ne!(pid, other_pid);
    assert!(
        w.path("run/idp/agent.lock").exists(),
        "the lock sits beside the socket"
    );
    assert_eq!(
        elsewhere.agent_pid(),
        other_pid,
        "the other agent still serves"
    );
    w.init("pw");
    w.idp(&["add", "a", "--password-stdin"], "secret-a\n").ok();
    assert_eq!(w.idp(&["get", "a"], "").ok().trim(), "secret-a");

    signal(pid, rustix::process::Signal::TERM);
    let out = activator.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("another agent"),
        "{out:?}"
    );
}
