//! `init`: creates the vault, leaves it unlocked, returns the client key
//! (which the RPC handler then caches).

use std::time::Instant;

use idp_proto::{InitReply, InitRequest, ProtoError, Secret};
use idp_vault::{KdfParams, LockedVault};

use crate::convert::{from_wire, vault_error};
use crate::state::{AgentState, Vault};

pub fn run(st: &mut AgentState, req: InitRequest) -> Result<InitReply, ProtoError> {
    st.notice_vault();
    if !matches!(st.vault, Vault::None) {
        return Err(ProtoError::VaultExists {
            dir: st.vault_dir.display().to_string(),
        });
    }
    let params = match req.kdf {
        Some(k) => {
            KdfParams::new(k.memory_kib, k.iterations, k.parallelism).map_err(vault_error)?
        }
        None => KdfParams::DEFAULT,
    };
    let password = from_wire(&req.password);
    let (vault, key) = LockedVault::create(&st.vault_dir, &req.name, &password, params, &st.device)
        .map_err(vault_error)?;
    let info = vault.info();
    tracing::info!(vault = %info.vault_id, kdf = %info.kdf, "vault created");
    let client_key = Secret::new(key.expose_grouped().expose());
    st.notices.clear();
    st.vault = Vault::Unlocked(vault);
    st.recount();
    st.timers.start(Instant::now());
    st.bump();
    Ok(InitReply {
        client_key,
        status: super::status::run(st)?,
    })
}
