//! `add`: a new item, durable before the reply.

use idp_proto::{ItemData, ItemSummary, ProtoError};

use crate::convert::{name_error, new_item, summary, vault_error};
use crate::state::AgentState;

pub fn run(st: &mut AgentState, data: ItemData) -> Result<ItemSummary, ProtoError> {
    idp_vault::check_name(&data.name).map_err(name_error)?;
    if data.kind == idp_proto::ItemKind::SshKey {
        return Err(ssh_kind_fixed());
    }
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

/// SSH key items are made from a key, and a key's item stays one.
pub fn ssh_kind_fixed() -> ProtoError {
    ProtoError::Invalid {
        reason: "SSH keys are made by `idp ssh generate` or `idp ssh import`, and stay SSH keys"
            .into(),
    }
}
