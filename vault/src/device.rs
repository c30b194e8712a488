//! This device: its id (made once, kept outside the vault folder) and what
//! it has seen of each vault: the highest sequence number of each device's
//! log (`heads-<vault>`) and the last header it authenticated
//! (`header-<vault>`), so that a rollback of either is noticed.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Result, VaultError};
use crate::header::Header;
use crate::ids::{DeviceId, VaultId};

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

    /// Saves `heads`. With `durable` false the file is replaced atomically
    /// but not fsynced: after a power loss it may be one write behind,
    /// which only narrows what a rollback check can see.
    pub(crate) fn save_heads(
        &self,
        vault: &VaultId,
        heads: &BTreeMap<DeviceId, u64>,
        durable: bool,
    ) -> Result<()> {
        let mut text = String::with_capacity(heads.len() * 56);
        for (d, s) in heads {
            text.push_str(&format!("{d} {s}\n"));
        }
        write_file(&self.heads_path(vault), text.as_bytes(), durable)
    }

    fn header_path(&self, vault: &VaultId) -> PathBuf {
        self.state_dir.join(format!("header-{vault}"))
    }

    /// The last header of `vault` this device authenticated.
    pub(crate) fn verified_header(&self, vault: &VaultId) -> Option<Header> {
        let path = self.header_path(vault);
        let bytes = fs::read(&path).ok()?;
        match Header::parse(&bytes, &path) {
            Ok(h) if h.vault_id == *vault => Some(h),
            _ => {
                tracing::warn!(path = %path.display(), "this device's copy of the vault header does not parse; ignored");
                None
            }
        }
    }

    /// Remembers `header` as authenticated (and its vault as the last one
    /// this device opened).
    pub(crate) fn save_verified_header(&self, header: &Header) -> Result<()> {
        let bytes = header.encode();
        let path = self.header_path(&header.vault_id);
        if fs::read(&path).is_ok_and(|b| b == bytes) {
            return Ok(());
        }
        write_atomic(&path, &bytes)?;
        write_atomic(
            &self.state_dir.join("last-vault"),
            format!("{}\n", header.vault_id).as_bytes(),
        )
    }

    /// Takes the lock that makes this process the one writer of `vault` on
    /// this device (released when the file is dropped).
    pub(crate) fn lock_writer(&self, vault: &VaultId) -> Result<fs::File> {
        let path = self.state_dir.join(format!("writer-{vault}.lock"));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| VaultError::io(&path, e))?;
        if file.try_lock().is_err() {
            return Err(VaultError::LogBusy { path });
        }
        Ok(file)
    }

    /// The vault this device last authenticated a header of.
    pub(crate) fn last_vault_id(&self) -> Option<VaultId> {
        fs::read_to_string(self.state_dir.join("last-vault"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Writes `path` by temp file, fsync, rename and folder fsync, mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file(path, bytes, true)
}

/// Writes `path` by temp file and rename, mode 0600; fsynced if `durable`.
fn write_file(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
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
    let res = f
        .write_all(bytes)
        .and_then(|()| if durable { f.sync_all() } else { Ok(()) });
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(VaultError::io(path, e));
    }
    if durable {
        fsync_dir(dir)?;
    }
    Ok(())
}

fn fsync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| VaultError::io(dir, e))
}
