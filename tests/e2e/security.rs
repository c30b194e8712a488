//! Who may talk to the agent, what a hostile frame costs, and what is left
//! in the agent's memory after a lock.
//!
//! The tests that need a second user run as root and use (creating it if
//! missing) the user `idp-e2e-other`; elsewhere they say so and pass.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::{World, random_token};

const OTHER: &str = "idp-e2e-other";

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The second user's uid and gid, made if missing.
fn other_user() -> Option<(u32, u32)> {
    if !is_root() {
        eprintln!("not root: skipping the second-user part");
        return None;
    }
    let id = |flag: &str| {
        Command::new("id")
            .args([flag, OTHER])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    if id("-u").is_none() {
        let made = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", OTHER])
            .status();
        assert!(made.is_ok_and(|s| s.success()), "useradd {OTHER} failed");
    }
    Some((id("-u")?, id("-g")?))
}

/// A command run as the second user.
fn as_other(uid: u32, gid: u32, program: &Path) -> Command {
    let mut c = Command::new("setpriv");
    c.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .arg("--clear-groups")
        .arg(program);
    c
}

fn open_up(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn another_uid_is_refused_even_with_an_open_socket() {
    let Some((uid, gid)) = other_user() else {
        return;
    };
    let w = World::new();
    w.idp(&["status"], "").ok();
    // Open every folder on the way and the socket itself to everyone.
    open_up(w.dir.path(), 0o755);
    open_up(&w.path("run"), 0o755);
    open_up(&w.path("run/idp"), 0o755);
    open_up(&w.socket(), 0o666);
    let probe = format!(
        "import socket\n\
         s=socket.socket(socket.AF_UNIX)\n\
         s.connect({:?})\n\
         s.settimeout(5)\n\
         try:\n    s.sendall(b'\\x00\\x00\\x00\\x05hello')\n    d=s.recv(100)\n\
         except (BrokenPipeError, ConnectionResetError):\n    d=b''\n\
         print('answered' if d else 'refused')\n",
        w.socket().display().to_string()
    );
    let out = as_other(uid, gid, Path::new("/usr/bin/python3"))
        .args(["-c", &probe])
        .output()
        .expect("python3");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "refused",
        "{out:?}"
    );
    assert!(w.log().contains("refused a connection from another user"));
    // And the agent still serves its own user.
    w.idp(&["status"], "").ok();
}

#[test]
fn huge_length_prefix_allocates_nothing_and_agent_keeps_serving() {
    let w = World::new();
    let pid = w.agent_pid();
    let before = rss_kib(pid);
    for _ in 0..20 {
        let mut s = UnixStream::connect(w.socket()).expect("connect");
        s.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])
            .expect("write");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = [0u8; 16];
        // The agent closes the connection without answering.
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
    let after = rss_kib(pid);
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
    w.idp(&["status"], "").ok();
    assert_eq!(w.agent_pid(), pid);
}

/// Every readable region of `pid`'s memory.
fn dump_memory(pid: i32) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open mem");
    let mut all = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (a, b) = (
            u64::from_str_radix(a, 16).expect("hex"),
            u64::from_str_radix(b, 16).expect("hex"),
        );
        let mut region = vec![0u8; (b - a) as usize];
        if std::os::unix::fs::FileExt::read_exact_at(&mem, &mut region, a).is_ok() {
            all.extend_from_slice(&region);
        }
        let _ = &mut mem;
    }
    all
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn memory_after_lock_holds_no_secret() {
    if !is_root() {
        eprintln!("not root: cannot read the agent's memory; skipped");
        return;
    }
    let w = World::new();
    let password = format!("{}-pw", random_token(20));
    let key = w.init(&password);
    w.idp(&["lock"], "").ok();
    w.unlock(&password, &key).ok();
    let item_secrets: Vec<String> = (0..5).map(|_| random_token(24)).collect();
    let totp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    w.idp(
        &[
            "add",
            "login",
            "--password-stdin",
            "--totp-stdin",
            "--note-stdin",
        ],
        &format!("{}\n{totp}\n{}\n", item_secrets[0], item_secrets[1]),
    )
    .ok();
    w.idp(
        &[
            "add",
            "card",
            "--type",
            "card",
            "--card-number-stdin",
            "--card-cvv-stdin",
        ],
        &format!("{}\n{}\n", item_secrets[2], item_secrets[3]),
    )
    .ok();
    w.idp(
        &["edit", "login", "--password-stdin"],
        &format!("{}\n", item_secrets[4]),
    )
    .ok();
    w.idp(&["get", "login", "--json"], "").ok();
    w.idp(&["get", "card", "--json"], "").ok();
    w.idp(&["history", "login"], "").ok();
    w.idp(&["totp", "login"], "").ok();
    let pid = w.agent_pid();
    w.idp(&["lock"], "").ok();
    // Let the agent drop the connections of the commands above.
    std::thread::sleep(Duration::from_millis(300));

    let memory = dump_memory(pid);
    assert!(
        memory.len() > 1024 * 1024,
        "read only {} bytes",
        memory.len()
    );
    let canonical: String = key.chars().filter(|c| *c != '-').collect();
    let mut secrets = vec![password.clone(), key.clone(), canonical, totp.to_string()];
    secrets.extend(item_secrets);
    let mut found = Vec::new();
    for s in &secrets {
        for needle in [s.as_bytes(), &s.as_bytes()[..8]] {
            let n = count(&memory, needle);
            if n > 0 {
                found.push(format!("{:?}: {n}", String::from_utf8_lossy(needle)));
            }
        }
    }
    assert!(
        found.is_empty(),
        "secrets left in the agent after lock: {found:?}"
    );
}

#[test]
fn agent_memory_is_closed_to_its_own_user() {
    let Some((uid, gid)) = other_user() else {
        return;
    };
    let w = World::new();
    // The other user needs its own folders and a copy of the binaries it can
    // reach (the target folder may sit under /root).
    let bins = w.path("bin");
    std::fs::create_dir_all(&bins).expect("mkdir");
    for b in ["idp", "idp-agent"] {
        std::fs::copy(w.bins.join(b), bins.join(b)).expect("copy");
    }
    open_up(w.dir.path(), 0o755);
    for d in [
        "bin",
        "home",
        "run",
        "config",
        "config/idp",
        "data",
        "state",
    ] {
        let p = w.path(d);
        rustix::fs::chown(
            &p,
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
        )
        .expect("chown");
        if d == "run" {
            open_up(&p, 0o700);
        }
    }
    let mut agent = as_other(uid, gid, &bins.join("idp-agent"));
    w.envs(&mut agent);
    agent
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = agent.spawn().expect("agent as other user");
    let socket = w.socket();
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // setpriv execs the agent, so the child's pid is the agent's.
    let pid = child.id();
    let probe = format!(
        "try:\n    open('/proc/{pid}/mem','rb').read(1)\n    print('opened')\n\
         except PermissionError:\n    print('denied')\n"
    );
    let out = as_other(uid, gid, Path::new("/usr/bin/python3"))
        .args(["-c", &probe])
        .output()
        .expect("python3");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "denied",
        "{out:?}"
    );
}

/// The agent `idp` starts on demand hardens itself as far as an
/// unprivileged process can: no new privileges, no core dumps, umask 077,
/// and its descriptor limit raised so the connection cap sits far below it.
#[test]
fn on_demand_agent_hardens_itself() {
    let w = World::new();
    let pid = w.agent_pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(status.contains("Umask:\t0077"), "{status}");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let fields = |name: &str| -> Vec<String> {
        limits
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| {
                l[name.len()..]
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let core = fields("Max core file size");
    assert_eq!(&core[..2], ["0", "0"], "{limits}");
    let files = fields("Max open files");
    assert_eq!(
        files[0], files[1],
        "soft limit raised to the hard one: {limits}"
    );
}
