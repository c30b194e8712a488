//! `list`: every item, by name, without secrets.

use idp_proto::{ItemSummary, ProtoError};

use crate::convert::sorted_summaries;
use crate::state::AgentState;

pub fn run(st: &mut AgentState) -> Result<Vec<ItemSummary>, ProtoError> {
    let vault = st.unlocked()?;
    Ok(sorted_summaries(vault.items()))
}
