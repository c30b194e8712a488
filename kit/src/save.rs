//! Writing a kit file: a fresh random name, never over an existing file,
//! readable by its owner only, and durable before the path is returned.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::SaveError;
use crate::info::KitInfo;
use crate::naming::KitFormat;
use crate::{render_pdf, render_png};

/// Names tried before giving up. With 10⁵ PDF names a folder would need
/// tens of thousands of kits before this many random picks all collide.
const NAME_ATTEMPTS: usize = 64;

/// Renders the kit and writes it into `dir` under a new random name such as
/// `ID Protection client key 04217.pdf`. Never replaces a file: a taken name
/// makes it pick another number. The file is created 0600 (not following a
/// symlink), written, and synced with its folder before the path is returned.
pub fn save(dir: &Path, format: KitFormat, info: &KitInfo<'_>) -> Result<PathBuf, SaveError> {
    let bytes = Zeroizing::new(match format {
        KitFormat::Pdf => render_pdf(info)?,
        KitFormat::Png => render_png(info)?,
    });
    for _ in 0..NAME_ATTEMPTS {
        let path = dir.join(format.file_name(random_below(format.name_count(), dir)?));
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(SaveError::Io { path, source }),
        };
        if let Err(source) = write_durably(&mut file, &bytes, dir) {
            drop(file);
            // A half-written kit would later be read as "damaged": remove it.
            let _ = fs::remove_file(&path);
            return Err(SaveError::Io { path, source });
        }
        return Ok(path);
    }
    Err(SaveError::NoFreeName {
        dir: dir.to_path_buf(),
    })
}

fn write_durably(file: &mut File, bytes: &[u8], dir: &Path) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()?;
    // The new directory entry is durable only once the folder is synced.
    File::open(dir)?.sync_all()
}

fn random_below(n: u32, dir: &Path) -> Result<u32, SaveError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| SaveError::Io {
        path: dir.to_path_buf(),
        source: io::Error::other(e.to_string()),
    })?;
    // 64 random bits reduced mod n < 2^24: the bias is below 2^-40.
    Ok((u64::from_le_bytes(b) % u64::from(n)) as u32)
}
