//! This device: its id (made once, kept outside the vault folder) and what
//! it has seen of each vault, for rollback warnings.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Result, VaultError};
use crate::ids::{DeviceId, VaultId};
use crate::log::fsync_dir;

/// A device: an id and a private state folder (e.g. `$XDG_STATE_HOME/idp`).
#[derive(Debug, Clone)]
pub struct Device {
    id: DeviceId,
    state_dir: PathBuf,
}

impl Device {
    /// Reads `device-id` in `state_dir`, making the folder (0700) and a new
    /// id the first time.
    pub fn load_or_create(state_dir: &Path) -> Result<Device> {
        let path = state_dir.join("device-id");
        match fs::read_to_string(&path) {
            Ok(s) => {
                let id = s.trim().parse().map_err(|_| {
                    VaultError::corrupt(&path, "not a device id; delete it to make a new one")
                })?;
                return Ok(Device {
                    id,
                    state_dir: state_dir.to_path_buf(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io(&path, e)),
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|e| VaultError::io(state_dir, e))?;
        let id = DeviceId::random()?;
        write_atomic(&path, format!("{id}\n").as_bytes())?;
        Ok(Device {
            id,
            state_dir: state_dir.to_path_buf(),
        })
    }

    pub fn id(&self) -> DeviceId {
        self.id
    }

    fn heads_path(&self, vault: &VaultId) -> PathBuf {
        self.state_dir.join(format!("heads-{vault}"))
    }

    /// The highest sequence number seen in each device's log of `vault`.
    pub(crate) fn load_heads(&self, vault: &VaultId) -> BTreeMap<crate::DeviceId, u64> {
        let Ok(text) = fs::read_to_string(self.heads_path(vault)) else {
            return BTreeMap::new();
        };
        text.lines()
            .filter_map(|l| {
                let (d, s) = l.split_once(' ')?;
                Some((d.parse().ok()?, s.parse().ok()?))
            })
            .collect()
    }

    pub(crate) fn save_heads(
        &self,
        vault: &VaultId,
        heads: &BTreeMap<DeviceId, u64>,
    ) -> Result<()> {
        let mut text = String::with_capacity(heads.len() * 56);
        for (d, s) in heads {
            text.push_str(&format!("{d} {s}\n"));
        }
        write_atomic(&self.heads_path(vault), text.as_bytes())
    }
}

/// Writes `path` by temp file, fsync, rename and folder fsync, mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix)?;
    let tmp = dir.join(format!(
        ".{name}.tmp-{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ));
    let io = |e| VaultError::io(&tmp, e);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    let res = f.write_all(bytes).and_then(|()| f.sync_all());
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(VaultError::io(path, e));
    }
    fsync_dir(dir)
}
