//! Accepting clients and answering their calls.
//!
//! Each connection is checked (`SO_PEERCRED`: same uid as the agent) before
//! a byte is read from it; a refused peer is logged and dropped. Accepted
//! connections get a tarpc channel over the capped framing of `idp_proto`,
//! and every call becomes a job for the actor. A client that hangs up, or
//! sends a frame over the cap, ends only its own connection. How many
//! connections may be open, and how long they may stay silent, is
//! [`crate::connections`]' business.

use std::time::{Duration, Instant};

use futures::StreamExt;
use idp_proto::{
    Agent, ChangePasswordRequest, Hello, HistoryRecord, ImportChunk, ImportSummary, InitReply,
    InitRequest, ItemData, ItemPatch, ItemSummary, KeyCheck, KitMaterial, PROTOCOL_VERSION,
    ProtoError, ResetRequest, Secret, SshKeyInfo, SshKeyType, Status, TotpCode, UnlockRequest,
    VaultDetails, framing, socket,
};
use idp_vault::ClientKey;
use tarpc::context::Context;
use tarpc::server::{BaseChannel, Channel};
use tokio::sync::watch;

use crate::actor::ActorHandle;
use crate::connections::{Burst, Registry, WatchedCodec};
use crate::keyring::{self, Keyring};
use crate::ops;
use crate::snapshot::Published;
use crate::state::Vault;

/// What each connection needs; cloned per call.
#[derive(Clone, Debug)]
pub struct Connection {
    pub actor: ActorHandle,
    pub keyring: Keyring,
    pub changed: watch::Receiver<u64>,
    pub published: Published,
}

/// A typed key, checked here so that a typo is refused before the vault
/// thread is asked anything.
fn parse_key(typed: &Secret) -> Result<ClientKey, ProtoError> {
    ClientKey::parse(typed.expose()).map_err(|e| ProtoError::BadKey {
        reason: e.to_string(),
    })
}

/// Read once: `getpid` is a system call each time.
static AGENT_PID: std::sync::LazyLock<u32> = std::sync::LazyLock::new(std::process::id);

/// The longest a `watch` call waits before answering anyway.
const WATCH_MAX: Duration = Duration::from_secs(300);

impl Agent for Connection {
    async fn hello(self, _: Context, client_protocol: u32) -> Result<Hello, ProtoError> {
        if client_protocol != PROTOCOL_VERSION {
            tracing::warn!(client_protocol, "refused a client of another protocol");
            return Err(ProtoError::ProtocolMismatch {
                agent: PROTOCOL_VERSION,
                client: client_protocol,
            });
        }
        Ok(Hello {
            protocol: PROTOCOL_VERSION,
            agent_version: env!("CARGO_PKG_VERSION").into(),
            pid: *AGENT_PID,
        })
    }

    async fn status(self, _: Context) -> Result<Status, ProtoError> {
        self.current_status().await
    }

    async fn watch(self, ctx: Context, generation: u64) -> Result<Status, ProtoError> {
        // Answer a little before the caller's deadline, so it gets a reply
        // rather than a timeout.
        let budget = ctx
            .deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(Duration::from_millis(500))
            .min(WATCH_MAX);
        let mut changed = self.changed.clone();
        let _ = tokio::time::timeout(budget, changed.wait_for(|g| *g != generation)).await;
        self.current_status().await
    }

    async fn init(self, _: Context, request: InitRequest) -> Result<InitReply, ProtoError> {
        let mut reply = self
            .actor
            .call(move |st| ops::init::run(st, request))
            .await?;
        let key = parse_key(&reply.client_key)?;
        if self.cache(key).await {
            reply.status = self.actor.call(ops::status::run).await?;
        }
        Ok(reply)
    }

    async fn unlock(self, _: Context, request: UnlockRequest) -> Result<Status, ProtoError> {
        let typed = request.client_key.as_ref().map(parse_key).transpose()?;
        let key = match &typed {
            Some(k) => Some(k.clone()),
            None => self.cached_key().await?,
        };
        let password = request.password;
        let typed_key = typed.is_some();
        let from_cache = !typed_key && key.is_some();
        let status = self
            .actor
            .call(move |st| {
                let result = ops::unlock::run(st, &password, key, typed_key);
                // The cached key was rotated elsewhere: say so in status.
                if from_cache
                    && matches!(
                        result,
                        Err(ProtoError::KeyNeeded | ProtoError::StaleKey | ProtoError::ForeignKey)
                    )
                    && let Some((id, _)) = keyring::current_vault(st)
                {
                    st.key_view.set(id, keyring::Known::Stale);
                    st.bump();
                }
                result
            })
            .await?;
        match typed {
            // A typed key that unlocked is the current key: remember it.
            Some(key) if !status.key_known => {
                if self.cache(key).await {
                    return self.actor.call(ops::status::run).await;
                }
                Ok(status)
            }
            _ => Ok(status),
        }
    }

    async fn lock(self, _: Context) -> Result<Status, ProtoError> {
        self.actor.call(ops::lock::run).await
    }

    async fn add(self, _: Context, item: ItemData) -> Result<ItemSummary, ProtoError> {
        self.actor.call(move |st| ops::add::run(st, item)).await
    }

    async fn get(self, _: Context, name: String) -> Result<ItemData, ProtoError> {
        self.actor.call(move |st| ops::get::run(st, &name)).await
    }

    async fn list(self, _: Context) -> Result<Vec<ItemSummary>, ProtoError> {
        self.actor.call(ops::list::run).await
    }

    async fn search(self, _: Context, query: String) -> Result<Vec<ItemSummary>, ProtoError> {
        self.actor
            .call(move |st| ops::search::run(st, &query))
            .await
    }

    async fn edit(
        self,
        _: Context,
        name: String,
        patch: ItemPatch,
    ) -> Result<ItemSummary, ProtoError> {
        self.actor
            .call(move |st| ops::edit::run(st, &name, patch))
            .await
    }

    async fn remove(self, _: Context, name: String) -> Result<ItemSummary, ProtoError> {
        self.actor.call(move |st| ops::remove::run(st, &name)).await
    }

    async fn history(self, _: Context, name: String) -> Result<Vec<HistoryRecord>, ProtoError> {
        self.actor
            .call(move |st| ops::history::run(st, &name))
            .await
    }

    async fn totp(self, _: Context, name: String) -> Result<TotpCode, ProtoError> {
        self.actor.call(move |st| ops::totp::run(st, &name)).await
    }

    async fn kit(self, _: Context, password: Secret) -> Result<KitMaterial, ProtoError> {
        self.actor
            .call(move |st| ops::kit::run(st, &password))
            .await
    }

    async fn check_key(
        self,
        _: Context,
        vault_id: String,
        key: Secret,
    ) -> Result<KeyCheck, ProtoError> {
        self.actor
            .call(move |st| ops::check_key::run(st, &vault_id, &key))
            .await
    }

    async fn forget_key(self, _: Context) -> Result<Status, ProtoError> {
        ops::forget_key::run(&self.actor, &self.keyring).await
    }

    async fn import_key(
        self,
        _: Context,
        vault_id: String,
        key: Secret,
    ) -> Result<Status, ProtoError> {
        ops::import_key::run(&self.actor, &self.keyring, vault_id, key).await
    }

    async fn vault_info(self, _: Context) -> Result<VaultDetails, ProtoError> {
        self.actor.call(ops::vault_info::run).await
    }

    async fn change_password(
        self,
        _: Context,
        request: ChangePasswordRequest,
    ) -> Result<Status, ProtoError> {
        self.actor
            .call(move |st| ops::change_password::run(st, request))
            .await
    }

    async fn rotate_key(self, _: Context, password: Secret) -> Result<KitMaterial, ProtoError> {
        let material = self
            .actor
            .call(move |st| ops::rotate_key::run(st, &password))
            .await?;
        self.cache(parse_key(&material.key)?).await;
        Ok(material)
    }

    async fn reset(self, _: Context, request: ResetRequest) -> Result<KitMaterial, ProtoError> {
        let material = self
            .actor
            .call(move |st| ops::reset::run(st, request))
            .await?;
        self.cache(parse_key(&material.key)?).await;
        Ok(material)
    }

    async fn import(
        self,
        _: Context,
        chunk: ImportChunk,
    ) -> Result<Option<ImportSummary>, ProtoError> {
        self.actor.call(move |st| ops::import::run(st, chunk)).await
    }

    async fn export_begin(
        self,
        _: Context,
        password: Secret,
        format: String,
    ) -> Result<u64, ProtoError> {
        self.actor
            .call(move |st| ops::export::begin(st, &password, &format))
            .await
    }

    async fn export_read(self, _: Context, offset: u64) -> Result<Secret, ProtoError> {
        self.actor
            .call(move |st| ops::export::read(st, offset))
            .await
    }

    async fn ssh_generate(
        self,
        _: Context,
        name: String,
        key_type: SshKeyType,
        comment: Option<String>,
    ) -> Result<SshKeyInfo, ProtoError> {
        self.actor
            .call(move |st| ops::ssh_add::generate(st, &name, key_type, comment.as_deref()))
            .await
    }

    async fn ssh_import(
        self,
        _: Context,
        name: String,
        private: Secret,
    ) -> Result<SshKeyInfo, ProtoError> {
        self.actor
            .call(move |st| ops::ssh_add::import(st, &name, &private))
            .await
    }

    async fn ssh_list(self, _: Context) -> Result<Vec<SshKeyInfo>, ProtoError> {
        self.actor.call(ops::ssh_list::list).await
    }

    async fn ssh_key(self, _: Context, name: String) -> Result<SshKeyInfo, ProtoError> {
        self.actor
            .call(move |st| ops::ssh_list::key(st, &name))
            .await
    }

    async fn ssh_export(
        self,
        _: Context,
        name: String,
        password: Secret,
    ) -> Result<Secret, ProtoError> {
        self.actor
            .call(move |st| ops::ssh_export::run(st, &name, &password))
            .await
    }
}

impl Connection {
    /// `status`, from the published snapshot when there is one.
    async fn current_status(&self) -> Result<Status, ProtoError> {
        match self.published.for_status() {
            Some(snapshot) => Ok(snapshot.status(Instant::now())),
            None => self.actor.call(ops::status::run).await,
        }
    }

    /// The cached key of the locked vault, read on the keyring thread. A
    /// cache that fails is logged and treated as holding nothing, so the
    /// person is asked for the key.
    async fn cached_key(&self) -> Result<Option<ClientKey>, ProtoError> {
        let vault = self
            .actor
            .call(|st| {
                Ok(match st.vault {
                    Vault::Locked(_) => keyring::current_vault(st),
                    _ => None,
                })
            })
            .await?;
        let Some((id, _)) = vault else {
            return Ok(None);
        };
        match self.keyring.load(id).await {
            Ok(found) => Ok(found),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the key cache; the key must be typed");
                Ok(None)
            }
        }
    }

    /// Caches the key of the vault just unlocked or created; a cache that
    /// fails leaves the vault open and says so in `status`.
    async fn cache(&self, key: ClientKey) -> bool {
        let vault = self
            .actor
            .call(|st| Ok(keyring::current_vault(st).filter(|_| st.key_view.usable)))
            .await;
        let Ok(Some((id, name))) = vault else {
            return false;
        };
        keyring::remember(&self.actor, &self.keyring, id, name, key)
            .await
            .is_ok()
    }
}

/// Accepts connections until the task is dropped.
pub async fn accept_loop(
    listener: socket::Listener,
    conn: Connection,
    uid: u32,
    registry: Registry,
) {
    let mut failures = Burst::default();
    let mut refusals = Burst::default();
    loop {
        let stream = match socket::accept(&listener).await {
            Ok(stream) => stream,
            Err(e) => {
                if failures.failed(Instant::now()) {
                    tracing::warn!(
                        error = %e,
                        "accept failed; retrying, and counting further failures until they stop \
                         for 10 s"
                    );
                }
                // Out of descriptors: close the longest-quiet connection to
                // make room, and retry as soon as it is gone. Otherwise back
                // off.
                let out_of_files = matches!(
                    e.raw_os_error(),
                    Some(code) if code == rustix::io::Errno::MFILE.raw_os_error()
                        || code == rustix::io::Errno::NFILE.raw_os_error()
                );
                let pause = if out_of_files && registry.evict_one() {
                    Duration::from_millis(5)
                } else {
                    Duration::from_millis(100)
                };
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        if let Some(n) = failures.succeeded(Instant::now()) {
            tracing::info!(failures = n, "accepting connections again");
        }
        match socket::peer(&stream) {
            Ok((peer_uid, _)) if peer_uid == uid => {}
            Ok((peer_uid, peer_pid)) => {
                tracing::warn!(
                    peer_uid,
                    peer_pid = ?peer_pid,
                    "refused a connection from another user"
                );
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "refused a connection without peer credentials");
                continue;
            }
        }
        let Some(slot) = registry.admit() else {
            if refusals.failed(Instant::now()) {
                tracing::warn!(
                    "refused a connection: every open connection has a call in progress"
                );
            }
            continue;
        };
        if let Some(n) = refusals.succeeded(Instant::now()) {
            tracing::info!(refused = n, "admitting connections again");
        }
        let conn = conn.clone();
        tokio::spawn(async move {
            let watched = slot.conn.clone();
            let transport = framing::transport_with(stream, WatchedCodec::new(watched.clone()));
            // A connection's calls run concurrently inside its own task (a
            // long-poll `watch` must not hold up the calls behind it), without
            // a task spawn and a thread hop per call.
            let calls = watched.clone();
            let serve = BaseChannel::with_defaults(transport)
                .execute(conn.serve())
                .for_each_concurrent(None, move |call| {
                    let in_progress = calls.call();
                    async move {
                        call.await;
                        drop(in_progress);
                    }
                });
            tokio::select! {
                () = serve => tracing::debug!("client disconnected"),
                why = watched.expired() => tracing::debug!(?why, "closed a connection"),
            }
            // Dropping the transport here frees its buffers with the
            // connection; the slot goes last.
            drop(slot);
        });
    }
}
