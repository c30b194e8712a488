//! `lock`: wipes every secret.

use idp_proto::{ProtoError, Status};

use crate::state::AgentState;
use crate::timeout::LockReason;

pub fn run(st: &mut AgentState) -> Result<Status, ProtoError> {
    st.lock(LockReason::Asked);
    super::status::run(st)
}
