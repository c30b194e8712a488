//! `import_key`: caches a key read from a kit (by `idp key import` or the
//! Downloads watcher), once the vault header says it is the current key.
//! No password is needed: the header's key fingerprints answer. Runs as an
//! async orchestration: the check on the vault thread, the store on the
//! keyring thread.

use idp_proto::{KeyCheck, ProtoError, Secret, Status};
use idp_vault::ClientKey;

use crate::actor::ActorHandle;
use crate::keyring::{self, Keyring, Known};

/// What importing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// The key was cached.
    Cached,
    /// The cache already held this key; nothing was written.
    AlreadyKnown,
}

/// Checks `key` against the vault and caches it. `kit` names the file it
/// came from, for `idp status`.
pub async fn import(
    actor: &ActorHandle,
    keys: &Keyring,
    vault_id: String,
    key: Secret,
    kit: Option<String>,
) -> Result<Imported, ProtoError> {
    let parsed = ClientKey::parse(key.expose()).map_err(|e| ProtoError::BadKey {
        reason: e.to_string(),
    })?;
    let check = actor
        .call(move |st| super::check_key::run(st, &vault_id, &key))
        .await?;
    match check {
        KeyCheck::Current => {}
        KeyCheck::Stale { .. } => return Err(ProtoError::StaleKey),
        KeyCheck::Foreign => return Err(ProtoError::ForeignKey),
        KeyCheck::OtherVault { .. } => return Err(ProtoError::OtherVault),
    }
    let (id, name, known) = actor
        .call(|st| {
            let (id, name) = keyring::current_vault(st).ok_or_else(|| ProtoError::NoVault {
                dir: st.vault_dir.display().to_string(),
            })?;
            let known = st.key_view.about(&id).clone();
            Ok((id, name, known))
        })
        .await?;
    let outcome = if known == Known::Current {
        Imported::AlreadyKnown
    } else {
        keyring::remember(actor, keys, id, name, parsed)
            .await
            .map_err(|e| ProtoError::NoKeyCache { reason: e.0 })?;
        Imported::Cached
    };
    if let Some(kit) = kit {
        actor
            .call(move |st| {
                st.key_view.kit = Some(kit);
                st.bump();
                Ok(())
            })
            .await?;
    }
    Ok(outcome)
}

/// The RPC: import, then the new status.
pub async fn run(
    actor: &ActorHandle,
    keys: &Keyring,
    vault_id: String,
    key: Secret,
) -> Result<Status, ProtoError> {
    import(actor, keys, vault_id, key, None).await?;
    actor.call(super::status::run).await
}
