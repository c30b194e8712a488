//! The PDF kit: one A4 page meant to be printed.
//!
//! Text uses the PDF standard fonts (Helvetica, Courier), which every viewer
//! has, so nothing is embedded and the text layer is plain WinAnsi that any
//! extractor reads. The QR code is an image XObject drawn at 8 pixels per
//! module, sharp at any zoom, and the recogniser can take it straight out of
//! the file without rasterising the page.
//!
//! The document necessarily holds the key while it is built; printpdf's
//! internal copies are freed, not wiped, when this function returns.

use printpdf::{
    BuiltinFont, Color, Greyscale, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, RawImage, RawImageData, RawImageFormat, Rect, TextItem,
    XObjectTransform,
};
use printpdf::{ImageCompression, ImageOptimizationOptions};
use zeroize::Zeroizing;

use crate::error::RenderError;
use crate::info::KitInfo;
use crate::payload::QrModules;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
/// Pixels per QR module in the embedded image.
const QR_PX_PER_MODULE: usize = 8;
/// Light modules around the code, as the QR standard asks.
pub(crate) const QUIET_ZONE: usize = 4;
const QR_SIZE_PT: f32 = 190.0;

const INTRO: [&str; 3] = [
    "This kit holds your client key. idp-vault needs it, together with your account",
    "password, to unlock your vault on a new device or after reinstalling this one.",
    "The password alone cannot open the vault, and neither can the key alone.",
];

const KEEP: [&str; 4] = [
    "Where to keep it",
    "- Print this page and keep it with your important papers, or keep the file on a USB",
    "  stick or in storage that only you can reach. Do not send it by e-mail or chat.",
    "- Keep it apart from your password: anyone who has both can open your vault.",
];

const LOST: [&str; 4] = [
    "If you lose it",
    "Support cannot recover your client key or your vault: nobody but you has them. If no",
    "device can unlock the vault and no kit is left, the vault can only be reset, which",
    "deletes every item in it.",
];

/// Renders the one-page A4 PDF kit.
pub fn render_pdf(info: &KitInfo<'_>) -> Result<Vec<u8>, RenderError> {
    let qr = QrModules::new(&info.vault_id, info.key)?;
    let mut doc = PdfDocument::new("ID Protection emergency kit");
    let image = qr_image(&qr);
    let px = image.width;
    let image_id = doc.add_image(&image);

    let mut ops = Vec::with_capacity(128);
    let mut y = PAGE_H - MARGIN - 20.0;
    text(
        &mut ops,
        BuiltinFont::HelveticaBold,
        24.0,
        MARGIN,
        y,
        "ID Protection emergency kit",
    );
    y -= 22.0;
    let vault_line = format!("For the vault \"{}\"", info.shown_name());
    text(
        &mut ops,
        BuiltinFont::Helvetica,
        12.0,
        MARGIN,
        y,
        &vault_line,
    );
    y -= 30.0;
    for line in INTRO {
        text(&mut ops, BuiltinFont::Helvetica, 11.0, MARGIN, y, line);
        y -= 15.0;
    }

    // The key, in a tinted box: two lines of three groups, large enough to
    // type from a printout without mistaking one symbol for another.
    y -= 18.0;
    let box_h = 104.0;
    ops.push(Op::SetFillColor { col: grey(0.93) });
    ops.push(Op::DrawRectangle {
        rectangle: Rect {
            x: Pt(MARGIN),
            y: Pt(y - box_h),
            width: Pt(PAGE_W - 2.0 * MARGIN),
            height: Pt(box_h),
            mode: Some(PaintMode::Fill),
            winding_order: None,
        },
    });
    ops.push(Op::SetFillColor { col: grey(0.0) });
    text(
        &mut ops,
        BuiltinFont::HelveticaBold,
        10.0,
        MARGIN + 14.0,
        y - 18.0,
        "YOUR CLIENT KEY",
    );
    let groups = info.key_groups();
    for (i, line) in groups.chunks(3).enumerate() {
        let line = Zeroizing::new(line.join("-"));
        let ly = y - 50.0 - 34.0 * i as f32;
        text(
            &mut ops,
            BuiltinFont::CourierBold,
            28.0,
            MARGIN + 14.0,
            ly,
            &line,
        );
    }
    y -= box_h + 24.0;

    // The QR code on the left, the vault's details on the right.
    let qr_top = y;
    ops.push(Op::UseXobject {
        id: image_id,
        transform: XObjectTransform {
            translate_x: Some(Pt(MARGIN)),
            translate_y: Some(Pt(qr_top - QR_SIZE_PT)),
            dpi: Some(px as f32 * 72.0 / QR_SIZE_PT),
            ..Default::default()
        },
    });
    let dx = MARGIN + QR_SIZE_PT + 24.0;
    let mut dy = qr_top - 20.0;
    let vault_id = info.vault_id.to_hex();
    let created = info.created_date();
    let check = info.check();
    let details: [(&str, &str, BuiltinFont); 4] = [
        ("Vault name", &info.shown_name(), BuiltinFont::Helvetica),
        ("Vault ID", &vault_id, BuiltinFont::Courier),
        ("Created (UTC)", &created, BuiltinFont::Helvetica),
        ("Check", &check, BuiltinFont::CourierBold),
    ];
    for (label, value, font) in details {
        text(&mut ops, BuiltinFont::HelveticaBold, 9.0, dx, dy, label);
        text(&mut ops, font, 11.0, dx, dy - 14.0, value);
        dy -= 38.0;
    }
    text(
        &mut ops,
        BuiltinFont::Helvetica,
        8.5,
        dx,
        dy + 4.0,
        "\"idp vault info\" shows the same check for this key.",
    );
    y = qr_top - QR_SIZE_PT - 10.0;
    text(
        &mut ops,
        BuiltinFont::Helvetica,
        9.0,
        MARGIN,
        y,
        "On a new device, run \"idp unlock --kit FILE\" or put this file in your Downloads folder.",
    );

    y -= 34.0;
    for block in [&KEEP[..], &LOST[..]] {
        for (i, line) in block.iter().enumerate() {
            let font = if i == 0 {
                BuiltinFont::HelveticaBold
            } else {
                BuiltinFont::Helvetica
            };
            text(
                &mut ops,
                font,
                if i == 0 { 13.0 } else { 11.0 },
                MARGIN,
                y,
                line,
            );
            y -= if i == 0 { 18.0 } else { 15.0 };
        }
        y -= 14.0;
    }
    text(
        &mut ops,
        BuiltinFont::Helvetica,
        8.0,
        MARGIN,
        MARGIN - 20.0,
        "Made by idp-vault. This kit never contains your account password.",
    );

    let page = PdfPage::new(Mm(210.0), Mm(297.0), ops);
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: Some(ImageOptimizationOptions {
            quality: None,
            max_image_size: None,
            dither_greyscale: Some(false),
            convert_to_greyscale: Some(false),
            auto_optimize: Some(false),
            format: Some(ImageCompression::Flate),
        }),
    };
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(vec![page]).save(&opts, &mut warnings);
    Ok(bytes)
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

/// One line of text in its own text object, so positions are absolute.
fn text(ops: &mut Vec<Op>, font: BuiltinFont, size: f32, x: f32, y: f32, s: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(font),
        size: Pt(size),
    });
    ops.push(Op::SetTextCursor {
        pos: Point { x: Pt(x), y: Pt(y) },
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(s.to_owned())],
    });
    ops.push(Op::EndTextSection);
}

/// The QR code with its quiet zone as an 8-bit grey image.
fn qr_image(qr: &QrModules) -> RawImage {
    let modules = qr.width() + 2 * QUIET_ZONE;
    let px = modules * QR_PX_PER_MODULE;
    let mut pixels = vec![255u8; px * px];
    for y in 0..px {
        let my = (y / QR_PX_PER_MODULE).wrapping_sub(QUIET_ZONE);
        for x in 0..px {
            let mx = (x / QR_PX_PER_MODULE).wrapping_sub(QUIET_ZONE);
            if qr.is_dark(mx, my) {
                pixels[y * px + x] = 0;
            }
        }
    }
    RawImage {
        pixels: RawImageData::U8(pixels),
        width: px,
        height: px,
        data_format: RawImageFormat::R8,
        tag: Vec::new(),
    }
}
