//! The Downloads watcher: finds an emergency kit dropped into the Downloads
//! folder, and caches its key when it belongs to this vault.
//!
//! ```text
//!  inotify (notify crate) ─┐                       ┌─ current, not cached ─▶ keyring + notice
//!  scan at start ──────────┴▶ candidates ─ stable? ─▶ idp-kit read (child) ─▶ check ─┤
//!  scan after an overflow ─┘   (names only)   (lstat)                         └─ stale/other ─▶ notice
//! ```
//!
//! Only names are looked at until a candidate is stable (see
//! [`candidate`]): a symlink, FIFO, device or oversized file is refused from
//! its `lstat`, before anything opens it. The file is then opened without
//! following symlinks and parsed by the `idp-kit read` child process
//! ([`reader`]), which gets only the open descriptor, holds no secret of the
//! agent, runs under memory, CPU-time and file-size limits and a wall-clock
//! timeout, and sandboxes itself (Landlock and seccomp) first. A child that
//! crashes or hangs costs one "unreadable kit" notice. Kits are read one
//! at a time; events arrive through a bounded queue, and a queue that
//! overflows is replaced by a rescan of the folder, so a flood of events
//! cannot grow the agent's memory.

mod candidate;
mod reader;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idp_proto::{ProtoError, Secret};
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::actor::ActorHandle;
use crate::keyring::Keyring;
use crate::notice::Notices;
use crate::ops::import_key::{Imported, import};
use candidate::{Identity, Next, Seen};

/// Candidates tracked at once; more wait for the next scan.
const MAX_PENDING: usize = 64;
/// Events queued between the notify thread and the watcher task.
const QUEUE: usize = 256;
/// How often to look again for a Downloads folder that does not exist.
const RETRY_DIR: Duration = Duration::from_secs(10);

/// What the watcher needs.
#[derive(Debug)]
pub struct Watcher {
    pub actor: ActorHandle,
    pub keyring: Keyring,
    pub notices: Notices,
    /// The folder to watch; `None` when there is no home folder.
    pub dir: Option<PathBuf>,
    pub delete_imported: bool,
    /// Read kits where the kernel cannot sandbox the reader.
    pub allow_unsandboxed: bool,
}

/// What the notify thread passes on.
enum Event {
    Path(PathBuf),
    /// Events were lost: scan the folder again.
    Rescan,
}

/// A candidate being watched until it is stable.
struct Pending {
    seen: Option<Seen>,
    due: Instant,
}

/// Watches until the agent stops. Errors are logged; the agent runs on
/// without a watcher.
pub async fn run(w: Watcher) {
    let Some(dir) = w.dir.clone() else {
        tracing::warn!("no home folder: the Downloads watcher is off");
        return;
    };
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let _watcher = loop {
        match start(&dir, tx.clone()) {
            Ok(watcher) => break watcher,
            Err(e) => {
                tracing::debug!(dir = %dir.display(), error = %e, "cannot watch Downloads yet");
                tokio::time::sleep(RETRY_DIR).await;
            }
        }
    };
    tracing::info!(dir = %dir.display(), "watching for emergency kits");
    let mut state = Tracker {
        dir,
        pending: HashMap::new(),
        read: HashMap::new(),
        refused: HashMap::new(),
    };
    state.scan();
    loop {
        let wake = state.next_due();
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(Event::Path(p)) => state.event(&p),
                Some(Event::Rescan) => state.scan(),
                None => return,
            },
            () = sleep_until(wake) => {
                for (path, id) in state.due() {
                    w.handle(&path, id).await;
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Starts inotify on `dir`; events go to `tx` without ever blocking the
/// notify thread.
fn start(dir: &Path, tx: mpsc::Sender<Event>) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let ev = match res {
            Ok(ev) => ev,
            Err(_) => {
                let _ = tx.try_send(Event::Rescan);
                return;
            }
        };
        // Opening and reading (ours included) changes nothing.
        if let EventKind::Access(kind) = ev.kind
            && kind != AccessKind::Close(AccessMode::Write)
        {
            return;
        }
        if ev.need_rescan() {
            let _ = tx.try_send(Event::Rescan);
        }
        for p in ev.paths {
            if tx.try_send(Event::Path(p)).is_err() {
                // Full: the watcher rescans once it catches up.
                let _ = tx.try_send(Event::Rescan);
            }
        }
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// The candidates and what was read, by path.
struct Tracker {
    dir: PathBuf,
    pending: HashMap<PathBuf, Pending>,
    /// The identity each path had when it was last read.
    read: HashMap<PathBuf, Identity>,
    /// Why each path was last refused, so a refusal is logged once, not at
    /// every event of the same file.
    refused: HashMap<PathBuf, &'static str>,
}

impl Tracker {
    fn event(&mut self, path: &Path) {
        if let Some(kit) = candidate::kit_path(&self.dir, path) {
            self.watch(kit, Instant::now());
        }
    }

    fn scan(&mut self) {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot list Downloads");
                return;
            }
        };
        let now = Instant::now();
        for entry in entries.flatten() {
            if let Some(kit) = candidate::kit_path(&self.dir, &entry.path()) {
                self.watch(kit, now);
            }
        }
    }

    fn watch(&mut self, kit: PathBuf, due: Instant) {
        if self.pending.len() >= MAX_PENDING && !self.pending.contains_key(&kit) {
            tracing::debug!(path = %kit.display(), "too many candidates; left for later");
            return;
        }
        let p = self
            .pending
            .entry(kit)
            .or_insert(Pending { seen: None, due });
        p.due = p.due.min(due);
    }

    fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.due).min()
    }

    /// Observes every due candidate; returns those stable enough to read.
    fn due(&mut self) -> Vec<(PathBuf, Identity)> {
        let now = Instant::now();
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut ready = Vec::new();
        for path in due {
            let seen = observe(&path);
            let previous = self.pending.get(&path).and_then(|p| p.seen);
            match candidate::next(previous, seen, self.read.get(&path).copied()) {
                Next::Again => {
                    if let Some(p) = self.pending.get_mut(&path) {
                        p.seen = Some(seen);
                        p.due = now + candidate::SETTLE;
                    }
                }
                Next::Read(id) => {
                    self.pending.remove(&path);
                    self.refused.remove(&path);
                    self.read.insert(path.clone(), id);
                    ready.push((path, id));
                }
                Next::Drop => {
                    self.pending.remove(&path);
                    if seen == Seen::Missing {
                        self.read.remove(&path);
                        self.refused.remove(&path);
                    }
                }
                Next::Refuse(why) => {
                    self.pending.remove(&path);
                    if self.refused.insert(path.clone(), why) != Some(why) {
                        tracing::warn!(path = %path.display(), why, "not reading a file named like a kit");
                    }
                }
            }
        }
        ready
    }
}

/// `lstat`: never follows a symlink, never opens the file.
fn observe(path: &Path) -> Seen {
    match std::fs::symlink_metadata(path) {
        Err(_) => Seen::Missing,
        Ok(m) if !m.file_type().is_file() => Seen::NotRegular,
        Ok(m) if m.len() == 0 => Seen::Empty,
        Ok(m) if m.len() > candidate::MAX_LEN => Seen::TooLarge,
        Ok(m) => Seen::File(Identity {
            inode: m.ino(),
            len: m.len(),
            modified: m.modified().unwrap_or(std::time::UNIX_EPOCH),
        }),
    }
}

impl Watcher {
    /// Reads one stable candidate and acts on what it holds.
    async fn handle(&self, path: &Path, id: Identity) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let owned = path.to_path_buf();
        let allow_unsandboxed = self.allow_unsandboxed;
        let found = tokio::task::spawn_blocking(move || reader::read(&owned, allow_unsandboxed))
            .await
            .unwrap_or_else(|e| Err(format!("the reader task failed: {e}")));
        let kit = match found {
            Ok(kit) => kit,
            Err(why) => {
                tracing::warn!(path = %path.display(), len = id.len, why, "unreadable kit");
                self.notices.send(
                    "Unreadable emergency kit",
                    &format!(
                        "{name} is named like an emergency kit but could not be read ({why})."
                    ),
                );
                return;
            }
        };
        tracing::info!(path = %path.display(), method = %kit.method, "kit read");
        let shown = path.display().to_string();
        let key = Secret::new(kit.key.expose_canonical().expose());
        drop(kit.key);
        match import(
            &self.actor,
            &self.keyring,
            kit.vault_id.to_hex(),
            key,
            Some(shown),
        )
        .await
        {
            Ok(Imported::Cached) => {
                self.notices.send(
                    "Emergency kit found: unlock with your password",
                    &format!("The client key from {name} is now cached on this device."),
                );
                if self.delete_imported {
                    match std::fs::remove_file(path) {
                        Ok(()) => tracing::info!(path = %path.display(), "imported kit deleted"),
                        Err(e) => tracing::warn!(error = %e, "cannot delete the imported kit"),
                    }
                }
            }
            Ok(Imported::AlreadyKnown) => {
                tracing::info!(path = %path.display(), "kit of the cached key; nothing to do");
            }
            Err(e) => self.refused(&name, &e),
        }
    }

    fn refused(&self, name: &str, e: &ProtoError) {
        let (summary, body) = match e {
            ProtoError::StaleKey => (
                "Stale emergency kit",
                format!(
                    "{name} holds an old client key of this vault, replaced since; nothing was cached. Use your newest kit."
                ),
            ),
            ProtoError::OtherVault | ProtoError::ForeignKey => (
                "Emergency kit of another vault",
                format!("{name} does not belong to this vault; nothing was cached."),
            ),
            ProtoError::NoKeyCache { reason } => (
                "Emergency kit found, but not cached",
                format!(
                    "This device cannot cache the key ({reason}). Unlock with `idp unlock --kit` and the file {name}."
                ),
            ),
            ProtoError::NoVault { .. } => {
                tracing::info!(name, "a kit was found but there is no vault yet");
                return;
            }
            other => ("Emergency kit not used", format!("{name}: {other}")),
        };
        tracing::warn!(name, error = %e, "kit not imported");
        self.notices.send(summary, &body);
    }
}
