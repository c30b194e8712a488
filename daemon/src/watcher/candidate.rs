//! Which files in Downloads may be kits, and when one is ready to read.
//!
//! Pure logic, tested without a file system: the watcher feeds it file
//! names and `lstat` observations.
//!
//! A file is a candidate when it sits directly in the folder and its name
//! is a kit name (see `idp_kit::name_kind`), or will become one once a
//! browser finishes (`NAME.part` from Firefox, `NAME.crdownload` from
//! Chromium). A candidate is read once two observations, [`SETTLE`] apart,
//! find the same regular, non-empty file of at most [`MAX_LEN`] bytes
//! (same inode, size and modification time); an empty file is a download
//! that has not started (Firefox creates the final name empty first), and
//! the next event on it brings it back. A file already read with the same
//! observation is not read again, whatever came of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Time between the two observations that must agree.
pub const SETTLE: Duration = Duration::from_millis(100);

/// Larger files are not kits (the kit reader's own cap is the same).
pub const MAX_LEN: u64 = 20 * 1024 * 1024;

const PARTIAL: [&str; 2] = [".part", ".crdownload"];

/// The kit file that `path` is or will become, when `path` is directly
/// inside `dir`.
pub fn kit_path(dir: &Path, path: &Path) -> Option<PathBuf> {
    if path.parent() != Some(dir) {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let final_name = PARTIAL
        .iter()
        .find_map(|suffix| {
            lower
                .ends_with(suffix)
                .then(|| &name[..name.len() - suffix.len()])
        })
        .unwrap_or(name);
    idp_kit::name_kind(final_name)?;
    Some(dir.join(final_name))
}

/// What `lstat` found at a candidate's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A regular file with this identity.
    File(Identity),
    /// Nothing there (yet, or any more).
    Missing,
    /// A regular file of zero bytes.
    Empty,
    /// A symlink, FIFO, device, socket or folder: never opened.
    NotRegular,
    /// A regular file over [`MAX_LEN`].
    TooLarge,
}

/// What tells one version of a file from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub inode: u64,
    pub len: u64,
    pub modified: SystemTime,
}

/// What to do with a candidate after an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Look again after [`SETTLE`].
    Again,
    /// Stable: read it now.
    Read(Identity),
    /// Forget it until the next event on its path.
    Drop,
    /// Forget it and say why once.
    Refuse(&'static str),
}

/// Decides from the previous and the current observation of a candidate,
/// and the identity it had when it was last read.
pub fn next(previous: Option<Seen>, now: Seen, last_read: Option<Identity>) -> Next {
    match now {
        Seen::Missing | Seen::Empty => Next::Drop,
        Seen::NotRegular => Next::Refuse("not a regular file"),
        Seen::TooLarge => Next::Refuse("too large to be a kit"),
        Seen::File(id) if last_read == Some(id) => Next::Drop,
        Seen::File(id) if previous == Some(now) => Next::Read(id),
        Seen::File(_) => Next::Again,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(len: u64, secs: u64) -> Identity {
        Identity {
            inode: 7,
            len,
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        }
    }

    #[test]
    fn kit_names_and_downloads_in_progress_are_candidates() {
        let dir = Path::new("/home/ann/Downloads");
        let pdf = dir.join("ID Protection client key 12345.pdf");
        assert_eq!(kit_path(dir, &pdf), Some(pdf.clone()));
        assert_eq!(
            kit_path(dir, &dir.join("ID Protection client key 12345.pdf.part")),
            Some(pdf.clone())
        );
        assert_eq!(
            kit_path(
                dir,
                &dir.join("ID Protection client key 12345.pdf.CRDOWNLOAD")
            ),
            Some(pdf)
        );
        let png = dir.join("IDP_CLIENT_KEY_EMERGENCY_KIT1234567 (1).png");
        assert_eq!(kit_path(dir, &png), Some(png.clone()));
    }

    #[test]
    fn other_files_and_deeper_files_are_not() {
        let dir = Path::new("/home/ann/Downloads");
        for name in [
            "holiday.png",
            "ID Protection client key 1234.pdf",
            ".part",
            "x.crdownload",
        ] {
            assert_eq!(kit_path(dir, &dir.join(name)), None, "{name}");
        }
        let deeper = dir.join("sub/ID Protection client key 12345.pdf");
        assert_eq!(kit_path(dir, &deeper), None);
        assert_eq!(kit_path(dir, dir), None);
    }

    #[test]
    fn a_file_is_read_once_two_observations_agree() {
        let a = Seen::File(id(100, 1));
        assert_eq!(next(None, a, None), Next::Again);
        assert_eq!(next(Some(a), a, None), Next::Read(id(100, 1)));
        // Still growing: the second observation differs.
        let b = Seen::File(id(200, 2));
        assert_eq!(next(Some(a), b, None), Next::Again);
        // Read before with the same identity: not again.
        assert_eq!(next(Some(a), a, Some(id(100, 1))), Next::Drop);
        // Changed since it was read: read again once stable.
        assert_eq!(next(Some(b), b, Some(id(100, 1))), Next::Read(id(200, 2)));
    }

    #[test]
    fn empty_missing_and_odd_files_are_not_read() {
        assert_eq!(next(None, Seen::Empty, None), Next::Drop);
        assert_eq!(next(Some(Seen::Empty), Seen::Empty, None), Next::Drop);
        assert_eq!(next(None, Seen::Missing, None), Next::Drop);
        assert!(matches!(
            next(None, Seen::NotRegular, None),
            Next::Refuse(_)
        ));
        assert!(matches!(next(None, Seen::TooLarge, None), Next::Refuse(_)));
    }
}
