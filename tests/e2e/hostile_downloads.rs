//! A hostile Downloads folder: a symlink to a kit elsewhere, a FIFO, a
//! 10 GiB sparse file, a PDF decompression bomb and a file that keeps
//! growing, all named like kits. The agent opens none it should not,
//! answers `idp status` within 1 s throughout, keeps its memory bounded,
//! and still finds a real kit afterwards.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::World;
use crate::keyring::{Origin, drop_kit, new_device, status_json};
use crate::session::{Session, within};

/// A PDF whose one stream inflates to 1 GiB of zeros.
fn write_pdf_bomb(path: &Path) {
    let script = r#"
import sys, zlib
c = zlib.compressobj(9)
chunk = bytes(1 << 20)
parts = [c.compress(chunk) for _ in range(1024)]
parts.append(c.flush())
data = b"".join(parts)
head = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
stream = b"4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream\nendobj\n"
tail = b"trailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n"
open(sys.argv[1], "wb").write(head + stream + tail)
"#;
    let ok = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(path)
        .status()
        .expect("python3")
        .success();
    assert!(ok, "PDF bomb");
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("agent status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// `idp status` answers within 1 s; returns how long it took.
fn prompt_status(w: &World) -> Duration {
    let t = Instant::now();
    w.idp(&["status"], "").ok();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "status took {took:?}");
    took
}

#[test]
fn hostile_files_named_like_kits_are_not_opened_and_the_agent_stays_responsive() {
    let origin = Origin::new("hostile password");
    let kit = origin.kit("--pdf");
    let session = Session::start();
    let w = new_device(&session, &origin.vault_dir());
    let vault_id = status_json(&w)["vault"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pid = w.agent_pid();
    let rss_before = rss_kib(pid);
    let dl = w.downloads();

    // A symlink to a real kit of this vault: following it would cache the key.
    std::os::unix::fs::symlink(&kit, dl.join("ID Protection client key 11111.pdf"))
        .expect("symlink");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dl.join("ID Protection client key 22222.pdf"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("fifo");
    let sparse =
        std::fs::File::create(dl.join("IDP_CLIENT_KEY_EMERGENCY_KIT3333333.png")).expect("sparse");
    sparse.set_len(10 << 30).expect("10 GiB sparse");
    drop(sparse);
    write_pdf_bomb(&dl.join("ID Protection client key 44444.pdf"));

    let growing = dl.join("ID Protection client key 55555.pdf");
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::File::create(&growing).expect("growing");
        f.write_all(b"%PDF-1.7\n").expect("write");
        for _ in 0..60 {
            f.write_all(&[b'x'; 4096]).expect("grow");
            f.flush().expect("flush");
            std::thread::sleep(Duration::from_millis(50));
        }
    });

    let mut slowest = Duration::ZERO;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        slowest = slowest.max(prompt_status(&w));
        std::thread::sleep(Duration::from_millis(100));
    }
    writer.join().expect("writer");
    slowest = slowest.max(prompt_status(&w));
    eprintln!("slowest idp status under hostile Downloads: {slowest:?}");

    assert_eq!(
        session.cached_key(&vault_id),
        None,
        "the symlink was followed"
    );
    assert!(
        !session
            .notices()
            .iter()
            .any(|(s, _)| s.starts_with("Emergency kit found"))
    );
    let rss_after = rss_kib(pid);
    assert!(
        rss_after < rss_before + 64 * 1024,
        "agent RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(w.agent_pid(), pid, "the agent kept running");

    // The same refused file touched again is not logged again.
    let link = dl.join("ID Protection client key 11111.pdf");
    let touched = std::process::Command::new("touch")
        .arg("-h")
        .arg(&link)
        .status()
        .expect("touch");
    assert!(touched.success());

    // The watcher still works.
    drop_kit(&w, &kit);
    let cached = within(Duration::from_secs(3), || session.cached_key(&vault_id));
    assert_eq!(
        cached.as_deref(),
        Some(origin.canonical_key().as_str()),
        "log:\n{}",
        w.log()
    );
    let log = w.log();
    let refusals = log
        .lines()
        .filter(|l| l.contains("not reading a file named like a kit") && l.contains("11111"))
        .count();
    assert_eq!(refusals, 1, "log:\n{log}");
}
