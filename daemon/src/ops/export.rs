//! `export_begin` and `export_read`: a plaintext export, handed out in
//! pieces because a frame is capped. The password is checked again first
//! (a full key derivation, throttled like `unlock`), as for the emergency
//! kit. The prepared text is wiped when its end is read, on the next
//! `export_begin`, and on lock.

use idp_proto::{EXPORT_CHUNK, ProtoError, Secret};
use idp_vault::interchange::ExportFormat;

use crate::convert::from_wire;
use crate::state::AgentState;

pub fn begin(st: &mut AgentState, password: &Secret, format: &str) -> Result<u64, ProtoError> {
    let format: ExportFormat = format
        .parse()
        .map_err(|reason| ProtoError::Invalid { reason })?;
    st.export = None;
    super::password_checked(st, "export", |v| v.verify_password(&from_wire(password)))?;
    let text = format.export(st.unlocked()?.items());
    let len = text.len() as u64;
    tracing::warn!(items = st.item_count, "plaintext export handed out");
    st.export = Some(text);
    Ok(len)
}

pub fn read(st: &mut AgentState, offset: u64) -> Result<Secret, ProtoError> {
    st.unlocked()?;
    let none = || ProtoError::Invalid {
        reason: "no export in progress: start again".into(),
    };
    let text = st.export.as_ref().ok_or_else(none)?.expose();
    let start = usize::try_from(offset).map_err(|_| none())?;
    if start > text.len() || !text.is_char_boundary(start) {
        return Err(ProtoError::Invalid {
            reason: format!("offset {offset} is not a place in the export"),
        });
    }
    let mut end = (start + EXPORT_CHUNK).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let piece = Secret::new(&text[start..end]);
    if end == text.len() {
        st.export = None;
    }
    Ok(piece)
}
