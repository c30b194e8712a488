//! PNG and JPEG kits (and images inside PDFs): decode under limits to grey,
//! then look for the QR code.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, Luma};

use super::qr::{QrOutcome, find_kit_qr};
use super::{Budget, FoundKit, Limits, ReadMethod};
use crate::error::{KitError, Unreadable};
use crate::naming::KitFormat;
use crate::payload::parse_payload;

/// Reads a kit from a whole PNG or JPEG file.
pub(crate) fn read_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<FoundKit, KitError> {
    let gray = decode_gray(bytes, format, limits)?;
    budget.check_time()?;
    match find_kit_qr(&gray, budget)? {
        QrOutcome::Kit(payloads, read) => {
            let (vault_id, key) = agree(&payloads)?;
            Ok(FoundKit {
                key,
                vault_id,
                format: KitFormat::Png,
                method: ReadMethod::ImageQr(read),
            })
        }
        QrOutcome::Foreign => Err(Unreadable::ForeignQrCode.into()),
        QrOutcome::Nothing => Err(Unreadable::NoKeyFound.into()),
    }
}

/// Parses every kit payload found in one image; they must all name the same
/// key and vault.
pub(crate) fn agree(
    payloads: &[Vec<u8>],
) -> Result<(idp_vault::VaultId, idp_vault::ClientKey), KitError> {
    let mut found: Option<(idp_vault::VaultId, idp_vault::ClientKey)> = None;
    for p in payloads {
        let (v, k) = parse_payload(p)?;
        if let Some((pv, pk)) = &found
            && (*pv != v || *pk != k)
        {
            return Err(Unreadable::Ambiguous.into());
        }
        found = Some((v, k));
    }
    found.ok_or_else(|| Unreadable::NoKeyFound.into())
}

/// Decodes an encoded image to 8-bit grey, transparent parts on white.
/// Dimensions are checked against the limits before pixels are allocated.
pub(crate) fn decode_gray(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<GrayImage, Unreadable> {
    let damaged = |e: image::ImageError| Unreadable::DamagedImage(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_image_alloc);
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    check_pixels(u64::from(w), u64::from(h), limits)?;
    let image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    Ok(to_gray(image))
}

pub(crate) fn check_pixels(w: u64, h: u64, limits: &Limits) -> Result<(), Unreadable> {
    let max_side = u64::from(limits.max_dimension);
    if w == 0 || h == 0 {
        return Err(Unreadable::DamagedImage("it has no pixels".into()));
    }
    if w > max_side || h > max_side || w.saturating_mul(h) > limits.max_pixels {
        return Err(Unreadable::TooManyPixels {
            width: w,
            height: h,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

fn to_gray(image: DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.into_luma8();
    }
    let la = image.into_luma_alpha8();
    GrayImage::from_fn(la.width(), la.height(), |x, y| {
        let [l, a] = la.get_pixel(x, y).0;
        let (l, a) = (u32::from(l), u32::from(a));
        Luma([((l * a + 255 * (255 - a)) / 255) as u8])
    })
}
