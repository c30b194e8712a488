//! `search`: items whose name, username, URL or tag contains the query.

use idp_proto::{ItemSummary, ProtoError};

use crate::convert::sorted_summaries;
use crate::state::AgentState;

pub fn run(st: &mut AgentState, query: &str) -> Result<Vec<ItemSummary>, ProtoError> {
    let vault = st.unlocked()?;
    Ok(sorted_summaries(vault.search(query).into_iter()))
}
