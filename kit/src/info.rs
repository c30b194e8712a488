//! What a kit shows: the input of both renderers.

use std::time::{SystemTime, UNIX_EPOCH};

use idp_vault::date::civil_from_days;
use idp_vault::{ClientKey, VaultId};
use zeroize::Zeroizing;

/// Longest vault name shown on a kit, in characters; longer names are cut
/// with an ellipsis so the layout holds.
pub const MAX_SHOWN_NAME: usize = 40;

/// Everything a kit shows. It borrows the key: nothing secret outlives the
/// call that renders it, except the rendered bytes the caller asked for.
#[derive(Debug, Clone, Copy)]
pub struct KitInfo<'a> {
    /// The vault's name as the person knows it.
    pub vault_name: &'a str,
    pub vault_id: VaultId,
    /// When the vault (or its current key) was created; shown as a UTC date.
    pub created: SystemTime,
    pub key: &'a ClientKey,
}

impl KitInfo<'_> {
    /// The check line: the key's short fingerprint, which `idp vault info`
    /// shows too, so a person can tell whether a kit belongs to a vault.
    pub fn check(&self) -> String {
        self.key.fingerprint(&self.vault_id).short()
    }

    /// The key's six groups, wiped when dropped.
    pub(crate) fn key_groups(&self) -> Zeroizing<Vec<String>> {
        let grouped = self.key.expose_grouped();
        Zeroizing::new(grouped.expose().split('-').map(str::to_owned).collect())
    }

    /// The creation date as `YYYY-MM-DD`, in UTC.
    pub fn created_date(&self) -> String {
        let secs = match self.created.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs(),
            Err(_) => 0,
        };
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// The vault name with control characters removed, cut to
    /// [`MAX_SHOWN_NAME`] characters.
    pub(crate) fn shown_name(&self) -> String {
        let clean: String = self
            .vault_name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let clean = clean.trim();
        if clean.chars().count() > MAX_SHOWN_NAME {
            let mut cut: String = clean.chars().take(MAX_SHOWN_NAME - 1).collect();
            cut.push('…');
            cut
        } else {
            clean.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_utc_calendar_days() {
        let key = ClientKey::generate().expect("rng");
        let info = KitInfo {
            vault_name: "x",
            vault_id: VaultId::from_bytes([0; 16]),
            created: UNIX_EPOCH + Duration::from_secs(1_748_779_200),
            key: &key,
        };
        assert_eq!(info.created_date(), "2025-06-01");
    }

    #[test]
    fn shown_names_are_cleaned_and_cut() {
        let key = ClientKey::generate().expect("rng");
        let mut info = KitInfo {
            vault_name: " Home\n\tvault ",
            vault_id: VaultId::from_bytes([0; 16]),
            created: UNIX_EPOCH,
            key: &key,
        };
        assert_eq!(info.shown_name(), "Home  vault");
        let long = "n".repeat(100);
        info.vault_name = &long;
        assert_eq!(info.shown_name().chars().count(), MAX_SHOWN_NAME);
    }
}
