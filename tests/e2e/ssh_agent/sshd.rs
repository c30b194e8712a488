//! `ssh` logging in to a local `sshd` through the agent, and hostile
//! clients on the raw SSH agent socket.

use super::*;

/// An sshd on a loopback port with its own host key and config, letting in
/// the keys of `authorized`.
struct Sshd {
    child: Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sshd(w: &World, authorized: &Path) -> Sshd {
    let dir = w.path("sshd");
    std::fs::create_dir_all(&dir).expect("sshd folder");
    let host_key = dir.join("host_ed25519");
    keygen(w, "ed25519", &host_key, "");
    // sshd's privilege separation wants this folder (systemd makes it when
    // the ssh service starts; no such service runs here).
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd (run the tests as root)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nPidFile none\n",
            host_key.display(),
            authorized.display()
        ),
    )
    .expect("sshd_config");
    let log = std::fs::File::create(dir.join("log")).expect("sshd log");
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd");
    let sshd = Sshd { child, port };
    w.wait_for(10, "sshd listens", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    sshd
}

fn ssh_login(w: &World, sshd: &Sshd, pubkey: &Path) -> Output {
    let known = w.path("home/known_hosts");
    run(openssh(
        w,
        "ssh",
        &[
            "-F",
            "/dev/null",
            "-p",
            &sshd.port.to_string(),
            "-i",
            pubkey.to_str().expect("path"),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            &format!("UserKnownHostsFile={}", known.display()),
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            &format!("IdentityAgent={}", sock(w).display()),
            "root@127.0.0.1",
            "echo logged-in-as-$(id -un)",
        ],
    ))
}

#[test]
fn ssh_logs_in_to_a_local_sshd_and_is_refused_once_locked() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: sshd logs in as root only when started by root");
        return;
    }
    let (w, key) = ssh_world();
    w.idp(&["ssh", "generate", "login"], "").ok();
    let pubkey = write_public(&w, "login");
    let authorized = w.path("home/authorized_keys");
    std::fs::copy(&pubkey, &authorized).expect("authorized_keys");
    let sshd = start_sshd(&w, &authorized);

    let out = ssh_login(&w, &sshd, &pubkey);
    let log = || std::fs::read_to_string(w.path("sshd/log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "ssh failed: {}\nsshd: {}",
        String::from_utf8_lossy(&out.stderr),
        log()
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "logged-in-as-root"
    );

    w.idp(&["lock"], "").ok();
    let refused = ssh_login(&w, &sshd, &pubkey);
    assert!(!refused.status.success(), "logged in with a locked vault");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Permission denied"));

    w.unlock("pw", &key).ok();
    assert!(ssh_login(&w, &sshd, &pubkey).status.success());

    // With confirmation on, the question names the server by the host key
    // `ssh` bound the session to.
    restart_confirming(&w, &key, "every-use", "OK");
    assert!(ssh_login(&w, &sshd, &pubkey).status.success());
    let host = ok(run(openssh(
        &w,
        "ssh-keygen",
        &[
            "-l",
            "-f",
            w.path("sshd/host_ed25519.pub").to_str().expect("path"),
        ],
    )));
    let host = host
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_owned();
    let asked = questions(&w);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains(&format!("host key is {host}")),
        "{asked:?}"
    );
}

/// Sends `frame` (length prefix included) and reads one reply; `None` when
/// the agent closed the connection instead.
fn exchange(w: &World, frame: &[u8]) -> Option<Vec<u8>> {
    let mut s = UnixStream::connect(sock(w)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(frame).expect("write");
    let mut head = [0u8; 4];
    s.read_exact(&mut head).ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
    s.read_exact(&mut body).expect("body");
    Some(body)
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

fn string(b: &[u8]) -> Vec<u8> {
    framed(b)
}

#[test]
fn hostile_ssh_clients_are_refused_cleanly_and_the_agent_keeps_serving() {
    let (w, _) = ssh_world();
    w.idp(&["ssh", "generate", "k"], "").ok();
    const FAILURE: &[u8] = &[5];

    // Unknown message types, an empty message, an unknown extension.
    assert_eq!(exchange(&w, &framed(&[200])).as_deref(), Some(FAILURE));
    assert_eq!(exchange(&w, &framed(&[])).as_deref(), Some(FAILURE));
    let mut ext = vec![27];
    ext.extend(string(b"no-such-extension@example.org"));
    assert_eq!(exchange(&w, &framed(&ext)).as_deref(), Some(FAILURE));

    // A sign request whose fields are cut short, or whose string length
    // points far past the message.
    let mut cut = vec![13];
    cut.extend(string(b"blob"));
    cut.extend(&[0, 0, 0, 50, 1, 2]);
    assert_eq!(exchange(&w, &framed(&cut)).as_deref(), Some(FAILURE));
    let mut huge = vec![13];
    huge.extend(u32::MAX.to_be_bytes());
    assert_eq!(exchange(&w, &framed(&huge)).as_deref(), Some(FAILURE));

    // A sign request for a key the vault does not hold.
    let mut other = Command::new("ssh-keygen");
    other
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(w.path("home/other"));
    ok(run(other));
    let line = std::fs::read_to_string(w.path("home/other.pub")).expect("pub");
    let blob = decode_base64(line.split_whitespace().nth(1).expect("base64"));
    let mut sign = vec![13];
    sign.extend(string(&blob));
    sign.extend(string(b"data"));
    sign.extend(0u32.to_be_bytes());
    assert_eq!(exchange(&w, &framed(&sign)).as_deref(), Some(FAILURE));

    // Removing keys is refused and removes nothing.
    assert_eq!(exchange(&w, &framed(&[19])).as_deref(), Some(FAILURE));
    assert_eq!(ok(run(openssh(&w, "ssh-add", &["-L"]))).lines().count(), 1);

    // Over OpenSSH's 256 KiB cap: the connection is closed at once, before
    // the announced bytes arrive.
    let mut over = ((256 * 1024 + 1) as u32).to_be_bytes().to_vec();
    over.push(11);
    assert_eq!(exchange(&w, &over), None);
    assert_eq!(exchange(&w, &u32::MAX.to_be_bytes()), None);

    // A frame cut off by a client that goes away.
    {
        let mut s = UnixStream::connect(sock(&w)).expect("connect");
        s.write_all(&[0, 0, 0, 100, 13, 0]).expect("write");
    }

    // Many connections held open and silent do not keep others out.
    let idle: Vec<UnixStream> = (0..200)
        .filter_map(|_| UnixStream::connect(sock(&w)).ok())
        .collect();
    assert_eq!(ok(run(openssh(&w, "ssh-add", &["-L"]))).lines().count(), 1);
    drop(idle);
    assert_eq!(w.state(), "unlocked");

    // LOCK (`ssh-add -x`) locks the vault; UNLOCK is refused (`idp unlock`).
    let mut lock = vec![22];
    lock.extend(string(b"any"));
    assert_eq!(exchange(&w, &framed(&lock)).as_deref(), Some(&[6u8][..]));
    assert_eq!(w.state(), "locked");
    let mut unlock = vec![23];
    unlock.extend(string(b"any"));
    assert_eq!(exchange(&w, &framed(&unlock)).as_deref(), Some(FAILURE));
    assert_eq!(w.state(), "locked");
}
