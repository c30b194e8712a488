//! idp-vault's emergency kit: the file that carries the client key to a new
//! device, and the reader that takes it back.
//!
//! * [`render_pdf`] makes the A4 page to print, [`render_png`] the
//!   phone-screen image; [`save`] writes either under a fresh kit name.
//! * [`name_kind`] tells kit file names from others; [`recognise_file`] and
//!   [`recognise_bytes`] read the key and vault id back from a PDF (text layer
//!   and QR code, which must agree), PNG or JPEG, under [`Limits`].
//! * The QR payload is a small versioned text format ([`encode_payload`],
//!   [`parse_payload`]), frozen and documented in `docs/kit.md`.
//!
//! Synchronous and free of any runtime or desktop dependency; everything a
//! fuzzer needs is reachable through [`fuzz`].
#![forbid(unsafe_code)]

mod error;
pub mod fuzz;
pub mod helper;
mod info;
mod naming;
mod payload;
mod recognise;
mod render_pdf;
mod render_png;
mod save;

pub use error::{KitError, RenderError, SaveError, Unreadable};
pub use info::{KitInfo, MAX_SHOWN_NAME};
pub use naming::{KitFormat, name_kind};
pub use payload::{
    PAYLOAD_LEN, PAYLOAD_MAGIC, PAYLOAD_VERSION, QR_EC_LEVEL, QrModules, encode_payload,
    parse_payload,
};
pub use recognise::{
    FoundKit, Limits, QrDecoder, QrPass, QrRead, ReadMethod, open_file, recognise_bytes,
    recognise_file,
};
pub use render_pdf::render_pdf;
pub use render_png::{PNG_HEIGHT, PNG_WIDTH, render_png};
pub use save::save;
