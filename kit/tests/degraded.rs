//! Degraded copies of the PNG kit, as phones, chat apps and people make
//! them: each named case must be read; a broader sweep reports its rate.

use std::io::Cursor;

use idp_kit::{Limits, recognise_bytes, render_png};
use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgba, RgbaImage};

use crate::support::Sample;

fn png_bytes(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode png");
    out
}

fn jpeg_bytes(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.to_rgb8().write_with_encoder(enc).expect("encode jpeg");
    out
}

fn scaled(img: &GrayImage, factor: f32, filter: FilterType) -> GrayImage {
    let w = (img.width() as f32 * factor).round() as u32;
    let h = (img.height() as f32 * factor).round() as u32;
    imageops::resize(img, w, h, filter)
}

/// The kit cropped to the QR code and key, then put on a grey border.
fn cropped_with_border(img: &GrayImage) -> GrayImage {
    let crop = imageops::crop_imm(img, 60, 240, img.width() - 120, 1150).to_image();
    let border = 48;
    let mut out = GrayImage::from_pixel(
        crop.width() + 2 * border,
        crop.height() + 2 * border,
        Luma([150]),
    );
    imageops::overlay(&mut out, &crop, i64::from(border), i64::from(border));
    out
}

/// A phone screenshot of the kit shown in a viewer: status bar, toolbar,
/// dark padding, the kit scaled to fit, saved as colour PNG.
fn screenshot(img: &GrayImage) -> RgbaImage {
    let (w, h) = (1170u32, 2532u32);
    let mut shot = RgbaImage::from_pixel(w, h, Rgba([18, 18, 20, 255]));
    for y in 0..110 {
        for x in 0..w {
            shot.put_pixel(x, y, Rgba([250, 250, 250, 255]));
        }
    }
    // Status-bar clutter: clock and icons as dark blocks.
    for (x0, x1) in [(60, 180), (960, 1000), (1020, 1060), (1080, 1130)] {
        for y in 40..75 {
            for x in x0..x1 {
                shot.put_pixel(x, y, Rgba([20, 20, 20, 255]));
            }
        }
    }
    let kit = DynamicImage::ImageLuma8(scaled(img, 0.9, FilterType::CatmullRom)).to_rgba8();
    let left = (w - kit.width()) / 2;
    imageops::overlay(&mut shot, &kit, i64::from(left), 260);
    shot
}

fn reads(bytes: &[u8], sample: &Sample) -> bool {
    match recognise_bytes(bytes, &Limits::default()) {
        Ok(found) => found.key == sample.key && found.vault_id == sample.vault_id,
        Err(_) => false,
    }
}

pub(crate) fn kit() -> (Sample, GrayImage) {
    let sample = Sample::new();
    let png = render_png(&sample.info()).expect("render");
    let img = image::load_from_memory(&png).expect("decode").into_luma8();
    (sample, img)
}

/// Copies of the PNG kit as phones, chat apps and people make them.
pub(crate) fn named_cases(img: &GrayImage) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "scaled to 50 %",
            png_bytes(&scaled(img, 0.5, FilterType::Triangle).into()),
        ),
        (
            "scaled to 200 %",
            png_bytes(&scaled(img, 2.0, FilterType::CatmullRom).into()),
        ),
        ("JPEG quality 60", jpeg_bytes(&img.clone().into(), 60)),
        ("1-pixel blur", png_bytes(&imageops::blur(img, 1.0).into())),
        (
            "cropped with a border",
            png_bytes(&cropped_with_border(img).into()),
        ),
        (
            "screenshot with status bar and padding",
            png_bytes(&screenshot(img).into()),
        ),
    ]
}

#[test]
fn named_degradations_are_all_recognised() {
    let (sample, img) = kit();
    for (name, bytes) in named_cases(&img) {
        assert!(reads(&bytes, &sample), "not recognised: {name}");
    }
}

/// A wider sweep: scale × damage. Its rate is reported (run with
/// `--nocapture`) and must stay at or above the rate measured when the
/// chain was tuned, so a regression in the fallback chain is caught.
#[test]
fn degradation_sweep_rate() {
    let (sample, img) = kit();
    let scales = [0.3, 0.4, 0.5, 0.75, 1.5];
    let mut total = 0;
    let mut ok = 0;
    let mut failed = Vec::new();
    for &s in &scales {
        let base = scaled(&img, s, FilterType::Triangle);
        let damages: Vec<(&str, Vec<u8>)> = vec![
            ("clean", png_bytes(&base.clone().into())),
            ("jpeg q60", jpeg_bytes(&base.clone().into(), 60)),
            ("jpeg q30", jpeg_bytes(&base.clone().into(), 30)),
            ("blur 1", png_bytes(&imageops::blur(&base, 1.0).into())),
            ("blur 2", png_bytes(&imageops::blur(&base, 2.0).into())),
            ("low contrast", png_bytes(&low_contrast(&base).into())),
            ("uneven light", png_bytes(&uneven_light(&base).into())),
            ("noise", png_bytes(&noisy(&base).into())),
            ("rotated 90°", png_bytes(&imageops::rotate90(&base).into())),
            (
                "blur 1 + noise + jpeg q60",
                jpeg_bytes(&noisy(&imageops::blur(&base, 1.0)).into(), 60),
            ),
        ];
        for (name, bytes) in damages {
            total += 1;
            if reads(&bytes, &sample) {
                ok += 1;
            } else {
                failed.push(format!("{s}x {name}"));
            }
        }
    }
    eprintln!("degradation sweep: {ok}/{total} recognised; failed: {failed:?}");
    assert!(
        ok * 100 >= total * SWEEP_FLOOR_PERCENT,
        "{ok}/{total}: {failed:?}"
    );
}

/// The rate the sweep reached when the chain was tuned, rounded down.
const SWEEP_FLOOR_PERCENT: usize = 90;

fn low_contrast(img: &GrayImage) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        Luma([100 + img.get_pixel(x, y).0[0] / 4])
    })
}

/// Light falling off from one corner to the other, as in a photo.
fn uneven_light(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let shade = 1.0 - 0.6 * (x as f32 / w + y as f32 / h) / 2.0;
        Luma([(f32::from(img.get_pixel(x, y).0[0]) * shade) as u8])
    })
}

/// Deterministic pseudo-random noise of ±40 levels.
fn noisy(img: &GrayImage) -> GrayImage {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % 81) as i32 - 40;
        Luma([(i32::from(img.get_pixel(x, y).0[0]) + n).clamp(0, 255) as u8])
    })
}
