//! Noticing that the agent has been orphaned, as gpg-agent does.
//!
//! An agent whose socket file was removed, or replaced by another agent's,
//! can no longer be reached, yet it would hold the vault's device lock and
//! the agent lock forever, and keep secrets in memory nobody can lock.
//! Likewise when its runtime folder (logout, a test's temporary HOME) or the
//! folder holding the vault (an unmounted drive, a deleted test HOME) goes
//! away. Every [`CHECK_EVERY`] the agent looks; when orphaned it takes the
//! ordinary shutdown path (lock, wipe, exit), releasing its locks so that a
//! new agent starts cleanly.
//!
//! The vault folder itself may be absent before `idp init`, and its parent
//! too on a fresh account: the parent counts only once it has been seen.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::listen::FileId;

/// How often the agent looks.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// What the agent watches.
#[derive(Debug)]
pub struct Watch {
    pub socket: PathBuf,
    pub socket_file: FileId,
    /// The folder holding the vault folder.
    pub vault_parent: Option<PathBuf>,
}

/// Why the agent is orphaned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Orphaned {
    #[error("the socket {0} was removed")]
    SocketRemoved(PathBuf),
    #[error("the socket {0} was replaced by another")]
    SocketReplaced(PathBuf),
    #[error("the folder {0} that holds the vault was removed")]
    VaultFolderGone(PathBuf),
}

/// Whether `path` exists; `None` when that cannot be told (no permission,
/// a stalled network file system), which never counts as gone.
fn exists(path: &Path) -> Option<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Some(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Some(false),
        Err(_) => None,
    }
}

impl Watch {
    fn check(&self, vault_parent_seen: &mut bool) -> Option<Orphaned> {
        match FileId::of(&self.socket) {
            Ok(id) if id != self.socket_file => {
                return Some(Orphaned::SocketReplaced(self.socket.clone()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Some(Orphaned::SocketRemoved(self.socket.clone()));
            }
            Err(_) => {}
        }
        let parent = self.vault_parent.as_ref()?;
        match exists(parent) {
            Some(true) => *vault_parent_seen = true,
            Some(false) if *vault_parent_seen => {
                return Some(Orphaned::VaultFolderGone(parent.clone()));
            }
            _ => {}
        }
        None
    }

    /// Resolves once the agent is orphaned. The file system is looked at on
    /// the blocking pool, so a stalled mount cannot hold up the clients.
    pub async fn orphaned(self) -> Orphaned {
        let mut seen = false;
        let mut watch = self;
        loop {
            let checked = tokio::task::spawn_blocking(move || {
                let found = watch.check(&mut seen);
                (watch, seen, found)
            })
            .await;
            match checked {
                Ok((_, _, Some(why))) => return why,
                Ok((w, s, None)) => (watch, seen) = (w, s),
                // The check panicked: nothing to watch with any more, so
                // stay up rather than guess.
                Err(_) => return std::future::pending().await,
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    }
}
