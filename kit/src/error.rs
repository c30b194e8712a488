//! Errors, one enum per operation. Each message says what to do next.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use idp_vault::ParseKeyError;

/// Why a kit could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    #[error(
        "the kit's QR code could not be made ({0}): this is a bug in idp-vault, please report it"
    )]
    Qr(String),
    #[error(
        "the kit's built-in font could not be read: this build of idp-vault is damaged, reinstall it"
    )]
    Font,
    #[error("the kit image could not be encoded: {source}; try again, or save the PDF kit instead")]
    Image {
        #[source]
        source: image::ImageError,
    },
}

/// Why a kit could not be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(
        "could not write the kit to {path}: {source}; check that the folder exists, that you may write to it and that the disk has space"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "every kit file name tried in {dir} is already taken: move old kits elsewhere or choose another folder"
    )]
    NoFreeName { dir: PathBuf },
}

/// Why a file was not accepted as a kit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    #[error("could not read {path}: {source}; check that the file exists and that you may read it")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is {kind}, not a regular file: give the kit file itself")]
    NotRegularFile { path: PathBuf, kind: &'static str },
    #[error("not a readable kit: {0}")]
    Unreadable(Unreadable),
    #[error(
        "this kit was made by a newer idp-vault (kit format {found}): update idp-vault, then try again"
    )]
    NewerVersion { found: u32 },
    #[error(
        "the key in this kit is damaged ({source}): use another copy of your kit, or type the key from a printout"
    )]
    DamagedKey {
        #[source]
        source: ParseKeyError,
    },
    #[error(
        "this kit's text and its QR code give different keys or vaults: the file was altered or damaged, so neither is trusted; use another copy of your kit"
    )]
    Disagree,
}

impl From<Unreadable> for KitError {
    fn from(reason: Unreadable) -> Self {
        KitError::Unreadable(reason)
    }
}

/// The reason behind [`KitError::Unreadable`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unreadable {
    #[error("the file has {size} bytes, more than the {max} a kit may have")]
    TooLarge { size: u64, max: u64 },
    #[error("the file is empty (a download may still be running: wait for it to finish)")]
    Empty,
    #[error("the file is not a PDF, PNG or JPEG")]
    UnknownFormat,
    #[error("the PDF is damaged or uses features a kit never has ({0})")]
    DamagedPdf(String),
    #[error("the image is damaged or truncated ({0})")]
    DamagedImage(String),
    #[error("the PDF has {pages} pages, more than the {max} read for a kit")]
    TooManyPages { pages: usize, max: usize },
    #[error(
        "the image is {width}x{height} pixels, larger than the {max_pixels} pixels read for a kit"
    )]
    TooManyPixels {
        width: u64,
        height: u64,
        max_pixels: u64,
    },
    #[error("its data unpacks to more than the {max} bytes read for a kit")]
    DecompressionLimit { max: u64 },
    #[error("reading it took longer than the {limit:?} allowed for a kit")]
    TimeLimit { limit: Duration },
    #[error("it holds a QR code that is not an idp-vault kit")]
    ForeignQrCode,
    #[error("it holds two different client keys or vault ids, so it is not clear which one to use")]
    Ambiguous,
    #[error("no client key was found in its text nor in a QR code")]
    NoKeyFound,
}
