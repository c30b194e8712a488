//! The SSH agent socket: `$XDG_RUNTIME_DIR/idp/ssh.sock`, another front door
//! to the same vault thread (`[ssh_agent] serve = true`).
//!
//! It holds no state of its own: every request that touches keys is a job
//! for the actor, so the vault's lock is the agent's lock (a locked vault
//! offers no key), and nothing here outlives a request. Its connections
//! have the main socket's bounds: the peer's uid is checked before a byte
//! is read, connections are capped and evicted by their own
//! [`Registry`] of the same size, silent, idle and stalled connections are
//! closed on the same clocks, and a message is at most
//! [`wire::MAX_MESSAGE`] bytes (OpenSSH's own cap), checked before its
//! buffer grows. A connection is served one request at a time, as
//! OpenSSH's agent does; a slow or hostile one holds up only itself.
//!
//! What each message does, and where that differs from OpenSSH's
//! `ssh-agent`, is in `docs/ssh-agent.md`.

mod confirm;

use std::path::PathBuf;
use std::time::Instant;

use idp_proto::config::SshConfirm;
use idp_proto::ssh_wire as wire;

use futures::{SinkExt, StreamExt};
use tokio::net::UnixListener;
use tokio_util::bytes::Bytes;
use tokio_util::codec::Framed;

use crate::actor::ActorHandle;
use crate::connections::{Burst, Registry, WatchedCodec};
use crate::ops;
use wire::{FAILURE, Request, SUCCESS};

/// What the socket's connections share.
#[derive(Clone, Debug)]
pub struct SshAgent {
    pub actor: ActorHandle,
    /// `ssh-add FILE` stores the key in the vault.
    pub add_to_vault: bool,
    /// When to ask before a key signs, and with what.
    pub confirm: SshConfirm,
    pub pinentry: Option<PathBuf>,
}

/// Accepts connections until the task is dropped.
pub async fn accept_loop(listener: UnixListener, agent: SshAgent, uid: u32, registry: Registry) {
    let mut failures = Burst::default();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                if failures.failed(Instant::now()) {
                    tracing::warn!(error = %e, "SSH socket: accept failed; retrying");
                }
                if !registry.evict_one() {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == uid => {}
            Ok(cred) => {
                tracing::warn!(
                    peer_uid = cred.uid(),
                    peer_pid = ?cred.pid(),
                    "SSH socket: refused a connection from another user"
                );
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SSH socket: refused a connection without credentials");
                continue;
            }
        }
        let Some(slot) = registry.admit() else {
            tracing::warn!("SSH socket: refused a connection: every one has a request in progress");
            continue;
        };
        let agent = agent.clone();
        tokio::spawn(async move {
            let conn = slot.conn.clone();
            let mut framed = Framed::new(
                stream,
                WatchedCodec::with_max(conn.clone(), wire::MAX_MESSAGE),
            );
            let serve = async {
                // The server's host key, once the client bound the session.
                let mut host = None;
                while let Some(frame) = framed.next().await {
                    let Ok(frame) = frame else {
                        // Over the cap, or the peer's socket failed: what
                        // OpenSSH's agent does too is to close.
                        tracing::debug!("SSH socket: closed a connection on a bad frame");
                        return;
                    };
                    let in_progress = conn.call();
                    let reply = agent.answer(&frame, &mut host).await;
                    drop(in_progress);
                    if framed.send(Bytes::from(reply)).await.is_err() {
                        return;
                    }
                }
            };
            tokio::select! {
                () = serve => tracing::debug!("SSH client disconnected"),
                why = conn.expired() => tracing::debug!(?why, "closed an SSH connection"),
            }
            drop(slot);
        });
    }
}

impl SshAgent {
    /// The reply to one message.
    async fn answer(&self, body: &[u8], host: &mut Option<String>) -> Vec<u8> {
        let request = match wire::parse(body) {
            Ok(r) => r,
            Err(wire::Malformed) => {
                tracing::debug!("SSH socket: refused a malformed message");
                return wire::status(FAILURE);
            }
        };
        match request {
            Request::Identities => {
                let keys = self
                    .actor
                    .call(|st| Ok(ops::ssh_sign::identities(st)))
                    .await
                    .unwrap_or_default();
                wire::identities(keys.iter().map(|k| (k.blob.as_slice(), k.comment.as_str())))
            }
            Request::Sign { blob, data, flags } => {
                if !self.allowed(&blob, host.as_deref()).await {
                    return wire::status(FAILURE);
                }
                let signed = self
                    .actor
                    .call(move |st| ops::ssh_sign::sign(st, &blob, &data, flags))
                    .await;
                match signed {
                    Ok((sig, item)) => {
                        tracing::debug!(item, "SSH signature");
                        wire::signature(&sig)
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "SSH socket: refused to sign");
                        wire::status(FAILURE)
                    }
                }
            }
            Request::Add(key) => self.add(key.0).await,
            Request::Lock => match self.actor.call(ops::lock::run).await {
                Ok(_) => {
                    tracing::info!("SSH socket: locked on `ssh-add -x`");
                    wire::status(SUCCESS)
                }
                Err(_) => wire::status(FAILURE),
            },
            Request::SessionBind {
                host_key,
                session_id,
                signature,
                forwarding,
            } => match idp_vault::ssh::verify_session_bind(&host_key, &session_id, &signature) {
                Ok(key) => {
                    tracing::debug!(host = key, forwarding, "SSH session bound to a host key");
                    *host = Some(key);
                    wire::status(SUCCESS)
                }
                Err(_) => {
                    tracing::info!("SSH socket: refused a session-bind whose signature fails");
                    wire::status(FAILURE)
                }
            },
            other => {
                tracing::debug!(request = ?other, "SSH socket: refused a request it does not serve");
                wire::status(FAILURE)
            }
        }
    }

    /// Whether the key `blob` may sign now: `[ssh_agent] confirm` says when
    /// the person is asked.
    async fn allowed(&self, blob: &[u8], host: Option<&str>) -> bool {
        let confirm = self.confirm;
        let key = blob.to_vec();
        let ask = match self
            .actor
            .call(move |st| ops::ssh_sign::needs_asking(st, &key, confirm))
            .await
        {
            Ok(None) => return true,
            Ok(Some(ask)) => ask,
            Err(e) => {
                tracing::info!(error = %e, "SSH socket: refused to sign");
                return false;
            }
        };
        let Some(pinentry) = self.pinentry.clone() else {
            tracing::warn!(
                "SSH socket: refused to sign: [ssh_agent] confirm asks before signing, but no \
                 `pinentry` is set in config.toml"
            );
            return false;
        };
        let question = confirm::question(&ask, host);
        let yes = tokio::task::spawn_blocking(move || confirm::ask(&pinentry, &question))
            .await
            .unwrap_or(false);
        tracing::info!(allowed = yes, fingerprint = %ask.fingerprint, "SSH key use confirmation");
        if yes && confirm == SshConfirm::OncePerUnlock {
            let key = blob.to_vec();
            let _ = self
                .actor
                .call(move |st| ops::ssh_sign::allowed(st, &key))
                .await;
        }
        yes
    }

    /// `ssh-add FILE`: stores the key in the vault, when allowed.
    async fn add(&self, body: &[u8]) -> Vec<u8> {
        if !self.add_to_vault {
            tracing::info!("SSH socket: refused ssh-add (add_to_vault = false)");
            return wire::status(FAILURE);
        }
        let key = match idp_vault::ssh::from_agent_wire(body) {
            Ok((key, used)) if used == body.len() => key,
            Ok(_) => return wire::status(FAILURE),
            Err(e) => {
                tracing::info!(error = %e, "SSH socket: refused a key from ssh-add");
                return wire::status(FAILURE);
            }
        };
        match self
            .actor
            .call(move |st| ops::ssh_add::from_agent(st, key))
            .await
        {
            Ok(()) => wire::status(SUCCESS),
            Err(e) => {
                tracing::info!(error = %e, "SSH socket: could not store a key from ssh-add");
                wire::status(FAILURE)
            }
        }
    }
}
