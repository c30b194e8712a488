//! Reading a kit back: from a path or from bytes, PDF, PNG or JPEG.
//!
//! The input is untrusted (anything can land in Downloads), so every step has
//! a cap from [`Limits`]: file size before reading, pages and images before
//! decoding, pixels before allocating, decompressed bytes across the whole
//! file, and a time budget checked between steps. Errors are values, never
//! panics. A decoder stuck inside one step cannot be interrupted from here,
//! and a dependency could still crash on a crafted file, which is why the
//! agent runs this in a child process that holds no secrets.
//!
//! A PDF is read twice, independently: the text layer (the key in six
//! groups and the vault id) and every QR code in its images. When both give
//! an answer they must agree, or the file is refused: an altered kit is not
//! guessed at.

mod image;
mod pdf;
mod qr;
mod text;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use idp_vault::{ClientKey, VaultId};
use zeroize::Zeroizing;

use crate::error::{KitError, Unreadable};
use crate::naming::KitFormat;

pub use qr::{QrDecoder, QrPass, QrRead};

pub(crate) use image::read_image;
pub(crate) use pdf::read_pdf;
pub(crate) use text::find_in_text;

/// Caps on the work done for one file. [`Limits::default`] suits kits: a
/// real kit is far below every one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest file read at all (20 MiB).
    pub max_file_bytes: u64,
    /// Most pages a PDF may have (4: a kit has one, a scan may add a few).
    pub max_pages: usize,
    /// Most images examined for a QR code in one PDF (16).
    pub max_images: usize,
    /// Most bytes decompressed from one file in total (64 MiB).
    pub max_decompressed_bytes: u64,
    /// Most pixels in one image (36 million, a 6000×6000 photo).
    pub max_pixels: u64,
    /// Longest side of one image (16384).
    pub max_dimension: u32,
    /// Most memory the image decoder may allocate (256 MiB).
    pub max_image_alloc: u64,
    /// Time budget for one file, checked between steps (5 s).
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_pages: 4,
            max_images: 16,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_pixels: 36_000_000,
            max_dimension: 16_384,
            max_image_alloc: 256 * 1024 * 1024,
            max_time: Duration::from_secs(5),
        }
    }
}

/// A kit that was read: the key, its vault, and how they were read.
#[derive(Debug)]
pub struct FoundKit {
    pub key: ClientKey,
    pub vault_id: VaultId,
    pub format: KitFormat,
    pub method: ReadMethod,
}

/// Which parts of the file gave the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadMethod {
    /// A PDF whose text layer and QR code both gave the key, and agreed.
    PdfTextAndQr(QrRead),
    /// A PDF's text layer; no QR code in it could be decoded.
    PdfText,
    /// A QR code in a PDF without a readable key in its text (a scan).
    PdfQr(QrRead),
    /// The QR code of a PNG or JPEG image.
    ImageQr(QrRead),
}

impl fmt::Display for ReadMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadMethod::PdfTextAndQr(qr) => write!(f, "PDF text and QR code ({qr})"),
            ReadMethod::PdfText => f.write_str("PDF text"),
            ReadMethod::PdfQr(qr) => write!(f, "QR code in the PDF ({qr})"),
            ReadMethod::ImageQr(qr) => write!(f, "QR code in the image ({qr})"),
        }
    }
}

/// Reads a kit from a file. Only a regular file is opened (see
/// [`open_file`]).
pub fn recognise_file(path: &Path, limits: &Limits) -> Result<FoundKit, KitError> {
    let file = open_file(path, limits)?;
    let len = check_open(&file, path, limits)?;
    let bytes = read_open(file, len, path)?;
    recognise_bytes(&bytes, limits)
}

/// Opens a kit file for reading. Only a regular file is opened: a symlink,
/// a folder, a FIFO or a device is refused without being opened, so a
/// planted link cannot make the reader block or read elsewhere. The size is
/// checked before and after opening.
pub fn open_file(path: &Path, limits: &Limits) -> Result<File, KitError> {
    let io_err = |source| KitError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::symlink_metadata(path).map_err(io_err)?;
    check_regular(path, &meta.file_type())?;
    check_size(meta.len(), limits)?;
    // O_NOFOLLOW: the path may have been swapped for a link since the check;
    // O_NONBLOCK: nor may a FIFO swapped in make open() wait for a writer.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(io_err)?;
    check_open(&file, path, limits)?;
    Ok(file)
}

/// Checks that an open descriptor is a regular file within the size limit;
/// returns its size. `path` only names it in errors.
pub(crate) fn check_open(file: &File, path: &Path, limits: &Limits) -> Result<u64, KitError> {
    let meta = file.metadata().map_err(|source| KitError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_regular(path, &meta.file_type())?;
    check_size(meta.len(), limits)?;
    Ok(meta.len())
}

/// Reads an open kit file of `len` bytes (as checked by [`check_open`])
/// into a buffer sized once, so no unwiped copy is left behind; a file that
/// grew since is cut one byte past `len`. Only `read` is called on the
/// descriptor, so this runs inside the helper's sandbox.
pub(crate) fn read_open(
    mut file: impl Read,
    len: u64,
    path: &Path,
) -> Result<Zeroizing<Vec<u8>>, KitError> {
    let size = usize::try_from(len.saturating_add(1)).unwrap_or(usize::MAX);
    let mut bytes = Zeroizing::new(vec![0; size]);
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(KitError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

fn check_regular(path: &Path, ft: &fs::FileType) -> Result<(), KitError> {
    let kind = if ft.is_file() {
        return Ok(());
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a folder"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else {
        "a special file"
    };
    Err(KitError::NotRegularFile {
        path: path.to_path_buf(),
        kind,
    })
}

fn check_size(size: u64, limits: &Limits) -> Result<(), KitError> {
    if size > limits.max_file_bytes {
        return Err(Unreadable::TooLarge {
            size,
            max: limits.max_file_bytes,
        }
        .into());
    }
    Ok(())
}

/// Reads a kit from bytes already in memory. The content decides the
/// format (the name is only a hint for choosing files to look at; see
/// [`crate::name_kind`]).
pub fn recognise_bytes(bytes: &[u8], limits: &Limits) -> Result<FoundKit, KitError> {
    check_size(bytes.len() as u64, limits)?;
    let mut budget = Budget::new(limits);
    match sniff(bytes)? {
        Sniffed::Pdf => read_pdf(bytes, limits, &mut budget),
        Sniffed::Image(format) => read_image(bytes, format, limits, &mut budget),
    }
}

pub(crate) enum Sniffed {
    Pdf,
    Image(::image::ImageFormat),
}

pub(crate) fn sniff(bytes: &[u8]) -> Result<Sniffed, Unreadable> {
    if bytes.is_empty() {
        return Err(Unreadable::Empty);
    }
    // PDF readers accept the header anywhere in the first kilobyte.
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Sniffed::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Sniffed::Image(::image::ImageFormat::Png));
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(Sniffed::Image(::image::ImageFormat::Jpeg));
    }
    Err(Unreadable::UnknownFormat)
}

/// What is left of the limits while one file is read.
pub(crate) struct Budget {
    started: Instant,
    max_time: Duration,
    decompressed_left: u64,
    max_decompressed: u64,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            started: Instant::now(),
            max_time: limits.max_time,
            decompressed_left: limits.max_decompressed_bytes,
            max_decompressed: limits.max_decompressed_bytes,
        }
    }

    pub(crate) fn check_time(&self) -> Result<(), Unreadable> {
        if self.started.elapsed() > self.max_time {
            return Err(Unreadable::TimeLimit {
                limit: self.max_time,
            });
        }
        Ok(())
    }

    pub(crate) fn out_of_time(&self) -> bool {
        self.check_time().is_err()
    }

    /// Bytes that one more decompression may still produce.
    pub(crate) fn decompress_allowance(&self) -> usize {
        usize::try_from(self.decompressed_left).unwrap_or(usize::MAX)
    }

    pub(crate) fn spend_decompressed(&mut self, n: usize) -> Result<(), Unreadable> {
        match self.decompressed_left.checked_sub(n as u64) {
            Some(left) => {
                self.decompressed_left = left;
                Ok(())
            }
            None => Err(self.decompression_limit()),
        }
    }

    pub(crate) fn decompression_limit(&self) -> Unreadable {
        Unreadable::DecompressionLimit {
            max: self.max_decompressed,
        }
    }
}
