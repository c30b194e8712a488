//! `rotate_key`: a new client key. The password is checked again (throttled
//! like `unlock`); the header keeps the old key's fingerprint so its kits
//! are recognised as stale. The new key goes back to the client, which
//! saves the new kit; the server caches it on this device.

use std::time::Instant;

use idp_proto::{KitMaterial, ProtoError, Secret};
use idp_vault::VaultError;

use crate::convert::{from_wire, vault_error};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, password: &Secret) -> Result<KitMaterial, ProtoError> {
    st.throttle
        .check(Instant::now())
        .map_err(|retry_after| ProtoError::Throttled { retry_after })?;
    let vault = st.unlocked()?;
    let key = match vault.rotate_key(&from_wire(password)) {
        Ok(k) => k,
        Err(VaultError::WrongPassword) => {
            st.throttle.failed(Instant::now());
            tracing::warn!("key rotation refused: the password check failed");
            return Err(ProtoError::WrongPassword);
        }
        Err(e) => return Err(vault_error(e)),
    };
    st.throttle.succeeded();
    let info = st.unlocked()?.info();
    tracing::info!(vault = %info.vault_id, "client key rotated");
    st.bump();
    Ok(KitMaterial {
        vault_id: info.vault_id.to_hex(),
        vault_name: info.name,
        key_created: info.key_created_ms,
        key: Secret::new(key.expose_canonical().expose()),
    })
}
