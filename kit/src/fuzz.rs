//! Entry points for fuzzers: each feeds arbitrary bytes to one parser of
//! untrusted input under the default [`Limits`] (with a shorter time
//! budget) and discards the result. They must never panic, hang or exhaust
//! memory; the targets in `fuzz/fuzz_targets/` call them.

use std::time::Duration;

use crate::recognise::{Budget, Limits, read_image, read_pdf};

fn limits() -> Limits {
    Limits {
        max_time: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// The PDF reader: loading, text extraction, image decoding, QR search.
pub fn pdf(data: &[u8]) {
    let limits = limits();
    let _ = read_pdf(data, &limits, &mut Budget::new(&limits));
}

/// The image reader: PNG when the data starts like one, else JPEG.
pub fn image(data: &[u8]) {
    let limits = limits();
    let format = if data.starts_with(b"\x89PNG") {
        ::image::ImageFormat::Png
    } else {
        ::image::ImageFormat::Jpeg
    };
    let _ = read_image(data, format, &limits, &mut Budget::new(&limits));
}

/// The QR payload parser and the text-layer key finder.
pub fn payload(data: &[u8]) {
    let _ = crate::parse_payload(data);
    let _ = crate::recognise::find_in_text(&String::from_utf8_lossy(data));
}
