//! `vault_info`: the vault's public header, each device's log, what sync
//! tools left in the folder, and the notices. Walks the folder (a few
//! `stat` calls) on the actor thread.

use idp_proto::{DeviceInfo, ProtoError, VaultDetails};

use crate::convert::{vault_error, vault_summary};
use crate::state::AgentState;

pub fn run(st: &mut AgentState) -> Result<VaultDetails, ProtoError> {
    let vault = st.unlocked()?;
    let info = vault.info();
    let folder = vault.folder_report().map_err(vault_error)?;
    let paths = |v: Vec<std::path::PathBuf>| {
        v.into_iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    Ok(VaultDetails {
        vault_dir: st.vault_dir.display().to_string(),
        vault: vault_summary(&info),
        key_created: info.key_created_ms,
        retired_keys: info
            .retired_keys
            .iter()
            .map(|r| (r.fingerprint.short(), r.retired_ms))
            .collect(),
        devices: folder
            .devices
            .into_iter()
            .map(|d| DeviceInfo {
                device_id: d.device.to_hex(),
                this_device: d.this_device,
                records: d.records,
                last_write: d.modified_ms,
            })
            .collect(),
        conflict_copies: paths(folder.conflict_copies),
        temp_files: paths(folder.temp_files),
        other_files: paths(folder.other_files),
        notices: st.notices.clone(),
    })
}
