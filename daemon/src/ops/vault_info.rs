//! `vault_info`: the vault's public header, each device's log, what sync
//! tools left in the folder, and the notices; locked or unlocked. Walks the
//! folder (a few `stat` calls; while locked, it also reads each log to
//! count its writes) on the actor thread.

use idp_proto::{DeviceInfo, ProtoError, VaultDetails};

use crate::convert::{vault_error, vault_summary};
use crate::state::{AgentState, Vault};

pub fn run(st: &mut AgentState) -> Result<VaultDetails, ProtoError> {
    st.notice_vault();
    let (info, folder) = match &st.vault {
        Vault::Unlocked(v) => (v.info(), v.folder_report()),
        Vault::Locked(v) => (v.info(), v.folder_report(st.device.id())),
        Vault::None => {
            return Err(st.no_vault());
        }
    };
    let folder = folder.map_err(vault_error)?;
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
        quarantined: paths(folder.quarantined),
        notices: st.notices.clone(),
    })
}
