//! PDF kits: the text layer and the QR code, read independently.
//!
//! lopdf loads the file with a per-stream decompression cap, then the text
//! of at most `max_pages` pages is extracted under the remaining budget, and
//! each image XObject on those pages (at most `max_images`) is decoded to
//! grey and searched for the QR code. Images are 8-bit or 1-bit grey, RGB
//! or CMYK samples (any stream filter lopdf decodes, predictors included) or
//! JPEG (`DCTDecode`, as scanners write); CCITT, JBIG2 and JPEG 2000 images
//! are skipped. The page is never rasterised: a kit made here carries its
//! code as an image, and so does a scanned printout.

use idp_vault::{ClientKey, VaultId};
use image::{GrayImage, ImageFormat};
use lopdf::{Document, LoadOptions, Object, Stream};

use super::image::{agree, check_pixels, decode_gray};
use super::qr::{QrOutcome, QrRead, find_kit_qr};
use super::text::find_in_text;
use super::{Budget, FoundKit, Limits, ReadMethod};
use crate::error::{KitError, Unreadable};
use crate::naming::KitFormat;

pub(crate) fn read_pdf(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Budget,
) -> Result<FoundKit, KitError> {
    let doc = load(bytes, budget)?;
    budget.check_time()?;
    let pages = doc.get_pages();
    if pages.len() > limits.max_pages {
        return Err(Unreadable::TooManyPages {
            pages: pages.len(),
            max: limits.max_pages,
        }
        .into());
    }
    if pages.is_empty() {
        return Err(Unreadable::DamagedPdf("it has no pages".into()).into());
    }
    let numbers: Vec<u32> = pages.keys().copied().collect();

    let text = match doc.extract_text_with_limit(&numbers, budget.decompress_allowance()) {
        Ok(text) => {
            budget.spend_decompressed(text.len())?;
            find_in_text(&text)?
        }
        Err(e) if is_limit(&e) => return Err(budget.decompression_limit().into()),
        // A scan has no text layer, or one that lopdf cannot read: the QR
        // code may still be there.
        Err(_) => None,
    };
    budget.check_time()?;

    let qr = find_qr(&doc, &pages, limits, budget)?;
    combine(text, qr)
}

/// Most bytes one object or cross-reference stream may unpack to while the
/// file loads. A kit has none larger than a few kilobytes; lopdf applies the
/// cap per stream, not in total, so it is kept well below the file budget.
const MAX_LOAD_STREAM: usize = 8 * 1024 * 1024;

fn load(bytes: &[u8], budget: &Budget) -> Result<Document, KitError> {
    let cap = budget.decompress_allowance().min(MAX_LOAD_STREAM);
    let options = LoadOptions::with_max_decompressed_size(cap);
    Document::load_mem_with_options(bytes, options).map_err(|e| {
        if is_limit(&e) {
            budget.decompression_limit().into()
        } else {
            Unreadable::DamagedPdf(e.to_string()).into()
        }
    })
}

fn is_limit(e: &lopdf::Error) -> bool {
    matches!(
        e,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
    )
}

/// The outcome of looking at every image: kit payloads that agree, or the
/// most telling failure.
enum QrResult {
    Found(VaultId, ClientKey, QrRead),
    /// A kit payload was decoded but refused (newer version, bad check).
    Refused(KitError),
    Foreign,
    Nothing,
}

fn find_qr(
    doc: &Document,
    pages: &std::collections::BTreeMap<u32, lopdf::ObjectId>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<QrResult, KitError> {
    let mut found: Option<(VaultId, ClientKey, QrRead)> = None;
    let mut result = QrResult::Nothing;
    let mut seen = 0usize;
    'pages: for page_id in pages.values() {
        let Ok(images) = doc.get_page_images(*page_id) else {
            continue;
        };
        for image in images {
            if seen == limits.max_images {
                break 'pages;
            }
            seen += 1;
            budget.check_time()?;
            let Some(gray) = image_to_gray(doc, &image, limits, budget)? else {
                continue;
            };
            match find_kit_qr(&gray, budget)? {
                QrOutcome::Kit(payloads, read) => match agree(&payloads) {
                    Ok((v, k)) => {
                        if let Some((pv, pk, _)) = &found
                            && (*pv != v || *pk != k)
                        {
                            return Err(Unreadable::Ambiguous.into());
                        }
                        found = Some((v, k, read));
                    }
                    Err(e) => result = QrResult::Refused(e),
                },
                QrOutcome::Foreign => {
                    if matches!(result, QrResult::Nothing) {
                        result = QrResult::Foreign;
                    }
                }
                QrOutcome::Nothing => {}
            }
        }
    }
    Ok(match found {
        Some((v, k, read)) => QrResult::Found(v, k, read),
        None => result,
    })
}

/// Decodes one image XObject to grey, or `None` for an encoding a kit never
/// uses. Pixel counts are checked before anything is decompressed.
fn image_to_gray(
    doc: &Document,
    image: &lopdf::xobject::PdfImage<'_>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Option<GrayImage>, KitError> {
    let (w, h) = (image.width.max(0) as u64, image.height.max(0) as u64);
    check_pixels(w, h, limits)?;
    let filters = image.filters.clone().unwrap_or_default();
    if filters.iter().any(|f| f == "DCTDecode") {
        if filters.len() != 1 {
            return Ok(None);
        }
        budget.spend_decompressed((w * h * 3) as usize)?;
        return Ok(Some(decode_gray(image.content, ImageFormat::Jpeg, limits)?));
    }
    let Ok(stream) = doc.get_object(image.id).and_then(Object::as_stream) else {
        return Ok(None);
    };
    let bpc = image.bits_per_component.unwrap_or(8);
    let samples = match decode_stream(stream, budget)? {
        Some(s) => s,
        None => return Ok(None),
    };
    let (w, h) = (w as usize, h as usize);
    let gray = match bpc {
        8 => {
            let components = samples.len() / (w * h);
            if components == 0 || samples.len() < w * h * components {
                return Ok(None);
            }
            samples_to_gray(&samples, w, h, components)
        }
        1 => {
            let row = w.div_ceil(8);
            if samples.len() < row * h {
                return Ok(None);
            }
            Some(GrayImage::from_fn(w as u32, h as u32, |x, y| {
                let byte = samples[y as usize * row + x as usize / 8];
                let bit = (byte >> (7 - x % 8)) & 1;
                image::Luma([if bit == 1 { 255 } else { 0 }])
            }))
        }
        _ => return Ok(None),
    };
    Ok(gray)
}

fn decode_stream(stream: &Stream, budget: &mut Budget) -> Result<Option<Vec<u8>>, KitError> {
    match stream.decompressed_content_with_limit(budget.decompress_allowance()) {
        Ok(samples) => {
            budget.spend_decompressed(samples.len())?;
            Ok(Some(samples))
        }
        Err(e) if is_limit(&e) => Err(budget.decompression_limit().into()),
        Err(_) => Ok(None),
    }
}

/// Grey from 1 (grey), 3 (RGB) or 4 (CMYK) 8-bit samples per pixel.
fn samples_to_gray(samples: &[u8], w: usize, h: usize, components: usize) -> Option<GrayImage> {
    let px = |i: usize| -> u8 {
        let s = &samples[i * components..(i + 1) * components];
        match components {
            1 => s[0],
            3 => {
                ((u32::from(s[0]) * 299 + u32::from(s[1]) * 587 + u32::from(s[2]) * 114) / 1000)
                    as u8
            }
            _ => {
                let k = u32::from(s[3]);
                let c = (u32::from(s[0]) + u32::from(s[1]) + u32::from(s[2])) / 3;
                (255u32.saturating_sub((c + k).min(255))) as u8
            }
        }
    };
    if !matches!(components, 1 | 3 | 4) {
        return None;
    }
    Some(GrayImage::from_fn(w as u32, h as u32, |x, y| {
        image::Luma([px(y as usize * w + x as usize)])
    }))
}

/// Text and QR must agree when both gave an answer; see the module docs of
/// `recognise` and `docs/kit.md`.
fn combine(text: Option<(VaultId, ClientKey)>, qr: QrResult) -> Result<FoundKit, KitError> {
    let found = |vault_id, key, method| FoundKit {
        key,
        vault_id,
        format: KitFormat::Pdf,
        method,
    };
    match (text, qr) {
        (Some((tv, tk)), QrResult::Found(qv, qk, read)) => {
            if tv == qv && tk == qk {
                Ok(found(qv, qk, ReadMethod::PdfTextAndQr(read)))
            } else {
                Err(KitError::Disagree)
            }
        }
        (None, QrResult::Found(v, k, read)) => Ok(found(v, k, ReadMethod::PdfQr(read))),
        // A newer format must not be half-read from its text.
        (_, QrResult::Refused(e @ KitError::NewerVersion { .. })) => Err(e),
        (Some(_), QrResult::Refused(_)) => Err(KitError::Disagree),
        (None, QrResult::Refused(e)) => Err(e),
        (Some((v, k)), QrResult::Foreign | QrResult::Nothing) => {
            Ok(found(v, k, ReadMethod::PdfText))
        }
        (None, QrResult::Foreign) => Err(Unreadable::ForeignQrCode.into()),
        (None, QrResult::Nothing) => Err(Unreadable::NoKeyFound.into()),
    }
}
