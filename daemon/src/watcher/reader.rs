//! Reads a kit file in the `idp-kit read` child process.
//!
//! The agent never parses an untrusted file itself: a crafted PDF or image
//! could exhaust its memory or overflow its stack, and the agent holds the
//! unlocked vault. The child, `idp-kit` from the same folder as
//! `idp-agent`, inherits none of the agent's secrets, limits itself
//! (address space, CPU time, no file writes, no core dump), refuses
//! anything but a regular file, and prints one JSON line. It is killed
//! after a wall-clock timeout.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use idp_proto::Secret;
use zeroize::Zeroizing;

/// The longest a child may run.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the child read from a kit.
pub struct KitRead {
    pub vault_id: String,
    pub key: Secret,
    pub method: String,
}

/// Reads `path` in the child; the error says why the kit is unreadable.
pub fn read(path: &Path) -> Result<KitRead, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find idp-kit: {e}"))?;
    let reader = exe.with_file_name("idp-kit");
    let mut child = Command::new(&reader)
        .arg("read")
        .arg(path)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", reader.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the reader took too long".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("the reader failed: {e}")),
        }
    };
    let mut out = Zeroizing::new(Vec::with_capacity(512));
    if let Some(mut o) = child.stdout.take() {
        let _ = o.by_ref().take(4096).read_to_end(&mut out);
    }
    if !status.success() {
        let mut err = String::new();
        if let Some(e) = child.stderr.take() {
            let _ = e.take(512).read_to_string(&mut err);
        }
        let why = err.trim();
        return Err(if why.is_empty() {
            format!("the reader stopped ({status})")
        } else {
            why.to_owned()
        });
    }
    #[derive(serde::Deserialize)]
    struct Line {
        vault_id: String,
        key: Secret,
        method: String,
    }
    let line: Line =
        serde_json::from_slice(&out).map_err(|_| "the reader's answer does not parse".to_string())?;
    Ok(KitRead {
        vault_id: line.vault_id,
        key: line.key,
        method: line.method,
    })
}
