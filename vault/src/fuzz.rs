//! Entry points for fuzzers (`fuzz/`): every parser of bytes that may come
//! from another device, a sync tool or an attacker. Each must return, never
//! panic, whatever the input.

use std::path::Path;

use crate::crypto::Cipher;
use crate::header::Header;
use crate::ids::{DeviceId, ItemId, VaultId};
use crate::item::codec;
use crate::log;
use crate::secret::Key32;

/// A vault header file.
pub fn header(data: &[u8]) {
    let _ = Header::parse(data, Path::new("fuzz/vault.idp"));
}

/// A device log, with the vault and device ids taken from its own file
/// header so the fuzzer reaches the records; each record is then opened
/// with a fixed key (authentication fails unless the input was sealed with
/// it, which exercises the failure path on every record).
pub fn device_log(data: &[u8]) {
    if data.len() < log::FILE_HEADER_LEN {
        return;
    }
    let mut v = [0u8; 16];
    let mut d = [0u8; 16];
    v.copy_from_slice(&data[8..24]);
    d.copy_from_slice(&data[24..40]);
    let (vault, device) = (VaultId::from_bytes(v), DeviceId::from_bytes(d));
    let parsed = log::parse(data, &vault, &device);
    let cipher = Cipher::new(&Key32::init_with_mut(|k| k.fill(0x42)));
    for rec in &parsed.records {
        if let Ok(plain) = cipher.open(&rec.nonce, &rec.aad(&vault, &device), &rec.sealed) {
            let _ = codec::decode(rec.item, &plain);
        }
    }
}

/// An item's decrypted plaintext.
pub fn item(data: &[u8]) {
    let _ = codec::decode(ItemId::from_bytes([0; 16]), data);
}

/// An export file of another password manager; the first byte picks the format.
pub fn import(data: &[u8]) {
    use crate::interchange::{ImportFormat, parse};
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = match pick % 4 {
        0 => ImportFormat::BitwardenJson,
        1 => ImportFormat::Csv,
        2 => ImportFormat::KeepassXml,
        _ => ImportFormat::IdpJson,
    };
    let _ = parse(format, rest);
}

/// A typed or scanned client key.
pub fn client_key(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = crate::ClientKey::parse(s);
    }
}

/// A private key file given to `idp ssh import` (without a passphrase: the
/// KDF cost is the file's, and a person chose to import it).
pub fn ssh_key_file(data: &[u8]) {
    let _ = crate::ssh::is_encrypted(data);
    let _ = crate::ssh::import(data, None);
}

/// The body of an SSH agent `ADD_IDENTITY` message (key fields and comment),
/// and of a `session-bind@openssh.com` extension split in three.
pub fn ssh_agent_key(data: &[u8]) {
    let _ = crate::ssh::from_agent_wire(data);
    let third = data.len() / 3;
    let _ = crate::ssh::verify_session_bind(
        &data[..third],
        &data[third..2 * third],
        &data[2 * third..],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_survive_junk() {
        let mut state = 7u64;
        for len in [0usize, 1, 10, 39, 40, 41, 48, 120, 1000] {
            for _ in 0..200 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (state >> 33) as u8
                    })
                    .collect();
                header(&data);
                device_log(&data);
                item(&data);
                client_key(&data);
                import(&data);
                ssh_key_file(&data);
                ssh_agent_key(&data);
            }
        }
        // Cut-off copies of real key files and agent key bodies.
        let key = crate::ssh::generate(crate::ssh::SshKeyType::EcdsaP256, "c").expect("key");
        let file = key.private.expose().as_bytes();
        for cut in (0..file.len()).step_by(7) {
            ssh_key_file(&file[..cut]);
        }
        let mut log = log::file_header(
            log::VERSION,
            &VaultId::from_bytes([0; 16]),
            &DeviceId::from_bytes([0; 16]),
        )[..8]
            .to_vec();
        log.extend_from_slice(&[0; 32]);
        log.extend_from_slice(&[0xff; 8]);
        device_log(&log);
    }
}
