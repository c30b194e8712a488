//! `change_password`: the current password is checked (a full key
//! derivation, throttled like `unlock`), then the header is rewritten with
//! the new one. The vault key and every record stay as they are, so other
//! devices keep their items and unlock with the new password once the
//! header reaches them.

use idp_proto::{ChangePasswordRequest, ProtoError, Status};
use idp_vault::KdfParams;

use crate::convert::{from_wire, vault_error};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, req: ChangePasswordRequest) -> Result<Status, ProtoError> {
    if req.new.is_empty() {
        return Err(ProtoError::Invalid {
            reason: "the new password is empty".into(),
        });
    }
    let params = match req.kdf {
        Some(k) => {
            Some(KdfParams::new(k.memory_kib, k.iterations, k.parallelism).map_err(vault_error)?)
        }
        None => None,
    };
    super::password_checked(st, "password change", |v| {
        v.change_password(&from_wire(&req.current), &from_wire(&req.new), params)
    })?;
    tracing::info!("password changed");
    st.bump();
    super::status::run(st)
}
