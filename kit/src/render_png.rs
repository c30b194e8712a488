//! The PNG kit: a portrait phone-screen image (1080×1920), to keep in a
//! phone's photos or files.
//!
//! Text is drawn with the DejaVu fonts shipped in `fonts/` (Bitstream Vera
//! licence, next to them), so rendering needs no system font. The image is
//! 8-bit grey: the kit has no colour, and a grey PNG is a third the size.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma};
use zeroize::Zeroizing;

use crate::error::RenderError;
use crate::info::KitInfo;
use crate::payload::QrModules;
use crate::render_pdf::QUIET_ZONE;

/// Size of the PNG kit in pixels.
pub const PNG_WIDTH: u32 = 1080;
pub const PNG_HEIGHT: u32 = 1920;

const SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const MONO_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansMono-Bold.ttf");

const SIDE: f32 = 80.0;
const QR_PX_PER_MODULE: u32 = 14;
const INK: u8 = 0;
const SOFT_INK: u8 = 70;

const EXPLAIN: [&str; 5] = [
    "You need this key, with your password, to unlock",
    "your vault on a new device or after a reinstall.",
    "Keep this image private and apart from your password.",
    "Support cannot recover the key if it is lost.",
    "On a new device: idp unlock --kit, or put it in Downloads.",
];

/// Renders the phone-screen PNG kit.
pub fn render_png(info: &KitInfo<'_>) -> Result<Vec<u8>, RenderError> {
    let sans = FontRef::try_from_slice(SANS).map_err(|_| RenderError::Font)?;
    let mono = FontRef::try_from_slice(MONO_BOLD).map_err(|_| RenderError::Font)?;
    let qr = QrModules::new(&info.vault_id, info.key)?;
    let mut img = Canvas(GrayImage::from_pixel(PNG_WIDTH, PNG_HEIGHT, Luma([255])));

    img.centered(&sans, 54.0, 150.0, INK, "ID Protection emergency kit");
    let vault_line = format!("Vault \u{201c}{}\u{201d}", info.shown_name());
    img.centered(&sans, 36.0, 225.0, SOFT_INK, &vault_line);

    let modules = qr.width() as u32 + 2 * QUIET_ZONE as u32;
    let qr_px = modules * QR_PX_PER_MODULE;
    let left = (PNG_WIDTH - qr_px) / 2;
    let top = 280;
    for y in 0..qr_px {
        let my = (y / QR_PX_PER_MODULE) as usize;
        for x in 0..qr_px {
            let mx = (x / QR_PX_PER_MODULE) as usize;
            if qr.is_dark(mx.wrapping_sub(QUIET_ZONE), my.wrapping_sub(QUIET_ZONE)) {
                img.0.put_pixel(left + x, top + y, Luma([INK]));
            }
        }
    }
    drop(qr);

    let mut y = (top + qr_px) as f32 + 70.0;
    img.centered(&sans, 30.0, y, SOFT_INK, "YOUR CLIENT KEY");
    let groups = info.key_groups();
    for line in groups.chunks(3) {
        y += 92.0;
        let line = Zeroizing::new(line.join("-"));
        img.centered(&mono, 72.0, y, INK, &line);
    }
    y += 80.0;
    img.centered(&mono, 34.0, y, INK, &format!("Check {}", info.check()));
    y += 56.0;
    img.centered(&mono, 28.0, y, SOFT_INK, &info.vault_id.to_hex());
    y += 44.0;
    let created = format!(
        "Vault ID above \u{b7} created {} (UTC)",
        info.created_date()
    );
    img.centered(&sans, 28.0, y, SOFT_INK, &created);
    y += 40.0;
    for line in EXPLAIN {
        y += 44.0;
        img.centered(&sans, 31.0, y, INK, line);
    }
    img.centered(
        &sans,
        24.0,
        PNG_HEIGHT as f32 - 50.0,
        SOFT_INK,
        "idp-vault \u{b7} this image never contains your password",
    );

    let mut out = Vec::with_capacity(96 * 1024);
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub);
    let result = encoder.write_image(img.0.as_raw(), PNG_WIDTH, PNG_HEIGHT, ExtendedColorType::L8);
    result.map_err(|source| RenderError::Image { source })?;
    Ok(out)
}

/// The image being drawn; it shows the key, so it is wiped when dropped.
struct Canvas(GrayImage);

impl Canvas {
    /// Draws one line centred on the page with its baseline at `baseline`,
    /// shrunk to fit between the side margins when it is too wide.
    fn centered(&mut self, font: &FontRef<'_>, size: f32, baseline: f32, ink: u8, text: &str) {
        let max = PNG_WIDTH as f32 - 2.0 * SIDE;
        let natural = text_width(font, size, text);
        let size = if natural > max {
            size * max / natural
        } else {
            size
        };
        let x = (PNG_WIDTH as f32 - text_width(font, size, text)) / 2.0;
        self.draw(font, size, x, baseline, ink, text);
    }

    fn draw(&mut self, font: &FontRef<'_>, size: f32, x: f32, baseline: f32, ink: u8, text: &str) {
        let scaled = font.as_scaled(PxScale::from(size));
        let mut caret = x;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(size, point(caret, baseline));
            caret += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let img = &mut self.0;
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= i64::from(PNG_WIDTH) || py >= i64::from(PNG_HEIGHT) {
                    return;
                }
                let p = img.get_pixel_mut(px as u32, py as u32);
                let cov = coverage.clamp(0.0, 1.0);
                let v = f32::from(p.0[0]) * (1.0 - cov) + f32::from(ink) * cov;
                p.0[0] = v.round() as u8;
            });
        }
    }
}

impl Drop for Canvas {
    fn drop(&mut self) {
        let raw: &mut Vec<u8> = &mut std::mem::take(&mut self.0).into_raw();
        zeroize::Zeroize::zeroize(raw);
    }
}

fn text_width(font: &FontRef<'_>, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    width
}
