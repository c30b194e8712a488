//! `status`: the state, the vault's public header, time to auto-lock, and
//! what the key cache holds (as last looked up: no keyring call here).
//! Usually answered from the published [`Snapshot`]; this is what builds
//! it, and the answer when the vault thread itself replies with a status.

use std::time::Instant;

use idp_proto::{ProtoError, State, Status};

use crate::convert::vault_summary;
use crate::keyring::Known;
use crate::snapshot::Snapshot;
use crate::state::{AgentState, Vault};

pub fn run(st: &mut AgentState) -> Result<Status, ProtoError> {
    st.notice_vault();
    Ok(snapshot(st).status(Instant::now()))
}

pub fn snapshot(st: &AgentState) -> Snapshot {
    let info = match &st.vault {
        Vault::None => None,
        Vault::Locked(v) => Some(v.info()),
        Vault::Unlocked(v) => Some(v.info()),
    };
    let known = match &info {
        Some(i) => st.key_view.about(&i.vault_id).clone(),
        None => Known::Unchecked,
    };
    let key_known = known == Known::Current;
    let state = match &st.vault {
        Vault::None if st.damaged.is_some() => State::Damaged,
        Vault::None => State::NoVault,
        Vault::Locked(_) => State::Locked { key_known },
        Vault::Unlocked(_) => State::Unlocked,
    };
    let key_note = match known {
        Known::Stale => Some(
            "the key cached on this device was replaced (rotated) elsewhere: import the new \
             kit (`idp key import FILE`, or drop it into Downloads) or type the new key at \
             `idp unlock`"
                .to_owned(),
        ),
        Known::Failed(why) => Some(format!("the key cache failed: {why}")),
        Known::Current => st
            .key_view
            .kit
            .as_ref()
            .map(|k| format!("emergency kit found in {k}: unlock with your password")),
        Known::Absent | Known::Unchecked => None,
    };
    let status = Status {
        state,
        generation: st.generation(),
        vault_dir: st.vault_dir.display().to_string(),
        vault: info.as_ref().map(vault_summary),
        items: matches!(st.vault, Vault::Unlocked(_)).then_some(st.item_count),
        idle_lock_in: None,
        max_lock_in: None,
        retry_after: None,
        key_known,
        key_cache: st.key_view.cache.clone(),
        key_note,
        notices: st.notices.clone(),
    };
    Snapshot {
        status,
        lock_at: st.timers.due(),
        retry_at: st.throttle.not_before(),
    }
}
