//! Device logs (`logs/<device-id>.log`): append-only, one writer each.
//!
//! ```text
//! file   := magic "IDPLOG\0" version u8 | vault_id[16] | device_id[16] | frame*
//! frame  := len: u32 LE | !len: u32 LE | body[len]
//! body 1 := seq u64 | prev u64 | clock u64 | item_id[16] | op u8 | nonce[12] | sealed
//! body 2 := seq u64 | prev u64 | clock u64 | epoch u32 | item_id[16] | op u8 | nonce[12] | sealed
//! ```
//!
//! `sealed` is AES-256-GCM under the vault key of the record's epoch (1 in
//! a version 1 log) with every other body field, the vault id and the
//! device id as associated data, so a record cannot be moved to another
//! vault, log, place or item. `prev` is the previous record's sequence
//! number, so a record removed from the middle of a log is noticed. The
//! inverted length tells a flipped length (damage) from a frame cut short
//! by a crash (a torn tail).
//!
//! Parsing here checks structure only and never fails: it returns the
//! frames it could read and where (and why) it stopped. The reader that
//! holds the keys decides what is authentic.

use std::borrow::Cow;

use crate::crypto::{self, Cipher, NONCE_LEN};
use crate::error::{Result, VaultError};
use crate::ids::{DeviceId, ItemId, VaultId};

const MAGIC_PREFIX: &[u8; 7] = b"IDPLOG\x00";
/// The log format written now; version 1 logs are still read.
pub(crate) const VERSION: u8 = 2;
pub(crate) const FILE_HEADER_LEN: usize = 8 + 16 + 16;
/// Largest plaintext of one record (an item with its history).
pub const MAX_PLAINTEXT: usize = 1 << 20;
const AAD_DOMAIN_V1: &[u8] = b"idp-vault/v1/record";
const AAD_DOMAIN_V2: &[u8] = b"idp-vault/v2/record";
/// Largest log file read (a log is compacted long before).
pub(crate) const MAX_LOG_FILE: u64 = 256 << 20;

/// Body bytes before `sealed`.
const fn fixed_body(version: u8) -> usize {
    8 + 8 + 8 + 16 + 1 + NONCE_LEN + if version >= 2 { 4 } else { 0 }
}

const fn max_body(version: u8) -> usize {
    fixed_body(version) + MAX_PLAINTEXT + crypto::TAG_LEN
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Upsert,
    Tombstone,
}

/// A record as stored, still sealed; borrowed from the file's bytes when read.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord<'a> {
    /// The log format it is framed in (1 or 2).
    pub version: u8,
    pub seq: u64,
    pub prev: u64,
    pub clock: u64,
    /// The key epoch it is sealed under (always 1 in a version 1 log).
    pub epoch: u32,
    pub item: ItemId,
    pub op: Op,
    pub nonce: [u8; NONCE_LEN],
    pub sealed: Cow<'a, [u8]>,
    /// Byte offset of the frame in the file, for error messages.
    pub offset: usize,
}

impl RawRecord<'_> {
    pub(crate) fn aad(&self, vault: &VaultId, device: &DeviceId) -> Vec<u8> {
        let mut a = Vec::with_capacity(AAD_DOMAIN_V2.len() + 16 + 16 + 8 + 8 + 8 + 4 + 16 + 1);
        a.extend_from_slice(if self.version >= 2 {
            AAD_DOMAIN_V2
        } else {
            AAD_DOMAIN_V1
        });
        a.extend_from_slice(vault.as_bytes());
        a.extend_from_slice(device.as_bytes());
        a.extend_from_slice(&self.seq.to_le_bytes());
        a.extend_from_slice(&self.prev.to_le_bytes());
        a.extend_from_slice(&self.clock.to_le_bytes());
        if self.version >= 2 {
            a.extend_from_slice(&self.epoch.to_le_bytes());
        }
        a.extend_from_slice(self.item.as_bytes());
        a.push(op_byte(self.op));
        a
    }

    /// Seals `plaintext` into a new record in log format `version` (that of
    /// the vault's header: a version 1 vault keeps writing version 1 logs,
    /// which older readers understand, until its first re-key).
    #[allow(clippy::too_many_arguments)] // mirrors the record's fields one to one
    pub(crate) fn seal(
        cipher: &Cipher,
        version: u8,
        epoch: u32,
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
            version,
            seq,
            prev,
            clock,
            epoch,
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
        let len = (fixed_body(self.version) + self.sealed.len()) as u32;
        let mut f = Vec::with_capacity(8 + len as usize);
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(&(!len).to_le_bytes());
        f.extend_from_slice(&self.seq.to_le_bytes());
        f.extend_from_slice(&self.prev.to_le_bytes());
        f.extend_from_slice(&self.clock.to_le_bytes());
        if self.version >= 2 {
            f.extend_from_slice(&self.epoch.to_le_bytes());
        }
        f.extend_from_slice(self.item.as_bytes());
        f.push(op_byte(self.op));
        f.extend_from_slice(&self.nonce);
        f.extend_from_slice(&self.sealed);
        f
    }
}

/// The bytes a record's frame takes in its file.
pub(crate) fn frame_len(rec: &RawRecord) -> usize {
    8 + fixed_body(rec.version) + rec.sealed.len()
}

fn op_byte(op: Op) -> u8 {
    match op {
        Op::Upsert => 1,
        Op::Tombstone => 2,
    }
}

/// A log file's first 40 bytes, in format `version`.
pub(crate) fn file_header(
    version: u8,
    vault: &VaultId,
    device: &DeviceId,
) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..7].copy_from_slice(MAGIC_PREFIX);
    h[7] = version;
    h[8..24].copy_from_slice(vault.as_bytes());
    h[24..40].copy_from_slice(device.as_bytes());
    h
}

/// The format version a file's magic names, if it is a whole, known one.
pub(crate) fn magic_version(bytes: &[u8]) -> Option<u8> {
    if bytes.get(..7)? != MAGIC_PREFIX {
        return None;
    }
    bytes.get(7).copied().filter(|v| (1..=VERSION).contains(v))
}

/// The vault id a log file names in its header, if its magic is whole.
pub(crate) fn file_vault_id(bytes: &[u8]) -> Option<VaultId> {
    magic_version(bytes)?;
    let id: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
    Some(VaultId::from_bytes(id))
}

/// A log as read from disk: the frames that could be read, and where and
/// why reading stopped.
#[derive(Debug)]
pub(crate) struct ParsedLog<'a> {
    /// The format the frames were read in.
    pub version: u8,
    /// The file's first 40 bytes are exactly this vault's and device's log
    /// header in that format.
    pub header_ok: bool,
    pub records: Vec<RawRecord<'a>>,
    /// Length of the file up to the end of its last whole frame.
    pub valid_len: usize,
    /// Bytes after `valid_len` that form no whole frame (a crash mid-append).
    pub torn: bool,
    /// A frame that is damaged (not merely cut short): its offset and what
    /// is wrong. Nothing after it was read.
    pub damage: Option<(usize, &'static str)>,
}

/// Parses a log's frames. A file whose magic is damaged is read in each
/// known format, keeping the one that reads further; authenticity is for
/// the caller, which holds the keys, to check.
pub(crate) fn parse<'a>(bytes: &'a [u8], vault: &VaultId, device: &DeviceId) -> ParsedLog<'a> {
    let mut expected = file_header(VERSION, vault, device);
    let header_for = |version: u8, expected: &mut [u8; FILE_HEADER_LEN]| {
        expected[7] = version;
        bytes.get(..FILE_HEADER_LEN) == Some(&expected[..])
    };
    if bytes.len() < FILE_HEADER_LEN {
        // A log is created with its header in one durable write, so a short
        // file is one whose creation was cut short.
        return ParsedLog {
            version: VERSION,
            header_ok: false,
            records: Vec::new(),
            valid_len: 0,
            torn: !bytes.is_empty(),
            damage: None,
        };
    }
    if let Some(version) = magic_version(bytes) {
        let mut p = parse_frames(bytes, version);
        p.header_ok = header_for(version, &mut expected);
        return p;
    }
    let mut best: Option<ParsedLog> = None;
    for version in 1..=VERSION {
        let p = parse_frames(bytes, version);
        let better = best.as_ref().is_none_or(|b| {
            (p.damage.is_none(), p.records.len()) > (b.damage.is_none(), b.records.len())
        });
        if better {
            best = Some(p);
        }
    }
    let mut p = best.unwrap_or_else(|| parse_frames(bytes, VERSION));
    if p.records.is_empty() && p.damage.is_none() && !p.torn {
        p.damage = Some((0, "not an idp-vault log"));
    }
    p
}

fn parse_frames(bytes: &[u8], version: u8) -> ParsedLog<'_> {
    let fixed = fixed_body(version);
    let mut at = FILE_HEADER_LEN;
    let mut records = Vec::new();
    let (mut torn, mut damage) = (false, None);
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 8 {
            torn = true;
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let check = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if check != !len {
            damage = Some((at, "damaged record length"));
            break;
        }
        let len = len as usize;
        if !(fixed + crypto::TAG_LEN..=max_body(version)).contains(&len) {
            damage = Some((at, "record length out of range"));
            break;
        }
        if rest.len() < 8 + len {
            torn = true;
            break;
        }
        let body = &rest[8..8 + len];
        let mut r = crate::header::Reader { b: body, at: 0 };
        let (Some(seq), Some(prev), Some(clock)) = (r.u64(), r.u64(), r.u64()) else {
            damage = Some((at, "short record"));
            break;
        };
        let epoch = if version >= 2 { r.u32() } else { Some(1) };
        let (Some(epoch), Some(item), Some(op), Some(nonce)) =
            (epoch, r.array::<16>(), r.u8(), r.array::<NONCE_LEN>())
        else {
            damage = Some((at, "short record"));
            break;
        };
        let op = match op {
            1 => Op::Upsert,
            2 => Op::Tombstone,
            _ => {
                damage = Some((at, "unknown record kind"));
                break;
            }
        };
        records.push(RawRecord {
            version,
            seq,
            prev,
            clock,
            epoch,
            item: ItemId::from_bytes(item),
            op,
            nonce,
            sealed: Cow::Borrowed(&body[fixed..]),
            offset: at,
        });
        at += 8 + len;
    }
    ParsedLog {
        version,
        header_ok: false,
        records,
        valid_len: at.min(bytes.len()),
        torn,
        damage,
    }
}

/// The log folder's name in the vault folder.
pub(crate) const LOGS: &str = "logs";

/// A device's log file name.
pub(crate) fn log_name(device: &DeviceId) -> String {
    format!("{}.log", device.to_hex())
}
