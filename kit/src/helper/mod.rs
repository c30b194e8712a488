//! The kit helper process, `idp-kit`: reading untrusted files and drawing
//! kits outside the agent and the CLI.
//!
//! Kit files come from the Downloads folder and other places nobody vouches
//! for, and PDF and image decoders have crashed on crafted files, sometimes
//! by a stack overflow that no `catch_unwind` stops. So the agent and `idp`
//! never parse a kit themselves: they open the file (a regular file only,
//! never through a symlink) and hand the open descriptor to `idp-kit` as its
//! stdin. The child limits itself (address space, CPU time, no file writes,
//! no core dump, not dumpable, no new privileges), then enters its
//! [`sandbox`] (Landlock with no filesystem or network access at all, and a
//! seccomp allowlist) before it reads a byte, and is killed when it overruns
//! a wall-clock timeout. Drawing kits runs there too, which keeps the PDF
//! and image code out of `idp` and `idp-agent`.
//!
//! The protocol, spoken over pipes only (a key never appears in argv or the
//! environment):
//!
//! * `idp-kit read [--allow-unsandboxed]`, the kit file as stdin: prints one
//!   JSON line, `{"Ok": {"vault_id": …, "key": …, "format": "pdf"|"png",
//!   "method": …, "sandboxed": true}}`, `{"Err": "why"}`, or
//!   `{"NoSandbox": "why"}` when the kernel cannot sandbox the reader and
//!   `--allow-unsandboxed` was not given.
//! * `idp-kit render pdf|png DIR`, with a [`RenderRequest`] as JSON on stdin:
//!   saves a kit under a fresh name in `DIR` and prints `{"Ok": "PATH"}` or
//!   `{"Err": "why"}`.
//!
//! [`Helper`] is the parent's side; [`serve`] the child's.

mod child;
mod run;
pub mod sandbox;
mod selftest;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use idp_vault::{ClientKey, VaultId};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use child::serve;

use crate::naming::KitFormat;
use crate::recognise::{Limits, open_file};
use sandbox::Policy;

/// The helper binary's name, looked for next to the running executable.
pub const BINARY: &str = "idp-kit";

/// How long a read may take before the helper is killed. The reader's own
/// time budget is 5 s; this leaves room for a loaded machine.
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// How long drawing and saving a kit may take (about 6 ms normally).
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(30);

/// A path to `idp-kit` and the timeouts to run it with.
#[derive(Debug, Clone)]
pub struct Helper {
    bin: PathBuf,
    read_timeout: Duration,
    render_timeout: Duration,
    sandbox: Policy,
}

/// A kit the helper read: the key and vault id, and how they were read.
#[derive(Debug)]
pub struct ReadKit {
    pub key: ClientKey,
    pub vault_id: VaultId,
    pub format: KitFormat,
    /// How the key was read, in words ("PDF text and QR code (…)").
    pub method: String,
    /// Both sandbox layers were in force (always, unless the caller
    /// allowed reading without them).
    pub sandboxed: bool,
}

/// Why the helper gave no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelperError {
    /// The helper ran and refused the file, or could not save the kit.
    #[error("{0}")]
    Refused(String),
    #[error("cannot start the kit helper {bin}: {source}")]
    Start {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("the kit helper took longer than {0:?} and was stopped")]
    TimedOut(Duration),
    #[error("the kit helper stopped without an answer ({0})")]
    Crashed(String),
    #[error("the kit helper answered something that does not parse")]
    Garbled,
    /// The kernel cannot sandbox the reader, and reading without the
    /// sandbox was not allowed.
    #[error("the file was not read: the kit reader cannot sandbox itself on this system ({0})")]
    NoSandbox(String),
}

impl Helper {
    /// `idp-kit` beside the running executable, else from `PATH`.
    pub fn beside_current_exe() -> Self {
        let bin = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join(BINARY)))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from(BINARY));
        Self::new(bin)
    }

    /// The helper at `bin`, with the default timeouts.
    pub fn new(bin: PathBuf) -> Self {
        Self {
            bin,
            read_timeout: READ_TIMEOUT,
            render_timeout: RENDER_TIMEOUT,
            sandbox: Policy::Required,
        }
    }

    /// Whether a kit may be read where the kernel cannot sandbox the
    /// reader (no Landlock or no seccomp filters); refused by default.
    pub fn allow_unsandboxed(mut self, allow: bool) -> Self {
        self.sandbox = if allow {
            Policy::BestEffort
        } else {
            Policy::Required
        };
        self
    }

    /// Changes both timeouts.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self.render_timeout = timeout;
        self
    }

    /// Reads the kit at `path` in a child process. The file is opened here
    /// (see [`open_file`]) and only its descriptor reaches the child.
    pub fn read(&self, path: &std::path::Path) -> Result<ReadKit, HelperError> {
        let file =
            open_file(path, &Limits::default()).map_err(|e| HelperError::Refused(e.to_string()))?;
        let mut args = vec!["read".as_ref()];
        if self.sandbox == Policy::BestEffort {
            args.push("--allow-unsandboxed".as_ref());
        }
        let reply: Zeroizing<Vec<u8>> =
            run::call(&self.bin, &args, run::Input::File(file), self.read_timeout)?;
        let wire: WireRead = answer(&reply)?;
        Ok(ReadKit {
            key: ClientKey::parse(&wire.key).map_err(|_| HelperError::Garbled)?,
            vault_id: wire.vault_id.parse().map_err(|_| HelperError::Garbled)?,
            format: wire.format,
            method: wire.method,
            sandboxed: wire.sandboxed,
        })
    }

    /// Draws a kit and saves it in `dir` under a fresh name; returns its path.
    pub fn render(
        &self,
        format: KitFormat,
        dir: &std::path::Path,
        request: &RenderRequest,
    ) -> Result<PathBuf, HelperError> {
        let input = Zeroizing::new(serde_json::to_vec(request).map_err(|_| HelperError::Garbled)?);
        let reply = run::call(
            &self.bin,
            &["render".as_ref(), format.arg().as_ref(), dir.as_os_str()],
            run::Input::Bytes(&input),
            self.render_timeout,
        )?;
        answer(&reply)
    }
}

/// What a kit shows, as sent to `idp-kit render` on its stdin.
#[derive(Serialize, Deserialize)]
pub struct RenderRequest {
    pub vault_name: String,
    pub vault_id: String,
    pub key: Zeroizing<String>,
    /// When the key was made, in milliseconds since the epoch.
    pub created_ms: u64,
}

impl std::fmt::Debug for RenderRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderRequest")
            .field("vault_name", &self.vault_name)
            .field("vault_id", &self.vault_id)
            .finish_non_exhaustive()
    }
}

impl RenderRequest {
    /// The request for a kit of `key`.
    pub fn new(vault_name: &str, vault_id: &VaultId, key: &ClientKey, created: SystemTime) -> Self {
        let created_ms = created
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            vault_name: vault_name.to_owned(),
            vault_id: vault_id.to_hex(),
            key: Zeroizing::new(key.expose_canonical().expose().to_owned()),
            created_ms,
        }
    }
}

/// The read reply on the wire.
#[derive(Serialize, Deserialize)]
struct WireRead {
    vault_id: String,
    key: Zeroizing<String>,
    format: KitFormat,
    method: String,
    sandboxed: bool,
}

/// The child's one line: `{"Ok": value}`, `{"Err": message}` or
/// `{"NoSandbox": why}`.
#[derive(Serialize, Deserialize)]
enum Answer<T> {
    Ok(T),
    Err(String),
    NoSandbox(String),
}

impl<T> From<Result<T, String>> for Answer<T> {
    fn from(result: Result<T, String>) -> Self {
        match result {
            Ok(value) => Answer::Ok(value),
            Err(message) => Answer::Err(message),
        }
    }
}

fn answer<T: serde::de::DeserializeOwned>(reply: &[u8]) -> Result<T, HelperError> {
    match serde_json::from_slice::<Answer<T>>(reply) {
        Ok(Answer::Ok(value)) => Ok(value),
        Ok(Answer::Err(message)) => Err(HelperError::Refused(message)),
        Ok(Answer::NoSandbox(why)) => Err(HelperError::NoSandbox(why)),
        Err(_) => Err(HelperError::Garbled),
    }
}
