//! `edit`: changes an item; the vault keeps replaced secrets in its history.

use idp_proto::{ItemPatch, ItemSummary, ProtoError};

use crate::convert::{apply, name_error, summary, vault_error};
use crate::state::{AgentState, resolve};

pub fn run(st: &mut AgentState, name: &str, patch: ItemPatch) -> Result<ItemSummary, ProtoError> {
    if let Some(new_name) = &patch.name {
        idp_vault::check_name(new_name).map_err(name_error)?;
    }
    super::totp::check_seed(patch.totp.as_ref())?;
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    if let (Some(kind), Some(item)) = (patch.kind, vault.get(&id))
        && (kind == idp_proto::ItemKind::SshKey) != (item.kind == idp_vault::ItemKind::SshKey)
    {
        return Err(super::add::ssh_kind_fixed());
    }
    vault
        .edit(&id, |item| apply(item, patch))
        .map_err(vault_error)?;
    tracing::info!(item = %id, "item edited");
    vault
        .get(&id)
        .map(summary)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })
}
