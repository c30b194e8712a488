//! idp's SSH agent socket driven by OpenSSH's own programs: `ssh-add`,
//! `ssh-keygen -Y`, `ssh` against an `sshd` this test starts on a loopback
//! port, and git's SSH commit signing; then a hostile client on the raw
//! socket.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::harness::World;

const SSH_ON: &str = "[ssh_agent]\nserve = true\n";

/// A world with a vault, unlocked, whose agent serves the SSH socket.
fn ssh_world() -> (World, String) {
    let w = World::new();
    w.config(SSH_ON);
    let key = w.init("pw");
    (w, key)
}

fn sock(w: &World) -> PathBuf {
    w.path("run/idp/ssh.sock")
}

/// An OpenSSH program with the world's SSH socket as `SSH_AUTH_SOCK`.
fn openssh(w: &World, prog: &str, args: &[&str]) -> Command {
    let mut c = Command::new(prog);
    c.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin")
        .env("HOME", w.path("home"))
        .env("SSH_AUTH_SOCK", sock(w))
        .stdin(Stdio::null());
    c
}

#[track_caller]
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(mut c: Command) -> Output {
    c.output().expect("run an OpenSSH program")
}

fn sorted(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
    v.sort();
    v
}

/// `type base64` of an `authorized_keys` line, without the comment.
fn key_part(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn public(w: &World, name: &str) -> String {
    w.idp(&["ssh", "public", name], "").ok().trim().to_owned()
}

fn write_public(w: &World, name: &str) -> PathBuf {
    let path = w.path(&format!("home/{name}.pub"));
    std::fs::write(&path, format!("{}\n", public(w, name))).expect("write public key");
    path
}

#[test]
fn ssh_add_lists_exactly_the_vault_keys_and_none_once_locked() {
    let (w, key) = ssh_world();
    w.idp(&["ssh", "generate", "ed"], "").ok();
    w.idp(
        &["ssh", "generate", "ec", "--type", "ecdsa", "--bits", "384"],
        "",
    )
    .ok();
    w.idp(&["ssh", "generate", "rsa", "--type", "rsa"], "").ok();
    w.idp(&["add", "not-a-key", "--password-stdin"], "pw\n")
        .ok();

    let listed = ok(run(openssh(&w, "ssh-add", &["-L"])));
    let want: Vec<String> = ["ec", "ed", "rsa"].iter().map(|n| public(&w, n)).collect();
    assert_eq!(sorted(&listed), sorted(&want.join("\n")));

    let fingerprints = ok(run(openssh(&w, "ssh-add", &["-l"])));
    let ours: Vec<String> = w
        .idp(&["ssh", "list"], "")
        .ok()
        .lines()
        .map(|l| l.split_whitespace().last().expect("fingerprint").to_owned())
        .collect();
    assert_eq!(ours.len(), 3);
    let theirs: Vec<String> = fingerprints
        .lines()
        .map(|l| l.split_whitespace().nth(1).expect("fingerprint").to_owned())
        .collect();
    assert_eq!(sorted(&theirs.join("\n")), sorted(&ours.join("\n")));
    assert!(fingerprints.contains("(ED25519)") && fingerprints.contains("(RSA)"));
    assert!(fingerprints.contains("384 SHA256:") && fingerprints.contains("3072 SHA256:"));

    w.idp(&["lock"], "").ok();
    let locked = run(openssh(&w, "ssh-add", &["-l"]));
    assert_eq!(locked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&locked.stdout).contains("no identities"));
    w.unlock("pw", &key).ok();
    assert_eq!(ok(run(openssh(&w, "ssh-add", &["-L"]))).lines().count(), 3);
}

#[test]
fn ssh_keygen_signs_through_the_agent_and_git_commits_verify() {
    let (w, _) = ssh_world();
    for (name, args) in [
        ("ed", &["--type", "ed25519"][..]),
        ("ec", &["--type", "ecdsa"][..]),
        ("rsa", &["--type", "rsa"][..]),
    ] {
        let mut a = vec!["ssh", "generate", name, "--comment", "me@example.org"];
        a.extend(args);
        w.idp(&a, "").ok();
        let pubkey = write_public(&w, name);
        let msg = w.path(&format!("home/msg-{name}"));
        std::fs::write(&msg, b"signed through idp\n").expect("message");
        let (msg_s, pub_s) = (msg.to_str().expect("path"), pubkey.to_str().expect("path"));
        ok(run(openssh(
            &w,
            "ssh-keygen",
            &["-Y", "sign", "-f", pub_s, "-n", "git", msg_s],
        )));
        let allowed = w.path(&format!("home/allowed-{name}"));
        std::fs::write(&allowed, format!("me@example.org {}\n", public(&w, name)))
            .expect("allowed signers");
        let sig = format!("{msg_s}.sig");
        let mut verify = openssh(
            &w,
            "ssh-keygen",
            &[
                "-Y",
                "verify",
                "-f",
                allowed.to_str().expect("path"),
                "-I",
                "me@example.org",
                "-n",
                "git",
                "-s",
                &sig,
            ],
        );
        verify.stdin(std::fs::File::open(&msg).expect("message"));
        assert!(ok(run(verify)).contains("Good \"git\" signature"));
    }

    // git commit -S with gpg.format = ssh, then verify-commit.
    let repo = w.path("home/repo");
    std::fs::create_dir(&repo).expect("repo");
    let pubkey = w.path("home/ed.pub");
    let allowed = w.path("home/allowed-ed");
    let git = |args: &[&str]| {
        let mut c = openssh(&w, "git", args);
        c.current_dir(&repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null");
        run(c)
    };
    ok(git(&["init", "-q"]));
    for (k, v) in [
        ("user.name", "Me"),
        ("user.email", "me@example.org"),
        ("gpg.format", "ssh"),
        ("user.signingkey", pubkey.to_str().expect("path")),
        (
            "gpg.ssh.allowedSignersFile",
            allowed.to_str().expect("path"),
        ),
    ] {
        ok(git(&["config", k, v]));
    }
    ok(git(&[
        "commit",
        "-q",
        "-S",
        "--allow-empty",
        "-m",
        "signed",
    ]));
    let verified = git(&["verify-commit", "HEAD"]);
    ok(verified.clone());
    assert!(String::from_utf8_lossy(&verified.stderr).contains("Good \"git\" signature"));

    w.idp(&["lock"], "").ok();
    let refused = git(&["commit", "-q", "-S", "--allow-empty", "-m", "locked"]);
    assert!(!refused.status.success(), "a locked vault signs nothing");
}

/// `ssh-keygen -t TYPE` into `file`, with `passphrase` (empty: none).
fn keygen(w: &World, ty: &str, file: &Path, passphrase: &str) {
    let f = file.to_str().expect("path");
    let mut args = vec![
        "-q",
        "-t",
        ty,
        "-N",
        passphrase,
        "-C",
        "made@keygen",
        "-f",
        f,
    ];
    if ty == "ecdsa" {
        args.extend(["-b", "384"]);
    }
    ok(run(openssh(w, "ssh-keygen", &args)));
}

#[test]
fn keys_written_by_ssh_keygen_import_and_ssh_add_stores_them() {
    let (w, _) = ssh_world();
    for ty in ["ed25519", "ecdsa", "rsa"] {
        for pass in ["", "open sesame"] {
            let file = w.path(&format!("home/id_{ty}_{}", pass.len()));
            keygen(&w, ty, &file, pass);
            let f = file.to_str().expect("path");
            let name = format!("imported-{ty}-{}", pass.len());
            let mut args = vec!["ssh", "import", f, "--name", &name];
            if !pass.is_empty() {
                args.push("--passphrase-stdin");
            }
            w.idp(&args, &format!("{pass}\n")).ok();
            let theirs = ok(run(openssh(&w, "ssh-keygen", &["-y", "-P", pass, "-f", f])));
            assert_eq!(
                key_part(&public(&w, &name)),
                key_part(&theirs),
                "{ty} {pass:?}"
            );
        }
    }
    // A wrong passphrase is refused and stores nothing.
    let file = w.path("home/id_ed25519_11");
    let refused = w.idp(
        &[
            "ssh",
            "import",
            file.to_str().expect("path"),
            "--name",
            "x",
            "--passphrase-stdin",
        ],
        "wrong\n",
    );
    assert!(refused.fails(1).contains("wrong passphrase"));

    // ssh-add of a plain file and of a protected one (passphrase through
    // SSH_ASKPASS) stores each key in the vault.
    let askpass = w.path("home/askpass");
    std::fs::write(&askpass, "#!/bin/sh\necho 'add me'\n").expect("askpass");
    std::fs::set_permissions(
        &askpass,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("chmod");
    for (ty, pass) in [("ed25519", ""), ("ecdsa", "add me"), ("rsa", "")] {
        let file = w.path(&format!("home/add_{ty}"));
        keygen(&w, ty, &file, pass);
        let f = file.to_str().expect("path");
        let mut add = openssh(&w, "ssh-add", &[f]);
        add.env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0");
        ok(run(add));
        let theirs = ok(run(openssh(&w, "ssh-keygen", &["-y", "-P", pass, "-f", f])));
        let fp = ok(run(openssh(
            &w,
            "ssh-keygen",
            &["-l", "-f", &format!("{f}.pub")],
        )));
        let fp = fp
            .split_whitespace()
            .nth(1)
            .expect("fingerprint")
            .to_owned();
        let list = w.idp(&["ssh", "list"], "").ok();
        assert!(list.contains(&fp), "{ty}: {list}");
        assert!(
            ok(run(openssh(&w, "ssh-add", &["-L"])))
                .lines()
                .any(|l| key_part(l) == key_part(&theirs))
        );
    }
    // The comment names the item; adding the same key again stores nothing.
    let before = w.idp(&["ssh", "list"], "").ok().lines().count();
    ok(run(openssh(
        &w,
        "ssh-add",
        &[w.path("home/add_ed25519").to_str().expect("path")],
    )));
    assert_eq!(w.idp(&["ssh", "list"], "").ok().lines().count(), before);
    assert_eq!(before, 9);
}

#[test]
fn a_key_generated_on_one_device_signs_on_another() {
    let folder = tempfile::tempdir().expect("folder");
    let vault = folder.path().join("vault");
    let conf = format!("vault_dir = {:?}\n{SSH_ON}", vault.display().to_string());
    let a = World::with_vault(&vault);
    a.config(&conf);
    let key = a.init("pw");
    let b = World::with_vault(&vault);
    b.config(&conf);
    b.unlock("pw", &key).ok();

    a.idp(
        &["ssh", "generate", "shared", "--comment", "me@example.org"],
        "",
    )
    .ok();
    let line = public(&a, "shared");
    b.wait_for(10, "the key reaches device B", || {
        run(openssh(&b, "ssh-add", &["-L"]))
            .stdout
            .starts_with(key_part(&line).as_bytes())
    });
    let pubkey = write_public(&b, "shared");
    let msg = b.path("home/msg");
    std::fs::write(&msg, b"from B").expect("message");
    let (m, p) = (msg.to_str().expect("path"), pubkey.to_str().expect("path"));
    ok(run(openssh(
        &b,
        "ssh-keygen",
        &["-Y", "sign", "-f", p, "-n", "file", m],
    )));
    let allowed = b.path("home/allowed");
    std::fs::write(&allowed, format!("me@example.org {line}\n")).expect("allowed");
    let mut verify = openssh(
        &b,
        "ssh-keygen",
        &[
            "-Y",
            "verify",
            "-f",
            allowed.to_str().expect("path"),
            "-I",
            "me@example.org",
            "-n",
            "file",
            "-s",
            &format!("{m}.sig"),
        ],
    );
    verify.stdin(std::fs::File::open(&msg).expect("message"));
    ok(run(verify));
}

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
    let pin = confirming_pinentry(&w, "OK");
    w.config(&format!(
        "pinentry = {:?}\n{SSH_ON}confirm = \"every-use\"\n",
        pin.display().to_string()
    ));
    crate::harness::signal(w.agent_pid(), rustix::process::Signal::TERM);
    w.wait_for(10, "the agent stops", || {
        UnixStream::connect(w.socket()).is_err()
    });
    w.unlock("pw", &key).ok();
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

fn decode_base64(text: &str) -> Vec<u8> {
    let out = Command::new("base64")
        .arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().expect("stdin").write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .expect("base64");
    out.stdout
}

#[test]
fn export_writes_a_new_private_file_that_openssh_reads() {
    let (w, _) = ssh_world();
    w.idp(&["ssh", "generate", "out", "--type", "ecdsa"], "")
        .ok();
    let file = w.path("home/exported");
    let f = file.to_str().expect("path");
    let refused = w.idp(&["ssh", "export", "out", f, "--password-stdin"], "pw\n");
    assert!(refused.fails(1).contains("--plaintext"));
    assert!(!file.exists());
    let wrong = w.idp(
        &["ssh", "export", "out", "--plaintext", f, "--password-stdin"],
        "nope\n",
    );
    assert_ne!(wrong.code(), 0);
    assert!(!file.exists());
    w.idp(
        &["ssh", "export", "out", "--plaintext", f, "--password-stdin"],
        "pw\n",
    )
    .ok();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&file).expect("exported").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let theirs = ok(run(openssh(&w, "ssh-keygen", &["-y", "-f", f])));
    assert_eq!(key_part(&theirs), key_part(&public(&w, "out")));
    // Never over an existing file.
    let again = w.idp(
        &["ssh", "export", "out", "--plaintext", f, "--password-stdin"],
        "pw\n",
    );
    assert!(again.fails(1).contains("never replaced"));

    // `idp ssh` says where the socket is, in both forms.
    let setup = w.idp(&["ssh"], "").ok();
    let s = sock(&w).display().to_string();
    assert!(setup.contains(&format!("IdentityAgent {s}")), "{setup}");
    assert!(
        setup.contains(&format!("export SSH_AUTH_SOCK={s}")),
        "{setup}"
    );
    // An SSH key is not a login: `idp get` points to `idp ssh`.
    assert!(
        w.idp(&["get", "out"], "")
            .fails(4)
            .contains("idp ssh public")
    );
}

/// With both sockets passed (the two socket units of one service), the
/// first SSH request starts the agent, which serves the SSH socket it was
/// given although `serve` is not set.
#[test]
fn socket_activation_passes_the_ssh_socket_too() {
    let w = World::new();
    std::fs::create_dir_all(w.path("run/idp")).expect("mkdir");
    let ssh = sock(&w);
    let Some(mut activator) =
        crate::lifecycle::socket_activate_all(&w, &[&w.socket(), &ssh], &w.path("run"))
    else {
        return;
    };
    let none = run(openssh(&w, "ssh-add", &["-l"]));
    assert_eq!(none.status.code(), Some(1), "{none:?}");
    assert!(String::from_utf8_lossy(&none.stdout).contains("no identities"));
    w.init("pw");
    w.idp(&["ssh", "generate", "activated"], "").ok();
    assert_eq!(
        key_part(&ok(run(openssh(&w, "ssh-add", &["-L"])))),
        key_part(&public(&w, "activated"))
    );
    crate::harness::signal(w.agent_pid(), rustix::process::Signal::TERM);
    let _ = activator.wait();
}

/// A pinentry that answers CONFIRM with `answer` (`OK`, or a cancel) and
/// logs each question, in the world's folder.
fn confirming_pinentry(w: &World, answer: &str) -> PathBuf {
    let bin = w.path("home/pinentry");
    let log = w.path("home/pinentry.log");
    let reply = if answer == "OK" {
        "OK".to_owned()
    } else {
        "ERR 83886179 Operation cancelled <Pinentry>".to_owned()
    };
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho 'OK Pleased to meet you'\nwhile IFS= read -r line; do\n  case \
             \"$line\" in\n    SETDESC\\ *) printf '%s\\n' \"${{line#SETDESC }}\" >> {log}; echo \
             OK ;;\n    CONFIRM*) echo '{reply}' ;;\n    BYE) echo OK; exit 0 ;;\n    *) echo OK \
             ;;\n  esac\ndone\n",
            log = log.display()
        ),
    )
    .expect("pinentry");
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    bin
}

fn sign_file(w: &World, pubkey: &Path) -> bool {
    let msg = w.path("home/confirm-msg");
    std::fs::write(&msg, b"m").expect("message");
    let _ = std::fs::remove_file(w.path("home/confirm-msg.sig"));
    run(openssh(
        w,
        "ssh-keygen",
        &[
            "-q",
            "-Y",
            "sign",
            "-f",
            pubkey.to_str().expect("path"),
            "-n",
            "file",
            msg.to_str().expect("path"),
        ],
    ))
    .status
    .success()
}

fn questions(w: &World) -> Vec<String> {
    std::fs::read_to_string(w.path("home/pinentry.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn confirmation_asks_with_pinentry_naming_the_key_and_a_no_refuses() {
    let (w, key) = ssh_world();
    w.idp(&["ssh", "generate", "asked"], "").ok();
    let pubkey = write_public(&w, "asked");
    let fingerprint = w.idp(&["ssh", "list"], "").ok();
    let fingerprint = fingerprint
        .split_whitespace()
        .last()
        .expect("fingerprint")
        .to_owned();
    let restart = |confirm: &str, answer: &str| {
        let pin = confirming_pinentry(&w, answer);
        w.config(&format!(
            "pinentry = {:?}\n{SSH_ON}confirm = {confirm:?}\n",
            pin.display().to_string()
        ));
        crate::harness::signal(w.agent_pid(), rustix::process::Signal::TERM);
        w.wait_for(10, "the agent stops", || {
            UnixStream::connect(w.socket()).is_err()
        });
        w.unlock("pw", &key).ok();
        let _ = std::fs::remove_file(w.path("home/pinentry.log"));
    };

    restart("every-use", "OK");
    assert!(sign_file(&w, &pubkey));
    assert!(sign_file(&w, &pubkey));
    let asked = questions(&w);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        asked[0].contains("\u{201c}asked\u{201d}") && asked[0].contains(&fingerprint),
        "{asked:?}"
    );
    assert!(asked[0].contains("did not name a server"), "{asked:?}");

    restart("once-per-unlock", "OK");
    assert!(sign_file(&w, &pubkey));
    assert!(sign_file(&w, &pubkey));
    assert_eq!(questions(&w).len(), 1, "asked once per unlock");
    w.idp(&["lock"], "").ok();
    w.unlock("pw", &key).ok();
    assert!(sign_file(&w, &pubkey));
    assert_eq!(questions(&w).len(), 2, "asked again after an unlock");

    restart("every-use", "cancel");
    assert!(!sign_file(&w, &pubkey), "a no refuses the signature");
    assert_eq!(questions(&w).len(), 1);
    // Listing keys asks nothing.
    assert_eq!(ok(run(openssh(&w, "ssh-add", &["-L"]))).lines().count(), 1);
    assert_eq!(questions(&w).len(), 1);
}

/// PEM files: PKCS#8 (plain and encrypted) from `ssh-keygen -m PKCS8` and
/// `openssl` (Ed25519, which ssh-keygen writes in OpenSSH's format only),
/// PKCS#1 and SEC1 from `ssh-keygen -m PEM`; the old OpenSSL encryption is
/// refused with the way out.
#[test]
fn pem_and_pkcs8_files_import() {
    let (w, _) = ssh_world();
    let pass = "open sesame";
    let mut files = Vec::new();
    for (ty, format) in [
        ("ecdsa", "PKCS8"),
        ("rsa", "PKCS8"),
        ("ecdsa", "PEM"),
        ("rsa", "PEM"),
    ] {
        for p in ["", pass] {
            if format == "PEM" && !p.is_empty() {
                continue;
            }
            let file = w.path(&format!("home/{format}_{ty}_{}", p.len()));
            let f = file.to_str().expect("path").to_owned();
            ok(run(openssh(
                &w,
                "ssh-keygen",
                &["-q", "-t", ty, "-N", p, "-m", format, "-f", &f],
            )));
            files.push((f, p));
        }
    }
    let openssl = |args: &[&str]| ok(run(openssh(&w, "openssl", args)));
    let ed = w
        .path("home/openssl_ed25519")
        .to_str()
        .expect("path")
        .to_owned();
    let ed_enc = format!("{ed}_enc");
    let ed_plain = format!("{ed}_plain");
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &ed]);
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &ed_plain]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        &ed_plain,
        "-out",
        &ed_enc,
        "-passout",
        &format!("pass:{pass}"),
    ]);
    files.push((ed.clone(), ""));
    files.push((ed_enc, pass));

    for (n, (f, p)) in files.iter().enumerate() {
        let name = format!("pem-{n}");
        let mut args = vec!["ssh", "import", f.as_str(), "--name", &name];
        if !p.is_empty() {
            args.push("--passphrase-stdin");
        }
        w.idp(&args, &format!("{p}\n")).ok();
        let ours = public(&w, &name);
        if f.contains("openssl") {
            // ssh-keygen does not read Ed25519 PKCS#8: compare the raw
            // public key with openssl's (the last 32 bytes of both forms).
            let mut c = openssh(
                &w,
                "openssl",
                &["pkey", "-in", f, "-pubout", "-outform", "DER"],
            );
            c.arg("-passin").arg(format!("pass:{p}"));
            let der = run(c).stdout;
            let blob = decode_base64(ours.split_whitespace().nth(1).expect("base64"));
            assert_eq!(der[der.len() - 32..], blob[blob.len() - 32..], "{f}");
            continue;
        }
        let theirs = ok(run(openssh(&w, "ssh-keygen", &["-y", "-P", p, "-f", f])));
        assert_eq!(key_part(&ours), key_part(&theirs), "{f}");
    }

    let legacy = w.path("home/legacy").to_str().expect("path").to_owned();
    ok(run(openssh(
        &w,
        "ssh-keygen",
        &["-q", "-t", "rsa", "-N", pass, "-m", "PEM", "-f", &legacy],
    )));
    let refused = w.idp(
        &["ssh", "import", &legacy, "--passphrase-stdin"],
        &format!("{pass}\n"),
    );
    assert!(refused.fails(1).contains("ssh-keygen -p -f FILE"));
}
