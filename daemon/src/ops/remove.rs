//! `remove`: deletes an item (a tombstone other devices see).

use idp_proto::{ItemSummary, ProtoError};

use crate::convert::{summary, vault_error};
use crate::state::{AgentState, resolve};

pub fn run(st: &mut AgentState, name: &str) -> Result<ItemSummary, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    let gone = vault
        .get(&id)
        .map(summary)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })?;
    vault.remove(&id).map_err(vault_error)?;
    tracing::info!(item = %id, "item removed");
    st.item_count = st.item_count.saturating_sub(1);
    Ok(gone)
}
