//! The helper process, `idp-kit`, run as the agent and `idp` run it: kits
//! drawn and read back through it, hostile paths refused, and a helper that
//! hangs, crashes or babbles reported as such instead of stalling the caller.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idp_kit::KitFormat;
use idp_kit::helper::{Helper, HelperError, RenderRequest};

use crate::support::Sample;

fn helper() -> Helper {
    Helper::new(PathBuf::from(env!("CARGO_BIN_EXE_idp-kit")))
}

fn request(s: &Sample) -> RenderRequest {
    let info = s.info();
    RenderRequest::new(info.vault_name, &s.vault_id, &s.key, info.created)
}

#[test]
fn kits_drawn_by_the_helper_read_back_through_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in [KitFormat::Pdf, KitFormat::Png] {
        let s = Sample::new();
        let path = helper()
            .render(format, dir.path(), &request(&s))
            .expect("render");
        assert_eq!(path.parent(), Some(dir.path()));
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(idp_kit::name_kind(name), Some(format), "{path:?}");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let read = helper().read(&path).expect("read");
        assert_eq!(read.vault_id, s.vault_id);
        assert_eq!(read.format, format);
        assert!(read.key == s.key, "{format}: another key came back");
        assert!(!read.method.is_empty());
    }
}

/// Each is refused with the reader's own reason, promptly.
#[test]
fn hostile_paths_are_refused_by_the_helper() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let secret = d.join("secret");
    std::fs::write(&secret, "not for the reader").expect("write");
    std::os::unix::fs::symlink(&secret, d.join("link.pdf")).expect("symlink");
    let fifo = d.join("fifo.pdf");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    std::fs::write(d.join("random.png"), rand_bytes(4096)).expect("write");
    std::fs::write(d.join("empty.pdf"), b"").expect("write");
    let sparse = std::fs::File::create(d.join("huge.pdf")).expect("create");
    sparse.set_len(10 << 30).expect("sparse file");
    for name in [
        "link.pdf",
        "fifo.pdf",
        "random.png",
        "empty.pdf",
        "huge.pdf",
        "absent.pdf",
    ] {
        let started = Instant::now();
        match helper().read(&d.join(name)) {
            Err(HelperError::Refused(why)) => eprintln!("{name}: {why}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{name}");
    }
}

/// A stand-in helper: a shell script with the given body.
fn script(dir: &Path, body: &str) -> Helper {
    let path = dir.join("idp-kit");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Helper::new(path).with_timeout(Duration::from_millis(300))
}

#[test]
fn a_helper_that_misbehaves_is_reported_not_waited_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kit.pdf");
    std::fs::write(&file, b"%PDF-1.7\n").expect("write");
    let started = Instant::now();
    let hung = script(dir.path(), "exec sleep 30").read(&file);
    assert!(matches!(hung, Err(HelperError::TimedOut(_))), "{hung:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let crashed = script(dir.path(), "kill -SEGV $$").read(&file);
    assert!(
        matches!(crashed, Err(HelperError::Crashed(_))),
        "{crashed:?}"
    );
    let silent = script(dir.path(), "exit 0").read(&file);
    assert!(matches!(silent, Err(HelperError::Crashed(_))), "{silent:?}");
    let babble = script(dir.path(), "echo '{\"Ok\": 17}'").read(&file);
    assert!(matches!(babble, Err(HelperError::Garbled)), "{babble:?}");
    let absent = Helper::new(dir.path().join("nowhere")).read(&file);
    assert!(
        matches!(absent, Err(HelperError::Start { .. })),
        "{absent:?}"
    );
}

fn rand_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0; n];
    getrandom::fill(&mut v).expect("rng");
    v
}
