//! `rotate_key`: a new client key. The password is checked again (throttled
//! like `unlock`); the header keeps the old key's fingerprint so its kits
//! are recognised as stale. The new key goes back to the client, which
//! saves the new kit; the server caches it on this device.

use idp_proto::{KitMaterial, ProtoError, Secret};

use crate::convert::{from_wire, kit_material};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, password: &Secret) -> Result<KitMaterial, ProtoError> {
    let key = super::password_checked(st, "key rotation", |v| v.rotate_key(&from_wire(password)))?;
    let info = st.unlocked()?.info();
    tracing::info!(vault = %info.vault_id, "client key rotated");
    st.bump();
    Ok(kit_material(info, &key))
}
