//! What `status` answers, published by the vault thread after every job.
//!
//! `status` is the most frequent call (the tray's `watch`, scripts, every
//! `idp status`), and it needs nothing the vault thread alone may touch.
//! So the vault thread publishes a snapshot after each job, before that
//! job's reply is sent, and `status` reads it on the async thread: no hop
//! to the vault thread, and an answer even while that thread runs Argon2
//! or waits for a disk. A reply seen by a client is always reflected in
//! the next `status` it asks for.
//!
//! The times left (auto-lock, unlock throttle) are kept as instants and
//! counted down when read, so a snapshot stays right as time passes. With
//! no vault yet, `status` still goes to the vault thread, which looks on
//! disk for one that `idp init` elsewhere or a sync tool may have brought.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use idp_proto::{State, Status};

use crate::throttle;

/// A `status` answer with its times kept as instants.
#[derive(Debug)]
pub struct Snapshot {
    /// The answer without `idle_lock_in`, `max_lock_in` and `retry_after`.
    pub status: Status,
    /// While unlocked: when the idle and the absolute lock fall due.
    pub lock_at: Option<(Instant, Instant)>,
    /// When another unlock attempt is accepted, after repeated failures.
    pub retry_at: Option<Instant>,
}

impl Snapshot {
    /// The answer as of `now`.
    pub fn status(&self, now: Instant) -> Status {
        let mut status = self.status.clone();
        if let Some((idle, max)) = self.lock_at {
            status.idle_lock_in = Some(idle.saturating_duration_since(now).as_secs());
            status.max_lock_in = Some(max.saturating_duration_since(now).as_secs());
        }
        status.retry_after = throttle::seconds_until(self.retry_at, now);
        status
    }
}

/// The last snapshot published; cheap to clone, shared between the vault
/// thread (which writes) and the connections (which read).
#[derive(Clone, Debug, Default)]
pub struct Published(Arc<RwLock<Option<Arc<Snapshot>>>>);

impl Published {
    pub fn set(&self, snapshot: Snapshot) {
        let snapshot = Some(Arc::new(snapshot));
        // A poisoned lock only means a reader panicked holding it; the
        // value is whole either way.
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    /// The snapshot to answer `status` from; `None` before the first one,
    /// and while there is no vault (the vault thread must look on disk).
    pub fn for_status(&self) -> Option<Arc<Snapshot>> {
        let snapshot = self.0.read().unwrap_or_else(|e| e.into_inner()).clone()?;
        (snapshot.status.state != State::NoVault).then_some(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn snapshot(state: State) -> Snapshot {
        Snapshot {
            status: Status {
                state,
                generation: 3,
                vault_dir: "/v".into(),
                vault: None,
                items: None,
                idle_lock_in: None,
                max_lock_in: None,
                retry_after: None,
                key_known: false,
                key_cache: "none".into(),
                key_note: None,
                notices: Vec::new(),
            },
            lock_at: None,
            retry_at: None,
        }
    }

    #[test]
    fn times_count_down_from_when_the_snapshot_is_read() {
        let now = Instant::now();
        let mut s = snapshot(State::Unlocked);
        s.lock_at = Some((
            now + Duration::from_secs(900),
            now + Duration::from_secs(3600),
        ));
        s.retry_at = Some(now + Duration::from_millis(2500));
        let at = s.status(now + Duration::from_secs(100));
        assert_eq!(at.idle_lock_in, Some(800));
        assert_eq!(at.max_lock_in, Some(3500));
        assert_eq!(at.retry_after, None);
        let at = s.status(now + Duration::from_secs(1));
        assert_eq!(at.retry_after, Some(2));
        let late = s.status(now + Duration::from_secs(5000));
        assert_eq!((late.idle_lock_in, late.max_lock_in), (Some(0), Some(0)));
    }

    #[test]
    fn no_vault_and_nothing_published_go_to_the_vault_thread() {
        let p = Published::default();
        assert!(p.for_status().is_none());
        p.set(snapshot(State::NoVault));
        assert!(p.for_status().is_none());
        p.set(snapshot(State::Locked { key_known: true }));
        assert_eq!(p.for_status().expect("published").status.generation, 3);
    }
}
