//! `search`: items whose name, username, URL or tag contains the query.

use idp_proto::{ItemSummary, ProtoError};

use crate::convert::summary;
use crate::state::AgentState;

pub fn run(st: &mut AgentState, query: &str) -> Result<Vec<ItemSummary>, ProtoError> {
    let vault = st.unlocked()?;
    let mut items: Vec<ItemSummary> = vault.search(query).into_iter().map(summary).collect();
    items.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(items)
}
