//! `kit`: the client key and what an emergency kit shows, for `idp kit show`
//! and `idp kit save`. The password is checked again first, with a full key
//! derivation and the same throttle as `unlock`, so an unlocked, unattended
//! session cannot hand out the key.

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
    match vault.verify_password(&from_wire(password)) {
        Ok(()) => {}
        Err(VaultError::WrongPassword) => {
            st.throttle.failed(Instant::now());
            tracing::warn!("emergency kit refused: the password check failed");
            return Err(ProtoError::WrongPassword);
        }
        Err(e) => return Err(vault_error(e)),
    }
    st.throttle.succeeded();
    let vault = st.unlocked()?;
    let info = vault.info();
    tracing::info!(vault = %info.vault_id, "client key handed out for an emergency kit");
    Ok(KitMaterial {
        vault_id: info.vault_id.to_hex(),
        vault_name: info.name,
        key_created: info.key_created_ms,
        key: Secret::new(vault.client_key().expose_canonical().expose()),
    })
}
