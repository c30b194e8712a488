//! The parent's side: run the helper with input on stdin, collect its one
//! reply line, and kill it when it overruns.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::HelperError;

/// The most a reply may hold; a real one is under 300 bytes.
const MAX_REPLY: u64 = 64 * 1024;

/// What the child gets as its stdin.
pub(super) enum Input<'a> {
    /// Bytes written to a pipe.
    Bytes(&'a [u8]),
    /// An open file, passed as the descriptor itself.
    File(File),
}

/// Runs `bin args` with `input` as its stdin, and returns its stdout once
/// it exits, or an error once `timeout` passes (the child is killed then).
pub(super) fn call(
    bin: &Path,
    args: &[&OsStr],
    input: Input<'_>,
    timeout: Duration,
) -> Result<Zeroizing<Vec<u8>>, HelperError> {
    let (stdin, bytes) = match input {
        Input::Bytes(bytes) => (Stdio::piped(), bytes),
        Input::File(file) => (Stdio::from(file), &[][..]),
    };
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| HelperError::Start {
            bin: bin.to_path_buf(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A child that exits without reading its input is reported by its
        // exit status below; the write error adds nothing.
        let _ = stdin.write_all(bytes);
    }
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(HelperError::Crashed("no output pipe".into()));
    };
    // The pipe is read on a thread, so a child that never closes it can be
    // timed out and killed from here.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Zeroizing::new(Vec::with_capacity(512));
        let read = stdout.take(MAX_REPLY).read_to_end(&mut out);
        let _ = tx.send(read.map(|_| out));
    });
    let out = match rx.recv_timeout(timeout) {
        Ok(out) => out,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HelperError::TimedOut(timeout));
        }
    };
    let status = child
        .wait()
        .map_err(|e| HelperError::Crashed(e.to_string()))?;
    match (out, status.signal()) {
        (_, Some(signal)) => Err(HelperError::Crashed(format!("killed by signal {signal}"))),
        (Ok(out), None) if !out.is_empty() => Ok(out),
        (Ok(_), None) => Err(HelperError::Crashed(format!("{status}"))),
        (Err(e), None) => Err(HelperError::Crashed(e.to_string())),
    }
}
