//! `add`: a new item, durable before the reply.

use idp_proto::{ItemData, ItemSummary, ProtoError};

use crate::convert::{name_error, new_item, summary, vault_error};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, data: ItemData) -> Result<ItemSummary, ProtoError> {
    idp_vault::check_name(&data.name).map_err(name_error)?;
    super::totp::check_seed(data.totp.as_ref())?;
    let vault = st.unlocked()?;
    let id = vault.add(new_item(data)).map_err(vault_error)?;
    let item = vault.get(&id).ok_or(ProtoError::Vault {
        message: "the item just added is missing".into(),
    })?;
    let added = summary(item);
    tracing::info!(item = %id, "item added");
    st.item_count += 1;
    Ok(added)
}
