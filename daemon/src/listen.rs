//! The agent's socket: where it lives, who may reach it, one agent per user.
//!
//! The socket sits in a folder that is the user's own and mode 0700 (made so
//! if needed; refused if another user owns it, as could happen with the
//! `/tmp` fallback). An exclusive `flock` on `agent.lock` in that folder
//! makes a second agent exit cleanly, and lets the one holding it remove a
//! socket file left by a crash without racing another agent. The socket is
//! bound under umask 177 so it is 0600 from the moment it exists.
//!
//! Under systemd the listening socket is passed in (`LISTEN_FDS`) and used
//! as is.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rustix::fs::{FlockOperation, Mode, flock};

/// A socket ready to accept on.
#[derive(Debug)]
pub struct Bound {
    pub listener: UnixListener,
    pub path: PathBuf,
    /// `false` when systemd owns the socket file.
    pub ours: bool,
    /// Held for the agent's lifetime; released by the kernel on exit.
    _lock: File,
}

/// Either a socket, or the news that another agent already serves it.
#[derive(Debug)]
pub enum Listen {
    Bound(Bound),
    AlreadyRunning,
}

/// Makes `dir` (and its parents) if needed, and checks that it is a real
/// folder owned by `uid` and closed to everyone else.
pub fn ensure_private_dir(dir: &Path, uid: u32) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the socket folder {}", dir.display()))?;
    let meta = fs::symlink_metadata(dir)
        .with_context(|| format!("cannot read the socket folder {}", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a folder: remove it and start again",
            dir.display()
        );
    }
    if meta.uid() != uid {
        bail!(
            "the socket folder {} belongs to uid {}, not to you (uid {uid}): someone else made \
             it; remove it, or set XDG_RUNTIME_DIR",
            dir.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// Takes the one-agent lock and returns the socket to serve.
pub fn listen(socket: &Path, uid: u32) -> anyhow::Result<Listen> {
    let dir = socket.parent().context("the socket path has no folder")?;
    ensure_private_dir(dir, uid)?;
    let lock_path = dir.join("agent.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match flock(&lock, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => return Ok(Listen::AlreadyRunning),
        Err(e) => return Err(io::Error::from(e)).context("cannot lock agent.lock"),
    }

    let mut fds = listenfd::ListenFd::from_env();
    if let Some(listener) = fds
        .take_unix_listener(0)
        .context("LISTEN_FDS is set but fd 3 is not a Unix socket")?
    {
        return Ok(Listen::Bound(Bound {
            listener,
            path: socket.to_path_buf(),
            ours: false,
            _lock: lock,
        }));
    }

    match fs::remove_file(socket) {
        Ok(()) => tracing::info!(path = %socket.display(), "replaced a stale socket"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove the stale {}", socket.display()));
        }
    }
    let old = rustix::process::umask(Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(socket);
    rustix::process::umask(old);
    let listener = bound.with_context(|| format!("cannot listen on {}", socket.display()))?;
    Ok(Listen::Bound(Bound {
        listener,
        path: socket.to_path_buf(),
        ours: true,
        _lock: lock,
    }))
}

impl Bound {
    /// Removes the socket file on a clean exit, when it is ours.
    pub fn remove(&self) {
        if self.ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}
