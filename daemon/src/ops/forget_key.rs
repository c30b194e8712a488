//! `forget_key`: removes the vault's client key from this device's cache.
//! The next unlock asks for the key again (typed, or from a kit).

use idp_proto::{ProtoError, Status};

use crate::actor::ActorHandle;
use crate::keyring::{self, Keyring, Known};

pub async fn run(actor: &ActorHandle, keys: &Keyring) -> Result<Status, ProtoError> {
    let (id, _) = actor
        .call(|st| {
            keyring::current_vault(st).ok_or_else(|| ProtoError::NoVault {
                dir: st.vault_dir.display().to_string(),
            })
        })
        .await?;
    let removed = keys
        .forget(id)
        .await
        .map_err(|e| ProtoError::NoKeyCache { reason: e.0 })?;
    tracing::info!(vault = %id, removed, "client key forgotten on this device");
    actor
        .call(move |st| {
            st.key_view.set(id, Known::Absent);
            st.bump();
            super::status::run(st)
        })
        .await
}
