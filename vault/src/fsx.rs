//! File access inside the vault folder, which others write: a sync tool,
//! another device, a restored backup, anyone with access to the folder.
//!
//! The vault folder itself is reached by its path, so a person may make it
//! a link (`~/.local/share/idp/vault -> ~/Sync/vault`). Everything inside it
//! is opened relative to an open folder descriptor, never through a link
//! (`O_NOFOLLOW`), never blocking (`O_NONBLOCK`, so a FIFO cannot stall the
//! vault thread), checked with `fstat` to be a regular file or a folder,
//! and read with a size cap. Nothing here deletes or truncates: callers
//! that replace a file do it by rename, after deciding it is theirs.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::error::{Result, VaultError};

/// What stands at a name, as `lstat` sees it (links are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    Device,
}

impl Kind {
    fn of(t: FileType) -> Kind {
        match t {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::Fifo => Kind::Fifo,
            FileType::Socket => Kind::Socket,
            _ => Kind::Device,
        }
    }

    /// How a person would name it, after "is".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a folder",
            Kind::Symlink => "a symbolic link",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::Socket => "a socket",
            Kind::Device => "a device file",
        }
    }
}

/// A file read whole, with the identity of what was read.
#[derive(Debug)]
pub(crate) struct Contents {
    pub bytes: Vec<u8>,
    pub id: FileId,
}

/// Device and inode: tells whether a name still names the file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub(crate) fn of(fd: impl AsFd) -> std::io::Result<FileId> {
        let st = rustix::fs::fstat(fd)?;
        Ok(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }
}

fn io(path: &Path, e: Errno) -> VaultError {
    VaultError::io(path, std::io::Error::from(e))
}

const READ: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOCTTY);

/// An open folder inside (or being) the vault folder.
#[derive(Debug)]
pub(crate) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// The vault folder, by the path the person configured (a link to it is
    /// followed). `Ok(None)` when nothing is there.
    pub(crate) fn open_root(path: &Path) -> Result<Option<Dir>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: path.to_path_buf(),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io(path, e)),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// What stands at `name`, without following a link; `None` if nothing.
    pub(crate) fn kind(&self, name: &str) -> Result<Option<Kind>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Kind::of(FileType::from_raw_mode(st.st_mode)))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io(&self.join(name), e)),
        }
    }

    /// The error for `name` when it is not what was expected: says what it
    /// is (a link, a FIFO, …) when that can be found out.
    fn not_plain(&self, name: &str, e: Errno) -> VaultError {
        match self.kind(name) {
            Ok(Some(kind)) if kind != Kind::File && kind != Kind::Dir => VaultError::NotPlain {
                path: self.join(name),
                what: kind.describe(),
            },
            _ => io(&self.join(name), e),
        }
    }

    /// The sub-folder `name`, never through a link. `Ok(None)` if absent.
    pub(crate) fn sub(&self, name: &str) -> Result<Option<Dir>> {
        let flags = READ | OFlags::DIRECTORY;
        match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: self.join(name),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e @ (Errno::LOOP | Errno::NOTDIR | Errno::NXIO)) => Err(self.not_plain(name, e)),
            Err(e) => Err(io(&self.join(name), e)),
        }
    }

    /// The sub-folder `name`, made (owner only) if absent.
    pub(crate) fn sub_or_create(&self, name: &str) -> Result<Dir> {
        if let Some(d) = self.sub(name)? {
            return Ok(d);
        }
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io(&self.join(name), e)),
        }
        self.sync()?;
        self.sub(name)?
            .ok_or_else(|| io(&self.join(name), Errno::NOENT))
    }

    /// Every name in the folder but `.` and `..`, sorted, with its kind.
    pub(crate) fn entries(&self) -> Result<Vec<(String, Kind)>> {
        let fd = rustix::fs::openat(&self.fd, ".", READ | OFlags::DIRECTORY, Mode::empty())
            .map_err(|e| io(&self.path, e))?;
        let dir = rustix::fs::Dir::read_from(&fd).map_err(|e| io(&self.path, e))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| io(&self.path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            // Some file systems do not fill in the type: ask.
            let kind = match entry.file_type() {
                FileType::Unknown => match self.kind(&name)? {
                    Some(k) => k,
                    None => continue,
                },
                t => Kind::of(t),
            };
            out.push((name, kind));
        }
        out.sort();
        Ok(out)
    }

    /// Opens `name` for reading: never a link, never blocking, a regular
    /// file only. `Ok(None)` if absent.
    fn open_regular(&self, name: &str, flags: OFlags) -> Result<Option<File>> {
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e @ (Errno::LOOP | Errno::NXIO | Errno::ISDIR)) => {
                return Err(self.not_plain(name, e));
            }
            Err(e) => return Err(io(&self.join(name), e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io(&self.join(name), e))?;
        let kind = Kind::of(FileType::from_raw_mode(st.st_mode));
        if kind != Kind::File {
            return Err(VaultError::NotPlain {
                path: self.join(name),
                what: kind.describe(),
            });
        }
        Ok(Some(File::from(fd)))
    }

    /// Reads `name` whole if it is a regular file of at most `cap` bytes.
    pub(crate) fn read(&self, name: &str, cap: u64) -> Result<Option<Contents>> {
        let Some(file) = self.open_regular(name, READ)? else {
            return Ok(None);
        };
        read_capped(file, &self.join(name), cap).map(Some)
    }

    /// Opens `name` (a regular file) for reading and appending.
    pub(crate) fn open_append(&self, name: &str) -> Result<Option<File>> {
        let flags = (READ - OFlags::RDONLY) | OFlags::RDWR | OFlags::APPEND;
        self.open_regular(name, flags)
    }

    /// Creates `name`, which must not exist, for reading and appending.
    pub(crate) fn create_new(&self, name: &str) -> Result<File> {
        let flags = (READ - OFlags::RDONLY) | OFlags::RDWR | OFlags::APPEND | OFlags::CREATE;
        rustix::fs::openat(
            &self.fd,
            name,
            flags | OFlags::EXCL,
            Mode::from_raw_mode(0o600),
        )
        .map(File::from)
        .map_err(|e| io(&self.join(name), e))
    }

    /// The identity of what `name` is now (not following a link).
    pub(crate) fn id_of(&self, name: &str) -> Result<Option<FileId>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(FileId {
                dev: st.st_dev,
                ino: st.st_ino,
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io(&self.join(name), e)),
        }
    }

    /// Writes `bytes` as `name` by temp file, fsync, rename and folder
    /// fsync: `name` is either its old self or wholly the new one. Whatever
    /// stood at `name` (even a link) is replaced, never followed.
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let tmp = temp_name(name)?;
        let mut f = self.create_new(&tmp)?;
        if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            return Err(VaultError::io(self.join(&tmp), e));
        }
        if let Err(e) = rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name) {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            return Err(io(&self.join(name), e));
        }
        self.sync()
    }

    /// Moves `name` (whatever it is; a link is moved, not followed) to
    /// `to_name` in `to`, which must not exist there.
    pub(crate) fn move_to(&self, name: &str, to: &Dir, to_name: &str) -> Result<()> {
        rustix::fs::renameat_with(&self.fd, name, &to.fd, to_name, RenameFlags::NOREPLACE)
            .map_err(|e| io(&self.join(name), e))?;
        to.sync()?;
        if to.path != self.path {
            self.sync()?;
        }
        Ok(())
    }

    /// Renames `from` to `to`, replacing what stood at `to` (never
    /// following it), then makes that durable.
    pub(crate) fn rename_over(&self, from: &str, to: &str) -> Result<()> {
        rustix::fs::renameat(&self.fd, from, &self.fd, to).map_err(|e| io(&self.join(to), e))?;
        self.sync()
    }

    /// Renames `from` to `to`, which must not exist, then makes that durable.
    pub(crate) fn rename_new(&self, from: &str, to: &str) -> Result<()> {
        self.move_to(from, self, to)
    }

    /// Swaps the entries `a` and `b` in one step, then makes that durable.
    pub(crate) fn exchange(&self, a: &str, b: &str) -> Result<()> {
        rustix::fs::renameat_with(&self.fd, a, &self.fd, b, RenameFlags::EXCHANGE)
            .map_err(|e| io(&self.join(b), e))?;
        self.sync()
    }

    /// Removes the entry `name` (a link itself, never its target).
    pub(crate) fn unlink(&self, name: &str) -> Result<()> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io(&self.join(name), e)),
        }
    }

    /// Makes changes to the folder's entries durable.
    pub(crate) fn sync(&self) -> Result<()> {
        rustix::fs::fsync(&self.fd).map_err(|e| io(&self.path, e))
    }
}

/// `.NAME.tmp-XXXXXXXXXXXX`: a dot-file, which every reader skips.
pub(crate) fn temp_name(name: &str) -> Result<String> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix)?;
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(".{name}.tmp-{hex}"))
}

/// Reads an open regular file whole, refusing more than `cap` bytes
/// (checked against its size first, and again while reading, since the
/// file may grow meanwhile).
fn read_capped(mut file: File, path: &Path, cap: u64) -> Result<Contents> {
    let id = FileId::of(&file).map_err(|e| VaultError::io(path, e))?;
    let size = file.metadata().map_err(|e| VaultError::io(path, e))?.len();
    if size > cap {
        return Err(VaultError::TooLarge {
            path: path.to_path_buf(),
            size,
            max: cap,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| VaultError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(VaultError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            max: cap,
        });
    }
    Ok(Contents { bytes, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
    }

    #[test]
    fn links_fifos_and_folders_are_refused_without_blocking() {
        let tmp = tempfile::tempdir().expect("tmp");
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, b"not yours").expect("write");
        let root = tmp.path().join("vault");
        std::fs::create_dir(&root).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("link")).expect("symlink");
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).expect("symlink");
        mkfifo(&root.join("fifo"));
        std::fs::create_dir(root.join("dir")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("dir"), root.join("dirlink")).expect("symlink");
        let d = Dir::open_root(&root).expect("open").expect("exists");
        for (name, what) in [
            ("link", "a symbolic link"),
            ("zero", "a symbolic link"),
            ("fifo", "a FIFO (named pipe)"),
        ] {
            match d.read(name, 1 << 20) {
                Err(VaultError::NotPlain { what: w, .. }) => assert_eq!(w, what, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
            assert!(matches!(
                d.open_append(name),
                Err(VaultError::NotPlain { .. })
            ));
        }
        assert!(d.read("dir", 10).is_err());
        assert!(matches!(d.sub("dirlink"), Err(VaultError::NotPlain { .. })));
        assert!(matches!(d.sub("fifo"), Err(VaultError::NotPlain { .. })));
        assert!(d.sub("dir").expect("dir").is_some());
        assert!(d.read("absent", 10).expect("absent").is_none());
        assert_eq!(std::fs::read(&outside).expect("read"), b"not yours");
    }

    #[test]
    fn a_link_to_the_vault_folder_itself_is_followed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let real = tmp.path().join("Sync");
        std::fs::create_dir(&real).expect("mkdir");
        std::fs::write(real.join("f"), b"x").expect("write");
        let link = tmp.path().join("vault");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let d = Dir::open_root(&link).expect("open").expect("exists");
        assert_eq!(d.read("f", 10).expect("read").expect("some").bytes, b"x");
    }

    #[test]
    fn reads_are_capped() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("big"), vec![0u8; 100]).expect("write");
        let d = Dir::open_root(tmp.path()).expect("open").expect("exists");
        assert!(matches!(
            d.read("big", 99),
            Err(VaultError::TooLarge { size: 100, .. })
        ));
        assert_eq!(
            d.read("big", 100).expect("read").expect("some").bytes.len(),
            100
        );
    }

    #[test]
    fn atomic_writes_replace_a_link_without_following_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, b"keep").expect("write");
        let root = tmp.path().join("vault");
        std::fs::create_dir(&root).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("vault.idp")).expect("symlink");
        let d = Dir::open_root(&root).expect("open").expect("exists");
        d.write_atomic("vault.idp", b"new").expect("write");
        assert_eq!(std::fs::read(&outside).expect("read"), b"keep");
        assert_eq!(
            d.read("vault.idp", 10).expect("read").expect("some").bytes,
            b"new"
        );
    }
}
