//! `get`: one item with its secrets.

use idp_proto::{ItemData, ProtoError};

use crate::convert::data;
use crate::state::{AgentState, resolve};

pub fn run(st: &mut AgentState, name: &str) -> Result<ItemData, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    vault
        .get(&id)
        .map(data)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })
}
