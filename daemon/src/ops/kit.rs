//! `kit`: the client key and what an emergency kit shows, for `idp kit show`
//! and `idp kit save`. The password is checked again first, with a full key
//! derivation and the same throttle as `unlock`, so an unlocked, unattended
//! session cannot hand out the key.

use idp_proto::{KitMaterial, ProtoError, Secret};

use crate::convert::from_wire;
use crate::state::AgentState;

pub fn run(st: &mut AgentState, password: &Secret) -> Result<KitMaterial, ProtoError> {
    super::password_checked(st, "emergency kit", |v| {
        v.verify_password(&from_wire(password))
    })?;
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
