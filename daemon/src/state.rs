//! The agent's state, owned by the actor thread alone.
//!
//! ```text
//!            init                      unlock (password + key)
//!  NoVault ────────▶ Unlocked ◀────────────────────────────── Locked
//!     ▲  vault appears │   ▲                                   │  ▲
//!     └──────────────  │   └─ lock / idle / max / SIGTERM ─────┘  │
//!                      └──────────────────────────────────────────┘
//! ```
//!
//! Leaving `Unlocked` drops the `UnlockedVault`, which wipes the vault key,
//! the client key and every item; the wiping allocator clears whatever
//! buffers held copies. Each change of state bumps `generation`; at the end
//! of the job the new status is published and every `watch` call woken.

use std::path::PathBuf;
use std::time::Instant;

use idp_proto::{Notice, ProtoError};
use idp_vault::{Device, Item, ItemId, LockedVault, SecretString, UnlockedVault, VaultError};
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::keyring::KeyView;
use crate::notice::Notices;
use crate::snapshot::Published;
use crate::throttle::Throttle;
use crate::timeout::{LockReason, LockTimers};

#[allow(
    clippy::large_enum_variant,
    reason = "one instance per agent; boxing buys nothing"
)]
pub enum Vault {
    None,
    Locked(LockedVault),
    Unlocked(UnlockedVault),
}

pub struct AgentState {
    pub vault_dir: PathBuf,
    pub device: Device,
    pub vault: Vault,
    /// What the key cache holds, as last looked up (no keyring call here).
    pub key_view: KeyView,
    pub timers: LockTimers,
    pub throttle: Throttle,
    /// Items in the unlocked vault, kept here because the vault counts by
    /// walking every entry and `status` is the most frequent call.
    pub item_count: u64,
    /// What was noticed about the vault folder, for `status` and
    /// `vault info`; cleared when this device unlocks or makes a vault.
    pub notices: Vec<Notice>,
    /// Why the vault in the folder cannot be used at all, when that is so.
    pub damaged: Option<String>,
    /// Desktop notifications for what the person must hear of at once, and
    /// what was already shown (so a refresh does not show it again).
    alerts: Notices,
    alerted: Vec<Notice>,
    /// An export file being received for `import`.
    pub upload: Option<Upload>,
    /// A prepared plaintext export being read by `export_read`.
    pub export: Option<SecretString>,
    /// SSH keys a person allowed since the last unlock (`confirm =
    /// "once-per-unlock"`); forgotten on lock.
    pub ssh_allowed: std::collections::HashSet<idp_vault::ItemId>,
    generation: u64,
    changed: watch::Sender<u64>,
    published: Published,
}

impl AgentState {
    pub fn new(
        vault_dir: PathBuf,
        device: Device,
        timers: LockTimers,
        throttle: Throttle,
        (changed, published): (watch::Sender<u64>, Published),
        alerts: Notices,
    ) -> Self {
        let mut st = Self {
            vault_dir,
            device,
            vault: Vault::None,
            key_view: KeyView::default(),
            timers,
            throttle,
            item_count: 0,
            notices: Vec::new(),
            damaged: None,
            alerts,
            alerted: Vec::new(),
            upload: None,
            export: None,
            ssh_allowed: std::collections::HashSet::new(),
            generation: 0,
            changed,
            published,
        };
        st.notice_vault();
        st.publish();
        st
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Marks a change of state; every `watch` hears of it when the job
    /// ends (see [`Self::publish`]).
    pub fn bump(&mut self) {
        self.generation += 1;
    }

    /// Publishes what `status` answers now, then wakes every `watch` if
    /// the generation moved. The vault thread calls this after every job,
    /// before the job's reply is sent, so a woken `watch` reads the new
    /// snapshot.
    pub fn publish(&self) {
        self.published.set(crate::ops::status::snapshot(self));
        let generation = self.generation;
        self.changed.send_if_modified(|g| {
            let moved = *g != generation;
            *g = generation;
            moved
        });
    }

    /// While there is no vault, looks again: `idp init` elsewhere or a sync
    /// tool may have brought one.
    pub fn notice_vault(&mut self) {
        if !matches!(self.vault, Vault::None) {
            return;
        }
        match LockedVault::open_for(&self.vault_dir, &self.device) {
            Ok(v) => {
                tracing::info!(vault = %v.info().vault_id, "vault found, locked");
                for f in v.findings() {
                    self.notice(crate::notices::from_warning(f));
                }
                self.damaged = None;
                self.vault = Vault::Locked(v);
                self.bump();
            }
            Err(VaultError::NoVault { .. }) => {
                if self.damaged.take().is_some() {
                    self.bump();
                }
            }
            Err(e) => {
                let message = e.to_string();
                if self.damaged.as_ref() != Some(&message) {
                    tracing::warn!(error = %e, "the vault header cannot be used");
                    self.notice(crate::notices::notice("header_damaged", message.clone()));
                    self.damaged = Some(message);
                    self.bump();
                }
            }
        }
    }

    /// The error for a request that needs a vault while there is none.
    pub fn no_vault(&self) -> ProtoError {
        match &self.damaged {
            Some(message) => ProtoError::Vault {
                message: message.clone(),
            },
            None => ProtoError::NoVault {
                dir: self.vault_dir.display().to_string(),
            },
        }
    }

    /// The unlocked vault, or the error that says why there is none. Counts
    /// as a use for the idle timer.
    pub fn unlocked(&mut self) -> Result<&mut UnlockedVault, ProtoError> {
        self.notice_vault();
        if matches!(self.vault, Vault::None) {
            return Err(self.no_vault());
        }
        match &mut self.vault {
            Vault::Unlocked(v) => {
                self.timers.touch(Instant::now());
                Ok(v)
            }
            Vault::Locked(_) => Err(ProtoError::Locked),
            Vault::None => Err(ProtoError::NoVault {
                dir: self.vault_dir.display().to_string(),
            }),
        }
    }

    /// Adds `notice` unless the same one is there; what the person must hear
    /// of at once also goes to the desktop, once.
    pub fn notice(&mut self, notice: Notice) {
        if self.notices.contains(&notice) {
            return;
        }
        // The message names files anyone who writes to the folder can name:
        // escaped, a planted name cannot forge a line of the log.
        tracing::warn!(
            kind = %notice.kind,
            message = %idp_proto::text::shown(&notice.message),
            "vault folder notice"
        );
        if crate::notices::is_alert(&notice) && !self.alerted.contains(&notice) {
            self.alerts
                .send("idp-vault: check your vault folder", &notice.message);
            self.alerted.push(notice.clone());
        }
        self.notices.push(notice);
    }

    /// Counts the items again after a change of their number.
    pub fn recount(&mut self) {
        self.item_count = match &self.vault {
            Vault::Unlocked(v) => v.len() as u64,
            _ => 0,
        };
    }

    /// Locks if unlocked; wipes every secret.
    pub fn lock(&mut self, reason: LockReason) {
        let vault = std::mem::replace(&mut self.vault, Vault::None);
        self.vault = match vault {
            Vault::Unlocked(v) => {
                tracing::info!(?reason, "locked");
                self.upload = None;
                self.export = None;
                self.ssh_allowed.clear();
                self.timers.stop();
                self.bump();
                Vault::Locked(v.lock())
            }
            other => other,
        };
    }
}

/// An export file arriving piece by piece.
pub struct Upload {
    pub id: u64,
    pub format: String,
    /// Sized once for the largest file accepted, so growing it leaves no
    /// unwiped copies behind.
    pub text: Zeroizing<String>,
}

/// The one item `name` designates: an id, or a unique exact name.
pub fn resolve(vault: &UnlockedVault, name: &str) -> Result<ItemId, ProtoError> {
    if let Ok(id) = name.parse::<ItemId>()
        && vault.get(&id).is_some()
    {
        return Ok(id);
    }
    let found: Vec<&Item> = vault.find_by_name(name);
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(ProtoError::NotFound { name: name.into() }),
        many => Err(ProtoError::Ambiguous {
            name: name.into(),
            count: many.len() as u64,
        }),
    }
}
