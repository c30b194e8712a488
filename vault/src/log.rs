//! Device logs (`logs/<device-id>.log`): append-only, one writer each.
//!
//! ```text
//! file   := magic "IDPLOG\0\x01" | vault_id[16] | device_id[16] | frame*
//! frame  := len: u32 LE | !len: u32 LE | body[len]
//! body   := seq u64 | prev u64 | clock u64 | item_id[16] | op u8 | nonce[12] | sealed
//! ```
//!
//! `sealed` is AES-256-GCM under the vault key with the associated data
//! `"idp-vault/v1/record" | vault_id | device_id | seq | prev | clock | item_id | op`,
//! so a record cannot be moved to another vault, log, place or item. `prev`
//! is the previous record's sequence number, so a record removed from the
//! middle of a log is noticed. The inverted length tells a flipped length
//! (corruption) from a frame cut short by a crash (a torn tail).

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::crypto::{self, Cipher, NONCE_LEN};
use crate::error::{Result, VaultError};
use crate::ids::{DeviceId, ItemId, VaultId};

pub(crate) const MAGIC: &[u8; 8] = b"IDPLOG\x00\x01";
pub(crate) const FILE_HEADER_LEN: usize = 8 + 16 + 16;
const FIXED_BODY: usize = 8 + 8 + 8 + 16 + 1 + NONCE_LEN;
/// Largest plaintext of one record (an item with its history).
pub const MAX_PLAINTEXT: usize = 1 << 20;
const MAX_BODY: usize = FIXED_BODY + MAX_PLAINTEXT + crypto::TAG_LEN;
const AAD_DOMAIN: &[u8] = b"idp-vault/v1/record";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Upsert,
    Tombstone,
}

const AAD_LEN: usize = AAD_DOMAIN.len() + 16 + 16 + 8 + 8 + 8 + 16 + 1;

/// A record as stored, still sealed; borrowed from the file's bytes when read.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord<'a> {
    pub seq: u64,
    pub prev: u64,
    pub clock: u64,
    pub item: ItemId,
    pub op: Op,
    pub nonce: [u8; NONCE_LEN],
    pub sealed: Cow<'a, [u8]>,
    /// Byte offset of the frame in the file, for error messages.
    pub offset: usize,
}

impl RawRecord<'_> {
    pub(crate) fn aad(&self, vault: &VaultId, device: &DeviceId) -> [u8; AAD_LEN] {
        let mut a = [0u8; AAD_LEN];
        let parts: [&[u8]; 8] = [
            AAD_DOMAIN,
            vault.as_bytes(),
            device.as_bytes(),
            &self.seq.to_le_bytes(),
            &self.prev.to_le_bytes(),
            &self.clock.to_le_bytes(),
            self.item.as_bytes(),
            &[match self.op {
                Op::Upsert => 1,
                Op::Tombstone => 2,
            }],
        ];
        let mut at = 0;
        for p in parts {
            a[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        a
    }

    /// Seals `plaintext` into a new record.
    #[allow(clippy::too_many_arguments)] // mirrors the record's fields one to one
    pub(crate) fn seal(
        cipher: &Cipher,
        vault: &VaultId,
        device: &DeviceId,
        seq: u64,
        prev: u64,
        clock: u64,
        item: ItemId,
        op: Op,
        plaintext: &[u8],
    ) -> Result<RawRecord<'static>> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(VaultError::ItemTooLarge {
                size: plaintext.len(),
                max: MAX_PLAINTEXT,
            });
        }
        let mut rec = RawRecord {
            seq,
            prev,
            clock,
            item,
            op,
            nonce: crypto::random_nonce()?,
            sealed: Cow::Borrowed(&[]),
            offset: 0,
        };
        rec.sealed = Cow::Owned(cipher.seal(&rec.nonce, &rec.aad(vault, device), plaintext));
        Ok(rec)
    }

    pub(crate) fn frame(&self) -> Vec<u8> {
        let len = (FIXED_BODY + self.sealed.len()) as u32;
        let mut f = Vec::with_capacity(8 + len as usize);
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(&(!len).to_le_bytes());
        f.extend_from_slice(&self.seq.to_le_bytes());
        f.extend_from_slice(&self.prev.to_le_bytes());
        f.extend_from_slice(&self.clock.to_le_bytes());
        f.extend_from_slice(self.item.as_bytes());
        f.push(match self.op {
            Op::Upsert => 1,
            Op::Tombstone => 2,
        });
        f.extend_from_slice(&self.nonce);
        f.extend_from_slice(&self.sealed);
        f
    }
}

pub(crate) fn file_header(vault: &VaultId, device: &DeviceId) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..24].copy_from_slice(vault.as_bytes());
    h[24..40].copy_from_slice(device.as_bytes());
    h
}

/// A log as read from disk: its records in order, and how much of the file
/// holds whole frames.
#[derive(Debug)]
pub(crate) struct ParsedLog<'a> {
    pub records: Vec<RawRecord<'a>>,
    /// Length of the file up to the end of its last whole frame.
    pub valid_len: usize,
    /// Bytes after `valid_len` that form no whole frame (a crash mid-append).
    pub torn: bool,
}

/// Parses a log's frames. Authenticity is checked later, by the caller that
/// holds the key; this checks structure, lengths and the sequence chain.
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    path: &Path,
    vault: &VaultId,
    device: &DeviceId,
) -> Result<ParsedLog<'a>> {
    let corrupt =
        |offset: usize, what: &str| VaultError::corrupt(path, format!("{what} at byte {offset}"));
    if bytes.len() < FILE_HEADER_LEN {
        // A log is created with its header in one durable write, so a short
        // file is one whose creation was cut short.
        return Ok(ParsedLog {
            records: Vec::new(),
            valid_len: 0,
            torn: !bytes.is_empty(),
        });
    }
    if &bytes[..8] != MAGIC {
        return Err(corrupt(0, "not an idp-vault log"));
    }
    if &bytes[8..24] != vault.as_bytes() {
        return Err(VaultError::corrupt(
            path,
            "this log belongs to another vault (left over from before a reset?): move it out of the vault folder",
        ));
    }
    if &bytes[24..40] != device.as_bytes() {
        return Err(corrupt(24, "log's device id does not match its file name"));
    }
    let mut at = FILE_HEADER_LEN;
    let mut records = Vec::new();
    let mut last_seq = 0u64;
    let mut torn = false;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            torn = true;
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let check = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if check != !len {
            return Err(corrupt(at, "damaged record length"));
        }
        let len = len as usize;
        if !(FIXED_BODY + crypto::TAG_LEN..=MAX_BODY).contains(&len) {
            return Err(corrupt(at, "record length out of range"));
        }
        if rest.len() < 8 + len {
            torn = true;
            break;
        }
        let body = &rest[8..8 + len];
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let mut item = [0u8; 16];
        item.copy_from_slice(&body[24..40]);
        let op = match body[40] {
            1 => Op::Upsert,
            2 => Op::Tombstone,
            _ => return Err(corrupt(at, "unknown record kind")),
        };
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&body[41..41 + NONCE_LEN]);
        let rec = RawRecord {
            seq: u64_at(0),
            prev: u64_at(8),
            clock: u64_at(16),
            item: ItemId::from_bytes(item),
            op,
            nonce,
            sealed: Cow::Borrowed(&body[FIXED_BODY..]),
            offset: at,
        };
        if rec.seq <= last_seq || rec.prev != last_seq {
            return Err(corrupt(
                at,
                "record out of sequence (a record is missing or was moved)",
            ));
        }
        last_seq = rec.seq;
        records.push(rec);
        at += 8 + len;
    }
    Ok(ParsedLog {
        records,
        valid_len: at.min(bytes.len()),
        torn,
    })
}

pub(crate) fn logs_dir(vault_dir: &Path) -> PathBuf {
    vault_dir.join("logs")
}

pub(crate) fn log_path(vault_dir: &Path, device: &DeviceId) -> PathBuf {
    logs_dir(vault_dir).join(format!("{}.log", device.to_hex()))
}

pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| VaultError::io(dir, e))
}

/// This device's log, open for appending and locked against a second writer.
#[derive(Debug)]
pub(crate) struct OwnLog {
    file: File,
    path: PathBuf,
    len: u64,
}

impl OwnLog {
    /// Opens (creating if needed) and locks this device's log. Call
    /// [`OwnLog::prepare`] once the log has been read.
    pub(crate) fn open_locked(vault_dir: &Path, device: &DeviceId) -> Result<OwnLog> {
        let dir = logs_dir(vault_dir);
        let path = log_path(vault_dir, device);
        fs::create_dir_all(&dir).map_err(|e| VaultError::io(&dir, e))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| VaultError::io(&path, e))?;
        if file.try_lock().is_err() {
            return Err(VaultError::LogBusy { path });
        }
        Ok(OwnLog { file, path, len: 0 })
    }

    /// Makes the log ready for appends: writes its header durably if it is
    /// new (or its creation was cut short), and cuts off a torn tail left by
    /// a crash so the next append starts on a frame boundary.
    pub(crate) fn prepare(
        &mut self,
        vault: &VaultId,
        device: &DeviceId,
        valid_len: usize,
    ) -> Result<()> {
        let path = self.path.clone();
        let io = |e| VaultError::io(&path, e);
        let on_disk = self.file.metadata().map_err(io)?.len();
        if valid_len < FILE_HEADER_LEN {
            self.file.set_len(0).map_err(io)?;
            self.file
                .write_all(&file_header(vault, device))
                .map_err(io)?;
            self.file.sync_all().map_err(io)?;
            self.len = FILE_HEADER_LEN as u64;
            if let Some(dir) = self.path.parent() {
                fsync_dir(dir)?;
            }
        } else {
            self.len = valid_len as u64;
            if on_disk != self.len {
                self.file.set_len(self.len).map_err(io)?;
                self.file.sync_all().map_err(io)?;
                tracing::warn!(path = %self.path.display(), kept = self.len, "cut a torn record off the end of this device's log");
            }
        }
        Ok(())
    }

    /// Appends one frame and returns once it is on disk. On failure (a full
    /// disk) the file is cut back to where it was, so nothing half-written
    /// stays behind.
    pub(crate) fn append(&mut self, frame: &[u8]) -> Result<()> {
        let res = self
            .file
            .write_all(frame)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            let _ = self.file.set_len(self.len);
            let _ = self.file.sync_data();
            return Err(VaultError::io(&self.path, e));
        }
        self.len += frame.len() as u64;
        Ok(())
    }

    /// Wraps a file already locked and positioned for appends.
    pub(crate) fn from_locked(file: File, path: PathBuf, len: u64) -> OwnLog {
        OwnLog { file, path, len }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
