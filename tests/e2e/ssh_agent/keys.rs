//! SSH keys in and out: export, socket activation of the SSH socket,
//! confirmation before use, and PEM/PKCS#8 imports.

use super::*;

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

    restart_confirming(&w, &key, "every-use", "OK");
    assert!(sign_file(&w, &pubkey));
    assert!(sign_file(&w, &pubkey));
    let asked = questions(&w);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        asked[0].contains("\u{201c}asked\u{201d}") && asked[0].contains(&fingerprint),
        "{asked:?}"
    );
    assert!(asked[0].contains("did not name a server"), "{asked:?}");

    restart_confirming(&w, &key, "once-per-unlock", "OK");
    assert!(sign_file(&w, &pubkey));
    assert!(sign_file(&w, &pubkey));
    assert_eq!(questions(&w).len(), 1, "asked once per unlock");
    w.idp(&["lock"], "").ok();
    w.unlock("pw", &key).ok();
    assert!(sign_file(&w, &pubkey));
    assert_eq!(questions(&w).len(), 2, "asked again after an unlock");

    restart_confirming(&w, &key, "every-use", "cancel");
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
