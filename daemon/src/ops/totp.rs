//! `totp`: the current code. The seed never leaves the agent.

use std::time::{SystemTime, UNIX_EPOCH};

use idp_proto::{ProtoError, Secret, TotpCode};
use idp_vault::totp::Totp;

use crate::convert::to_wire;
use crate::state::{AgentState, resolve};

/// Refuses a seed that could never make a code, before it is stored.
pub fn check_seed(seed: Option<&Secret>) -> Result<(), ProtoError> {
    match seed {
        Some(s) if !s.is_empty() => {
            Totp::parse(s.expose())
                .map(drop)
                .map_err(|e| ProtoError::Invalid {
                    reason: e.to_string(),
                })
        }
        _ => Ok(()),
    }
}

pub fn run(st: &mut AgentState, name: &str) -> Result<TotpCode, ProtoError> {
    let vault = st.unlocked()?;
    let id = resolve(vault, name)?;
    let item = vault
        .get(&id)
        .ok_or_else(|| ProtoError::NotFound { name: name.into() })?;
    let seed = item.totp.as_ref().ok_or_else(|| ProtoError::Invalid {
        reason: format!("{name:?} has no TOTP secret: add one with `idp edit {name} --totp-stdin`"),
    })?;
    let totp = Totp::parse(seed.expose()).map_err(|e| ProtoError::Invalid {
        reason: e.to_string(),
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(TotpCode {
        code: to_wire(&totp.code_at(now)),
        valid_for: totp.remaining_at(now),
    })
}
