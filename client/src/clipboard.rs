//! The clipboard for `idp copy`, on Wayland (`wl-copy`) and X11 (`xclip`).
//!
//! On both systems the clipboard is not a buffer but a promise: the program
//! that copied must stay alive and hand the text to whoever pastes. So
//! `idp copy` starts a detached helper, `idp clipboard-hold`, in its own
//! process group, and gives it the secret on a pipe (never in arguments or
//! the environment, which other local processes can read). The helper
//! starts the clipboard tool in the foreground, writes the secret to the
//! tool's standard input, wipes its own copy, and waits:
//!
//! * the tool exits by itself when another program takes the clipboard
//!   (the person copied something else): the clipboard no longer holds the
//!   secret and is left alone;
//! * otherwise, when the clear time is up, the helper stops the tool, and
//!   with its owner gone the clipboard is empty.
//!
//! So the clipboard is cleared only while it still holds that value, without
//! ever reading it back. The tool is started with a parent-death signal
//! (see `parent_death`): a holder killed before its time takes the tool,
//! and so the secret, off the clipboard with it.
//!
//! Clipboard managers that keep a history (Klipper, cliphist with a filter,
//! KDE Connect) skip content that is also offered under the target
//! `x-kde-passwordManagerHint` with the value `secret`, as KeePassXC offers
//! it. Neither tool can offer it next to the text: xclip serves exactly one
//! `-target` per process, and a second xclip taking the selection replaces
//! the first; wl-copy (2.1) offers one MIME type, plus the plain-text
//! aliases when that type is `text/...`. So `idp copy` offers plain text
//! only, and the README says to keep idp out of a clipboard history.

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::Env;
use crate::cli::{ClipboardBackend, ClipboardHoldArgs};
use crate::error::{CliError, Exit};

/// How long a tool that fails at once (no display, no permission) takes to
/// say so; a tool still running after this owns the clipboard.
const SETTLE: Duration = Duration::from_millis(150);

/// Which clipboard, and the program that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backend(ClipboardBackend);

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

impl Backend {
    /// Wayland when `WAYLAND_DISPLAY` is set, else X11 when `DISPLAY` is.
    pub fn detect() -> Result<Backend, CliError> {
        let present = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
        let backend = if present("WAYLAND_DISPLAY") {
            Backend(ClipboardBackend::Wayland)
        } else if present("DISPLAY") {
            Backend(ClipboardBackend::X11)
        } else {
            return Err(CliError::new(
                Exit::Error,
                "no clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set",
                "run idp copy inside your desktop session, or print the secret with `idp get`",
            ));
        };
        let (program, package) = backend.program();
        if !on_path(program) {
            return Err(CliError::new(
                Exit::Error,
                format!(
                    "{program} is needed for the {} clipboard and was not found",
                    backend.name()
                ),
                format!("install it (Debian: apt install {package})"),
            ));
        }
        Ok(backend)
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            ClipboardBackend::Wayland => "Wayland",
            ClipboardBackend::X11 => "X11",
        }
    }

    /// The value of `clipboard-hold --backend`.
    fn arg(self) -> &'static str {
        match self.0 {
            ClipboardBackend::Wayland => "wayland",
            ClipboardBackend::X11 => "x11",
        }
    }

    /// The tool and its Debian package.
    fn program(self) -> (&'static str, &'static str) {
        match self.0 {
            ClipboardBackend::Wayland => ("wl-copy", "wl-clipboard"),
            ClipboardBackend::X11 => ("xclip", "xclip"),
        }
    }

    /// The tool, serving the clipboard in the foreground until replaced.
    fn command(self) -> Command {
        let mut c = Command::new(self.program().0);
        match self.0 {
            ClipboardBackend::Wayland => c.args(["--foreground", "--type", "text/plain"]),
            ClipboardBackend::X11 => c.args(["-selection", "clipboard", "-in", "-quiet"]),
        };
        c
    }
}

fn failed(message: String) -> CliError {
    CliError::new(
        Exit::Error,
        message,
        "print the secret with `idp get` instead",
    )
}

/// Hands `secret` to a detached `idp clipboard-hold` and returns once the
/// clipboard holds it.
pub async fn copy(backend: Backend, secret: &str, clear: Duration) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| failed(format!("cannot find the idp program to run: {e}")))?;
    let mut child = Command::new(exe)
        .arg("clipboard-hold")
        .args(["--backend", backend.arg()])
        .arg(format!("--clear-after={}", clear.as_secs()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group: Ctrl-C in the terminal that ran `idp copy`
        // must not end the clock that clears the clipboard.
        .process_group(0)
        .spawn()
        .map_err(|e| failed(format!("cannot start the clipboard helper: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| failed("the clipboard helper has no input pipe".into()))?;
    stdin.write_all(secret.as_bytes()).await.map_err(|e| {
        failed(format!(
            "cannot hand the secret to the clipboard helper: {e}"
        ))
    })?;
    drop(stdin);
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("the clipboard helper has no output pipe".into()))?;
    let mut answer = String::new();
    BufReader::new(stdout)
        .read_line(&mut answer)
        .await
        .map_err(|e| failed(format!("cannot hear from the clipboard helper: {e}")))?;
    match answer.trim() {
        "ready" => Ok(()),
        "" => Err(failed("the clipboard helper stopped without a word".into())),
        said => Err(failed(said.to_owned())),
    }
}

/// `idp clipboard-hold`: the detached helper. Reads the secret from
/// standard input, puts it on the clipboard, answers `ready` (or the error)
/// on standard output, and clears the clipboard after `--clear-after`
/// seconds unless something else was copied first.
pub async fn hold(args: ClipboardHoldArgs, env: &mut Env) -> Result<(), CliError> {
    let backend = Backend(args.backend);
    match start(backend, env).await {
        Ok(mut tool) => {
            say("ready");
            match tokio::time::timeout(Duration::from_secs(args.clear_after), tool.wait()).await {
                // Replaced by another program's copy: not ours to clear.
                Ok(_) => Ok(()),
                Err(_) => {
                    let _ = tool.start_kill();
                    let _ = tool.wait().await;
                    Ok(())
                }
            }
        }
        Err(e) => {
            say(&e.message);
            Err(e)
        }
    }
}

/// One line to `idp copy`, which may be gone by then.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Starts the tool with the secret; errors if it fails at once.
async fn start(backend: Backend, env: &mut Env) -> Result<Child, CliError> {
    let secret = env.stdin.rest()?;
    let program = backend.program().0;
    let mut command = backend.command();
    crate::parent_death::terminate_with_parent(&mut command);
    let mut tool = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run {program}: {e}")))?;
    let mut stdin = tool
        .stdin
        .take()
        .ok_or_else(|| failed(format!("{program} has no input pipe")))?;
    stdin
        .write_all(secret.expose().as_bytes())
        .await
        .map_err(|e| failed(format!("cannot write to {program}: {e}")))?;
    drop(stdin);
    drop(secret);
    if let Ok(status) = tokio::time::timeout(SETTLE, tool.wait()).await {
        let mut said = String::new();
        if let Some(mut err) = tool.stderr.take() {
            let _ = err.read_to_string(&mut said).await;
        }
        let status = status.map_err(|e| failed(format!("{program} failed: {e}")))?;
        return Err(failed(format!(
            "{program} could not take the {} clipboard ({status}): {}",
            backend.name(),
            said.trim()
        )));
    }
    // Its stderr pipe stays open (and unread) while it runs: closing it
    // would end the tool on its first complaint, clearing the clipboard.
    Ok(tool)
}
