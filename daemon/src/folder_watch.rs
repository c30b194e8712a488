//! Watching the vault folder, so that writes of other devices (brought by
//! a sync tool, or by another agent on a shared folder) show up while the
//! vault is unlocked.
//!
//! A thread of its own receives `notify` events for the folder and its
//! `logs/`, waits until they stop arriving for a moment (a sync tool writes
//! a file in several steps, an append is several events), and then queues a
//! `refresh` job on the actor, which does the reading. No file is read
//! here, and nothing runs on the async runtime. This device's own writes
//! cause refreshes too; they find every log as it was and cost a few
//! `stat` calls.
//!
//! Where inotify is refused (every user has a limit of inotify instances,
//! 128 by default, shared by all their programs) the folder is polled every
//! 300 ms instead, and the log says so.
//!
//! A folder that does not exist yet (no vault) is looked for again four
//! times a second, so a vault made by `idp init` is watched at once.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecursiveMode, Watcher};

use crate::actor::ActorHandle;
use crate::ops;

/// Quiet time after the last event before reading.
const SETTLE: Duration = Duration::from_millis(40);
/// The longest reading waits for a burst of events to end.
const MAX_WAIT: Duration = Duration::from_millis(250);
/// How often the folder is polled where inotify is refused.
const POLL: Duration = Duration::from_millis(300);
/// How often a missing vault folder is looked for.
const RETRY: Duration = Duration::from_millis(250);

/// Starts the watcher thread; it stops when the actor does.
pub fn spawn(dir: PathBuf, actor: ActorHandle) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("idp-folder-watch".into())
        .spawn(move || run(&dir, &actor))
}

fn relevant(event: &notify::Result<Event>) -> bool {
    match event {
        Ok(e) => !matches!(
            e.kind,
            EventKind::Access(notify::event::AccessKind::Open(_))
                | EventKind::Access(notify::event::AccessKind::Read)
        ),
        // Lost events (queue overflow): read everything to be safe.
        Err(_) => true,
    }
}

/// A watcher over `dir`: inotify, or polling where inotify is refused (the
/// per-user limit of inotify instances or watches is reached). `None` while
/// the folder does not exist.
fn watch(
    dir: &Path,
    tx: &mpsc::Sender<notify::Result<Event>>,
    polling: &mut bool,
) -> Option<Box<dyn Watcher>> {
    if !dir.is_dir() {
        return None;
    }
    if !*polling {
        let watched = notify::recommended_watcher(tx.clone()).and_then(|mut w| {
            w.watch(dir, RecursiveMode::Recursive)?;
            Ok(w)
        });
        match watched {
            Ok(w) => return Some(Box::new(w)),
            Err(e) => {
                tracing::warn!(error = %e, "inotify refused; polling the vault folder instead");
                *polling = true;
            }
        }
    }
    let config = notify::Config::default().with_poll_interval(POLL);
    let watched = notify::PollWatcher::new(tx.clone(), config).and_then(|mut w| {
        w.watch(dir, RecursiveMode::Recursive)?;
        Ok(w)
    });
    match watched {
        Ok(w) => Some(Box::new(w)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the vault folder");
            None
        }
    }
}

fn run(dir: &Path, actor: &ActorHandle) {
    let (tx, rx) = mpsc::channel();
    let mut polling = false;
    let _watcher = loop {
        if let Some(w) = watch(dir, &tx, &mut polling) {
            break w;
        }
        thread::sleep(RETRY);
        // Stop when the agent does.
        if !actor.post(|_| {}) {
            return;
        }
    };
    tracing::debug!(dir = %dir.display(), "watching the vault folder");
    // Whatever other devices wrote before the watch began made no event:
    // read it now.
    if !actor.post(ops::refresh::run) {
        return;
    }
    while let Ok(event) = rx.recv() {
        if !relevant(&event) {
            continue;
        }
        let first = Instant::now();
        loop {
            let left = MAX_WAIT.saturating_sub(first.elapsed());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(SETTLE.min(left)) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        if !actor.post(ops::refresh::run) {
            return;
        }
    }
}
