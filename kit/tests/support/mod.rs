//! Shared helpers: sample kits, and the PDF edits that isolate each path.

pub mod pdf_surgery;

use std::time::{Duration, UNIX_EPOCH};

use idp_kit::KitInfo;
use idp_vault::{ClientKey, VaultId};

/// A random key and vault, owned so a `KitInfo` can borrow them.
pub struct Sample {
    pub key: ClientKey,
    pub vault_id: VaultId,
}

impl Sample {
    pub fn new() -> Self {
        Self {
            key: ClientKey::generate().expect("rng"),
            vault_id: VaultId::random().expect("rng"),
        }
    }

    pub fn info(&self) -> KitInfo<'_> {
        KitInfo {
            vault_name: "Personal",
            vault_id: self.vault_id,
            created: UNIX_EPOCH + Duration::from_secs(1_748_779_200),
            key: &self.key,
        }
    }
}

/// Peak resident memory of this process so far, in KiB.
pub fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM line")
}
