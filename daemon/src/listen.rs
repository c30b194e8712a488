//! The agent's socket: where it lives, who may reach it, one agent per
//! socket.
//!
//! The socket sits in a folder that is the user's own and mode 0700 (made so
//! if needed; refused if another user owns it, as could happen with the
//! `/tmp` fallback). An exclusive `flock` on `agent.lock` beside the socket
//! keeps one agent per socket, and lets the one holding it remove a socket
//! file left by a crash without racing another agent. The socket is bound
//! under umask 177 so it is 0600 from the moment it exists.
//!
//! Under systemd the listening socket is passed in (`LISTEN_FDS`) and served
//! as is, wherever it is: its own path (read from the socket, never
//! computed from the environment, which `systemd-socket-activate` does not
//! pass) decides where the lock goes, so an agent serving another socket
//! never stands in the way.
//!
//! A lock held while nothing answers on the socket belongs to an agent on
//! its way out (orphaned, or stopping): the new agent waits for it rather
//! than giving up, so that `idp` can start a fresh agent at once.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rustix::fs::{FlockOperation, Mode, flock};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

/// How long a new agent waits for the lock of an agent that no longer
/// answers: longer than an orphaned agent takes to notice and exit.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// A socket ready to accept on.
#[derive(Debug)]
pub struct Bound {
    pub listener: UnixListener,
    pub path: PathBuf,
    /// The socket file's device and inode when the agent started serving:
    /// another file at `path` means another agent took the name over.
    pub file: FileId,
    /// `false` when systemd owns the socket file.
    pub ours: bool,
    /// The SSH agent socket, when systemd passed it too.
    pub ssh: Option<Beside>,
    /// Held for the agent's lifetime; released by the kernel on exit.
    _lock: File,
}

/// A file's device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    /// The identity of whatever is at `path` now (not following a symlink).
    pub fn of(path: &Path) -> io::Result<FileId> {
        let meta = fs::symlink_metadata(path)?;
        Ok(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
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

/// Serves the socket systemd passed, else takes the one-agent lock for
/// `socket` and binds it.
pub fn listen(socket: &Path, uid: u32) -> anyhow::Result<Listen> {
    if let Some(bound) = passed()? {
        return Ok(Listen::Bound(bound));
    }
    let dir = socket.parent().context("the socket path has no folder")?;
    ensure_private_dir(dir, uid)?;
    let Some(lock) = take_lock(dir, Some(socket))? else {
        return Ok(Listen::AlreadyRunning);
    };
    let (listener, file) = bind_private(socket)?;
    Ok(Listen::Bound(Bound {
        listener,
        path: socket.to_path_buf(),
        file,
        ours: true,
        ssh: None,
        _lock: lock,
    }))
}

/// The sockets systemd passed (`LISTEN_FDS`), with the lock beside the
/// agent's. A passed socket whose file is named `ssh.sock` is the SSH agent
/// socket (`idp-ssh-agent.socket`); the other is the agent's own.
fn passed() -> anyhow::Result<Option<Bound>> {
    let mut fds = listenfd::ListenFd::from_env();
    let mut main = None;
    let mut ssh = None;
    for index in 0..fds.len() {
        let Some(listener) = fds.take_unix_listener(index).with_context(|| {
            format!(
                "LISTEN_FDS is set but fd {} is not a Unix socket",
                3 + index
            )
        })?
        else {
            continue;
        };
        let addr = listener
            .local_addr()
            .context("cannot read the passed socket's address")?;
        let Some(path) = addr.as_pathname() else {
            bail!(
                "a socket passed in LISTEN_FDS has no file path: idp-agent serves socket files \
                 only (ListenStream=%t/idp/agent.sock, as in idp-agent.socket)"
            );
        };
        let path = path.to_path_buf();
        if path.file_name().is_some_and(|n| n == SSH_SOCKET) {
            let file = FileId::of(&path)
                .with_context(|| format!("cannot read the passed socket {}", path.display()))?;
            ssh = Some(Beside {
                listener,
                path,
                file,
                ours: false,
            });
        } else {
            main = Some((listener, path));
        }
    }
    let Some((listener, path)) = main else {
        if ssh.is_some() {
            bail!(
                "systemd passed the SSH socket only: enable idp-agent.socket too (the SSH \
                 socket's unit starts the agent's service, which needs both)"
            );
        }
        return Ok(None);
    };
    let dir = path.parent().context("the passed socket has no folder")?;
    // Nothing else can serve this socket: wait for an agent on its way out.
    let lock = take_lock(dir, None)?.context("the agent lock was not taken")?;
    let file = FileId::of(&path)
        .with_context(|| format!("cannot read the passed socket {}", path.display()))?;
    Ok(Some(Bound {
        listener,
        path,
        file,
        ours: false,
        ssh,
        _lock: lock,
    }))
}

/// Takes `agent.lock` in `dir`. While another process holds it: `None` as
/// soon as `socket` answers (another agent serves it), else wait for the
/// holder to exit, up to [`LOCK_WAIT`].
fn take_lock(dir: &Path, socket: Option<&Path>) -> anyhow::Result<Option<File>> {
    let lock_path = dir.join("agent.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match flock(&lock, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(Some(lock)),
            Err(rustix::io::Errno::WOULDBLOCK) => {}
            Err(e) => return Err(io::Error::from(e)).context("cannot lock agent.lock"),
        }
        if socket.is_some_and(answers) {
            return Ok(None);
        }
        if start.elapsed() > LOCK_WAIT {
            bail!(
                "{} is held by a process that serves no socket there: stop the old idp-agent \
                 (`fuser {}` shows it), then start again",
                lock_path.display(),
                lock_path.display()
            );
        }
        if !said {
            tracing::info!(
                lock = %lock_path.display(),
                "waiting for the previous agent to exit"
            );
            said = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `true` when a process listens on the socket at `path`. A full backlog
/// (`EAGAIN`) counts as listening; the connection is never used.
fn answers(path: &Path) -> bool {
    let Ok(addr) = SocketAddrUnix::new(path) else {
        return false;
    };
    let Ok(fd) = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    ) else {
        return false;
    };
    matches!(
        rustix::net::connect(&fd, &addr),
        Ok(()) | Err(rustix::io::Errno::AGAIN)
    )
}

impl Bound {
    /// Removes the socket file on a clean exit, when it is ours and still
    /// the one we bound (not one a newer agent put in its place).
    pub fn remove(&self) {
        if self.ours && FileId::of(&self.path).is_ok_and(|id| id == self.file) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The SSH agent socket's file name, beside the agent's socket.
pub const SSH_SOCKET: &str = "ssh.sock";

/// Binds the socket `path` in a folder whose lock the caller holds (so a
/// socket file there is a stale one of ours, and is removed), mode 0600
/// from the start; returns it with the identity of its file.
fn bind_private(path: &Path) -> anyhow::Result<(UnixListener, FileId)> {
    match fs::remove_file(path) {
        Ok(()) => tracing::info!(path = %path.display(), "replaced a stale socket"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove the stale {}", path.display()));
        }
    }
    let old = rustix::process::umask(Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = bound.with_context(|| format!("cannot listen on {}", path.display()))?;
    let file = FileId::of(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((listener, file))
}

/// The SSH agent socket: passed by systemd, or bound beside the main one by
/// the agent that holds that folder's lock.
#[derive(Debug)]
pub struct Beside {
    pub listener: UnixListener,
    pub path: PathBuf,
    file: FileId,
    /// `false` when systemd owns the socket file.
    ours: bool,
}

/// Binds `path` (in the folder whose lock the caller holds, so a socket
/// file there is a stale one of ours), mode 0600 from the start.
pub fn bind_beside(path: &Path) -> anyhow::Result<Beside> {
    let (listener, file) = bind_private(path)?;
    Ok(Beside {
        listener,
        path: path.to_path_buf(),
        file,
        ours: true,
    })
}

impl Beside {
    /// Removes the socket file on a clean exit, when it is ours and still
    /// the one bound.
    pub fn remove(&self) {
        if self.ours && FileId::of(&self.path).is_ok_and(|id| id == self.file) {
            let _ = fs::remove_file(&self.path);
        }
    }
}
