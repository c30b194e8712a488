//! `status`: the state, the vault's public header, time to auto-lock.

use std::time::Instant;

use idp_proto::{ProtoError, State, Status};
use idp_vault::KeyMatch;

use crate::convert::vault_summary;
use crate::state::{AgentState, Vault};

pub fn run(st: &mut AgentState) -> Result<Status, ProtoError> {
    st.notice_vault();
    let now = Instant::now();
    let (state, vault, items) = match &st.vault {
        Vault::None => (State::NoVault, None, None),
        Vault::Locked(v) => {
            let info = v.info();
            // A cached key that another device replaced (rotated) is no
            // use: the person needs the new kit.
            let key_known = st
                .keys
                .load(&info.vault_id)
                .is_some_and(|k| matches!(v.check_key(&k), KeyMatch::Current));
            (
                State::Locked { key_known },
                Some(vault_summary(&info)),
                None,
            )
        }
        Vault::Unlocked(v) => (
            State::Unlocked,
            Some(vault_summary(&v.info())),
            Some(st.item_count),
        ),
    };
    let left = st.timers.left(now);
    Ok(Status {
        state,
        generation: st.generation(),
        vault_dir: st.vault_dir.display().to_string(),
        vault,
        items,
        idle_lock_in: left.map(|(idle, _)| idle.as_secs()),
        max_lock_in: left.map(|(_, max)| max.as_secs()),
        retry_after: st.throttle.retry_after(now),
        notices: st.notices.clone(),
    })
}
