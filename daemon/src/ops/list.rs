//! `list`: every item, by name, without secrets.

use idp_proto::{ItemSummary, ProtoError};

use crate::convert::summary;
use crate::state::AgentState;

pub fn run(st: &mut AgentState) -> Result<Vec<ItemSummary>, ProtoError> {
    let vault = st.unlocked()?;
    let mut items: Vec<ItemSummary> = vault.items().map(summary).collect();
    items.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(items)
}
