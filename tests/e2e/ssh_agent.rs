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

mod keys;
mod sshd;

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
        let verified = sign_and_verify(&w, &pubkey, &public(&w, name), "git");
        assert!(verified.contains("Good \"git\" signature"), "{verified}");
    }

    // git commit -S with gpg.format = ssh, then verify-commit.
    let repo = w.path("home/repo");
    std::fs::create_dir(&repo).expect("repo");
    let pubkey = w.path("home/ed.pub");
    let allowed = w.path("home/allowed-ed");
    std::fs::write(&allowed, format!("me@example.org {}\n", public(&w, "ed")))
        .expect("allowed signers");
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
    sign_and_verify(&b, &pubkey, &line, "file");
}

/// Signs a message with `ssh-keygen -Y sign` through the agent (the public
/// key file names the key) and verifies the signature against the
/// `authorized_keys` line `public`; returns what `-Y verify` printed.
fn sign_and_verify(w: &World, pubkey: &Path, public: &str, namespace: &str) -> String {
    let msg = w.path(&format!("home/msg-{namespace}"));
    std::fs::write(&msg, b"signed through idp\n").expect("message");
    let _ = std::fs::remove_file(w.path(&format!("home/msg-{namespace}.sig")));
    let m = msg.to_str().expect("path");
    ok(run(openssh(
        w,
        "ssh-keygen",
        &[
            "-Y",
            "sign",
            "-f",
            pubkey.to_str().expect("path"),
            "-n",
            namespace,
            m,
        ],
    )));
    let allowed = w.path(&format!("home/allowed-{namespace}"));
    std::fs::write(&allowed, format!("me@example.org {public}\n")).expect("allowed signers");
    let sig = format!("{m}.sig");
    let mut verify = openssh(
        w,
        "ssh-keygen",
        &[
            "-Y",
            "verify",
            "-f",
            allowed.to_str().expect("path"),
            "-I",
            "me@example.org",
            "-n",
            namespace,
            "-s",
            &sig,
        ],
    );
    verify.stdin(std::fs::File::open(&msg).expect("message"));
    ok(run(verify))
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

/// Restarts the agent with `[ssh_agent] confirm = CONFIRM` and a pinentry
/// that answers `answer`, unlocks it, and starts the pinentry's log afresh.
fn restart_confirming(w: &World, key: &str, confirm: &str, answer: &str) {
    let pin = confirming_pinentry(w, answer);
    w.config(&format!(
        "pinentry = {:?}\n{SSH_ON}confirm = {confirm:?}\n",
        pin.display().to_string()
    ));
    crate::harness::signal(w.agent_pid(), rustix::process::Signal::TERM);
    w.wait_for(10, "the agent stops", || {
        UnixStream::connect(w.socket()).is_err()
    });
    w.unlock("pw", key).ok();
    let _ = std::fs::remove_file(w.path("home/pinentry.log"));
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
