//! `history`: earlier values of an item's secret fields, newest first.

use idp_proto::{HistoryRecord, ProtoError};

use crate::convert::to_wire;
use crate::state::{AgentState, resolve};

pub fn run(st: &mut AgentState, name: &str) -> Result<Vec<HistoryRecord>, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    let item = vault
        .get(&id)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })?;
    let mut records: Vec<HistoryRecord> = item
        .history
        .iter()
        .map(|h| HistoryRecord {
            field: h.field.as_str().to_owned(),
            value: to_wire(&h.value),
            replaced: h.replaced_ms,
        })
        .collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.replaced));
    Ok(records)
}
