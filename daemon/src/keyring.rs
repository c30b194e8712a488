//! The keyring thread: the one place that calls a [`KeyCache`] backend.
//!
//! Backend calls block, sometimes for long (a Secret Service may wait for
//! a person to answer an unlock prompt, or not answer at all), so they run
//! on a thread of their own, one at a time, and every caller waits with a
//! deadline. A call that misses its deadline is reported as "the keyring
//! did not answer" and the agent carries on; the stuck call finishes (or
//! not) on the keyring thread, and later calls queue behind it and time
//! out the same way. Neither the async runtime nor the vault thread ever
//! waits on the keyring, so `idp status` stays prompt.
//!
//! What the agent knows about the cache (which backend, whether this
//! vault's key is in it) lives in [`KeyView`], part of the vault thread's
//! state, so `status` answers without a keyring call.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use idp_vault::{ClientKey, KeyMatch, VaultId};
use tokio::sync::oneshot;

use crate::actor::ActorHandle;
use crate::keycache::{self, CacheError, Choice, KeyCache};
use crate::state::{AgentState, Vault};

/// How long a load or a removal may take.
pub const QUICK: Duration = Duration::from_secs(5);
/// How long a store may take: gnome-keyring rewrites its whole file.
pub const SLOW: Duration = Duration::from_secs(15);

type Job = Box<dyn FnOnce(&dyn KeyCache) + Send>;

/// Sends calls to the keyring thread. Cheap to clone.
#[derive(Clone)]
pub struct Keyring {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring")
    }
}

/// Starts the keyring thread; it opens the backend first.
pub fn spawn(choice: Choice) -> std::io::Result<Keyring> {
    let (tx, rx) = mpsc::channel::<Job>();
    thread::Builder::new()
        .name("idp-keyring".into())
        .spawn(move || {
            let cache = keycache::open(choice);
            tracing::info!(key_cache = %cache.name(), "key cache");
            while let Ok(job) = rx.recv() {
                job(cache.as_ref());
            }
        })?;
    Ok(Keyring { tx })
}

impl Keyring {
    /// Runs `f` on the backend; waits at most `limit`.
    pub async fn call<T, F>(&self, limit: Duration, f: F) -> Result<T, CacheError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn KeyCache) -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.tx
            .send(job)
            .map_err(|_| CacheError("the keyring thread has stopped".into()))?;
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(CacheError("the keyring thread has stopped".into())),
            Err(_) => Err(CacheError(format!(
                "the keyring did not answer within {} s",
                limit.as_secs()
            ))),
        }
    }

    /// The backend's name and whether it can cache, once it is open.
    pub async fn describe(&self) -> Result<(String, bool), CacheError> {
        // Opening may include the first D-Bus connection.
        self.call(SLOW, |c| (c.name(), c.usable())).await
    }

    pub async fn load(&self, vault: VaultId) -> Result<Option<ClientKey>, CacheError> {
        self.call(QUICK, move |c| c.load(&vault)).await?
    }

    pub async fn store(
        &self,
        vault: VaultId,
        name: String,
        key: ClientKey,
    ) -> Result<(), CacheError> {
        self.call(SLOW, move |c| c.store(&vault, &name, &key))
            .await?
    }

    pub async fn forget(&self, vault: VaultId) -> Result<bool, CacheError> {
        self.call(QUICK, move |c| c.forget(&vault)).await?
    }
}

/// Whether this device's cache holds the vault's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Not looked up yet.
    Unchecked,
    /// No key cached for this vault.
    Absent,
    /// The vault's current key is cached.
    Current,
    /// A key is cached but it was replaced (rotated) since.
    Stale,
    /// The cache could not be asked.
    Failed(String),
}

/// What the agent knows about its key cache, for `status`.
#[derive(Debug, Clone)]
pub struct KeyView {
    /// The backend's name, or why there is none.
    pub cache: String,
    /// Whether the backend can cache keys at all.
    pub usable: bool,
    /// The vault that `known` is about.
    pub vault: Option<VaultId>,
    pub known: Known,
    /// The kit file the key was last imported from (Downloads watcher).
    pub kit: Option<String>,
}

impl Default for KeyView {
    fn default() -> Self {
        Self {
            cache: "opening".into(),
            usable: false,
            vault: None,
            known: Known::Unchecked,
            kit: None,
        }
    }
}

impl KeyView {
    /// `known`, for the vault `id` only.
    pub fn about(&self, id: &VaultId) -> &Known {
        match &self.vault {
            Some(v) if v == id => &self.known,
            _ => &Known::Unchecked,
        }
    }

    pub fn set(&mut self, id: VaultId, known: Known) {
        if self.vault.as_ref() != Some(&id) {
            self.kit = None;
        }
        self.vault = Some(id);
        self.known = known;
    }
}

/// The id and name of the vault the agent serves, if any.
pub fn current_vault(st: &mut AgentState) -> Option<(VaultId, String)> {
    st.notice_vault();
    let info = match &st.vault {
        Vault::Locked(v) => v.info(),
        Vault::Unlocked(v) => v.info(),
        Vault::None => return None,
    };
    Some((info.vault_id, info.name))
}

/// How a key found in the cache relates to the vault.
fn judge(st: &AgentState, key: &ClientKey) -> Known {
    let matched = match &st.vault {
        Vault::Locked(v) => v.check_key(key),
        Vault::Unlocked(v) => v.check_key(key),
        Vault::None => return Known::Unchecked,
    };
    match matched {
        // A key of a newer header not yet verified: the unlock verifies it.
        KeyMatch::Current | KeyMatch::Unverified => Known::Current,
        KeyMatch::Stale { .. } | KeyMatch::Foreign => Known::Stale,
    }
}

/// Records what a lookup found; bumps the generation when that changed.
fn record_lookup(st: &mut AgentState, id: VaultId, found: Result<Option<ClientKey>, CacheError>) {
    let known = match found {
        Ok(Some(key)) => judge(st, &key),
        Ok(None) => Known::Absent,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the key cache");
            Known::Failed(e.0)
        }
    };
    if st.key_view.about(&id) != &known {
        if known == Known::Stale {
            tracing::warn!(vault = %id, "the cached client key was replaced; a new kit is needed");
        }
        st.key_view.set(id, known);
        st.bump();
    }
}

/// Looks the vault's key up in the cache and records the answer.
pub async fn check(actor: &ActorHandle, keyring: &Keyring) {
    let Ok(Some((id, _))) = actor.call(|st| Ok(current_vault(st))).await else {
        return;
    };
    let found = keyring.load(id).await;
    let _ = actor
        .call(move |st| {
            record_lookup(st, id, found);
            Ok(())
        })
        .await;
}

/// Caches `key` for the vault and records the result. The caller has
/// checked that it is the vault's current key.
pub async fn remember(
    actor: &ActorHandle,
    keyring: &Keyring,
    id: VaultId,
    name: String,
    key: ClientKey,
) -> Result<(), CacheError> {
    let stored = keyring.store(id, name, key).await;
    let result = stored.clone();
    let _ = actor
        .call(move |st| {
            let known = match stored {
                Ok(()) => Known::Current,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot cache the client key");
                    Known::Failed(e.0)
                }
            };
            st.key_view.set(id, known);
            st.bump();
            Ok(())
        })
        .await;
    if result.is_ok() {
        tracing::info!(vault = %id, "client key cached");
    }
    result
}

/// Follows the agent's state: names the backend once it is open, and looks
/// the key up whenever the vault changes and it has not been looked up.
pub async fn follow(
    actor: ActorHandle,
    keyring: Keyring,
    mut changed: tokio::sync::watch::Receiver<u64>,
) {
    let (cache, usable) = match keyring.describe().await {
        Ok(d) => d,
        Err(e) => (format!("none ({e})"), false),
    };
    let _ = actor
        .call(move |st| {
            st.key_view.cache = cache;
            st.key_view.usable = usable;
            st.bump();
            Ok(())
        })
        .await;
    loop {
        let unchecked = actor
            .call(|st| {
                Ok(current_vault(st)
                    .is_some_and(|(id, _)| st.key_view.about(&id) == &Known::Unchecked))
            })
            .await;
        match unchecked {
            Ok(true) => check(&actor, &keyring).await,
            Ok(false) => {}
            Err(_) => return,
        }
        if changed.changed().await.is_err() {
            return;
        }
    }
}
