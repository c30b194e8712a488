//! Finding a kit's QR code in a grey image, with a fallback chain for
//! degraded copies.
//!
//! A clean kit decodes on the first pass. Copies that went through a phone,
//! a printer or a chat app lose contrast, get resampled or blurred, or carry
//! JPEG noise; each later pass undoes one of those. Every pass tries two
//! decoders, because they fail on different images: quircs (a port of
//! quirc, global Otsu threshold, the faster) and then rqrr (its own local
//! threshold). The chain stops at the first pass that yields a payload
//! starting with the kit's magic, and between passes when the time budget
//! runs out.

use std::borrow::Cow;
use std::fmt;

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma};

use super::Budget;
use crate::error::Unreadable;
use crate::payload::PAYLOAD_MAGIC;

/// The first pass looks at the image scaled to at most this long side:
/// a kit's code spans a large part of its image, and decoding time grows
/// with pixels (a 1080×1920 kit decodes in about 5 ms at this size, 25 ms
/// at full size).
const QUICK_SIDE: u32 = 1024;
/// The later passes look at the image at full size up to this long side,
/// for codes that fill only a small part of a photo or screenshot.
const FULL_SIDE: u32 = 2400;
/// Images (at full size) smaller than this on their long side are also
/// searched scaled up, for codes whose modules are only a pixel or two wide.
const SMALL_SIDE: u32 = 900;

/// Which decoder read the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrDecoder {
    Rqrr,
    Quircs,
}

/// Which preparation of the image let the code be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrPass {
    /// The image scaled to about 1000 pixels on its long side (or as it is,
    /// if smaller).
    Quick,
    /// The image at full size (up to 2400 pixels on its long side).
    FullSize,
    /// Scaled up, for small codes.
    Upscaled,
    /// Black and white at the Otsu threshold.
    Otsu,
    /// Black and white against the local mean (uneven light, low contrast).
    Adaptive,
    /// Smoothed, then black and white at the Otsu threshold (JPEG noise).
    SmoothedOtsu,
}

/// How a QR code was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrRead {
    pub decoder: QrDecoder,
    pub pass: QrPass,
}

impl fmt::Display for QrRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decoder = match self.decoder {
            QrDecoder::Rqrr => "rqrr",
            QrDecoder::Quircs => "quircs",
        };
        let pass = match self.pass {
            QrPass::Quick => "quick look",
            QrPass::FullSize => "full size",
            QrPass::Upscaled => "scaled up",
            QrPass::Otsu => "Otsu threshold",
            QrPass::Adaptive => "adaptive threshold",
            QrPass::SmoothedOtsu => "smoothed and thresholded",
        };
        write!(f, "{decoder}, {pass}")
    }
}

/// What the chain found in one image.
pub(crate) enum QrOutcome {
    /// Payloads starting with the kit magic, from the first pass that had any.
    Kit(Vec<Vec<u8>>, QrRead),
    /// Only QR codes that are not kits.
    Foreign,
    /// No QR code could be read.
    Nothing,
}

/// The passes in the order tried: cheapest and most often enough first.
const PASSES: [QrPass; 6] = [
    QrPass::Quick,
    QrPass::FullSize,
    QrPass::Otsu,
    QrPass::Adaptive,
    QrPass::SmoothedOtsu,
    QrPass::Upscaled,
];

/// Runs the fallback chain on one image.
pub(crate) fn find_kit_qr(image: &GrayImage, budget: &Budget) -> Result<QrOutcome, Unreadable> {
    let full = capped(image, FULL_SIDE);
    let full: &GrayImage = full.as_ref().unwrap_or(image);
    let quick = capped(full, QUICK_SIDE);
    let long = full.width().max(full.height());

    let mut foreign = false;
    for pass in PASSES {
        budget.check_time()?;
        // A pass is skipped when it would look at the same pixels as an
        // earlier one, or does not apply to this size.
        let prepared: Option<Cow<'_, GrayImage>> = match pass {
            QrPass::Quick => Some(quick.as_ref().map_or(Cow::Borrowed(full), Cow::Borrowed)),
            QrPass::FullSize => quick.is_some().then_some(Cow::Borrowed(full)),
            QrPass::Otsu => Some(Cow::Owned(otsu(full))),
            QrPass::Adaptive => Some(Cow::Owned(adaptive(full))),
            QrPass::SmoothedOtsu => Some(Cow::Owned(otsu(&imageops::blur(
                full,
                smoothing_sigma(full),
            )))),
            QrPass::Upscaled => {
                (long < SMALL_SIDE).then(|| Cow::Owned(scale_long_side(full, long * 2)))
            }
        };
        let Some(img) = prepared else {
            continue;
        };
        for decoder in [QrDecoder::Quircs, QrDecoder::Rqrr] {
            let payloads = match decoder {
                QrDecoder::Rqrr => decode_rqrr(&img),
                QrDecoder::Quircs => decode_quircs(&img),
            };
            let (kit, other): (Vec<_>, Vec<_>) = payloads
                .into_iter()
                .partition(|p| p.starts_with(PAYLOAD_MAGIC.as_bytes()));
            foreign |= !other.is_empty();
            if !kit.is_empty() {
                return Ok(QrOutcome::Kit(kit, QrRead { decoder, pass }));
            }
            if budget.out_of_time() {
                break;
            }
        }
    }
    Ok(if foreign {
        QrOutcome::Foreign
    } else {
        QrOutcome::Nothing
    })
}

/// The image scaled down to `max_side` on its long side, or `None` when it
/// is already no larger.
fn capped(img: &GrayImage, max_side: u32) -> Option<GrayImage> {
    (img.width().max(img.height()) > max_side).then(|| scale_long_side(img, max_side))
}

fn decode_rqrr(img: &GrayImage) -> Vec<Vec<u8>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let mut out = Vec::new();
            grid.decode_to(&mut out).ok().map(|_| out)
        })
        .collect()
}

fn decode_quircs(img: &GrayImage) -> Vec<Vec<u8>> {
    let mut decoder = quircs::Quirc::default();
    let (w, h) = (img.width() as usize, img.height() as usize);
    decoder
        .identify(w, h, img.as_raw())
        .filter_map(|code| code.ok()?.decode().ok())
        .map(|data| data.payload)
        .collect()
}

fn scale_long_side(img: &GrayImage, target: u32) -> GrayImage {
    let long = img.width().max(img.height()).max(1);
    let w = (u64::from(img.width()) * u64::from(target) / u64::from(long)).max(1) as u32;
    let h = (u64::from(img.height()) * u64::from(target) / u64::from(long)).max(1) as u32;
    if target > long {
        imageops::resize(img, w, h, FilterType::Nearest)
    } else {
        shrink(img, w, h)
    }
}

/// Shrinks by averaging the box of source pixels under each target pixel:
/// every source pixel is read once, so this is many times faster than
/// `imageops::resize` (80 ms for a 1080×1920 kit) and as good for finding
/// a code.
fn shrink(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (w, h) = (w as usize, h as usize);
    let edge = |i: usize, n: usize, src: usize| i * src / n;
    let raw = img.as_raw();
    let mut out = Vec::with_capacity(w * h);
    for ty in 0..h {
        let (y0, y1) = (
            edge(ty, h, sh),
            edge(ty + 1, h, sh).max(edge(ty, h, sh) + 1),
        );
        for tx in 0..w {
            let (x0, x1) = (
                edge(tx, w, sw),
                edge(tx + 1, w, sw).max(edge(tx, w, sw) + 1),
            );
            let mut sum = 0u32;
            for row in raw[y0 * sw..y1 * sw].chunks_exact(sw) {
                sum += row[x0..x1].iter().map(|&p| u32::from(p)).sum::<u32>();
            }
            out.push((sum / ((y1 - y0) * (x1 - x0)) as u32) as u8);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| img.clone())
}

/// About a third of a module of the kit's code at typical sizes.
fn smoothing_sigma(img: &GrayImage) -> f32 {
    (img.width().min(img.height()) as f32 / 600.0).clamp(0.8, 3.0)
}

/// The threshold that best separates the histogram into two classes.
pub(crate) fn otsu_level(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.as_raw() {
        hist[usize::from(*p)] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut level) = (0u64, 0f64, -1f64, 128u8);
    for (t, &count) in hist.iter().enumerate() {
        w_b += count;
        if w_b == 0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0 {
            break;
        }
        sum_b += t as f64 * count as f64;
        let m_b = sum_b / w_b as f64;
        let m_f = (sum_all - sum_b) / w_f as f64;
        let between = w_b as f64 * w_f as f64 * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            level = t as u8;
        }
    }
    level
}

fn otsu(img: &GrayImage) -> GrayImage {
    let level = otsu_level(img);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0[0] = if p.0[0] <= level { 0 } else { 255 };
    }
    out
}

/// Each pixel against the mean of a square around it (side about 1/12 of
/// the image), computed with an integral image so the cost is linear.
fn adaptive(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = (w.min(h) / 24).max(4);
    let stride = w + 1;
    let mut integral = vec![0u64; stride * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(img.as_raw()[y * w + x]);
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
        }
    }
    let mut out = GrayImage::new(img.width(), img.height());
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let n = ((y1 - y0) * (x1 - x0)) as u64;
            let v = u64::from(img.as_raw()[y * w + x]);
            // A small bias keeps flat white areas white despite noise.
            let dark = v * n * 100 < sum * 93;
            out.put_pixel(x as u32, y as u32, Luma([if dark { 0 } else { 255 }]));
        }
    }
    out
}
