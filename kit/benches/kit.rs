//! Figures for issue 4: rendering each kit (target ≤ 20 ms) and reading it
//! back (target ≤ 100 ms), the PDF by its text layer and by its QR code
//! separately.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use idp_kit::{KitInfo, Limits, recognise_bytes, render_pdf, render_png};
use idp_vault::{ClientKey, VaultId};

#[path = "../tests/support/pdf_surgery.rs"]
#[allow(dead_code, reason = "shared with the tests, which use all of it")]
mod pdf_surgery;

fn bench(c: &mut Criterion) {
    let key = ClientKey::generate().expect("rng");
    let info = KitInfo {
        vault_name: "Personal",
        vault_id: VaultId::random().expect("rng"),
        created: SystemTime::now(),
        key: &key,
    };
    let limits = Limits::default();
    let pdf = render_pdf(&info).expect("pdf");
    let png = render_png(&info).expect("png");
    // The same PDF without its QR image, and without its text, so each path
    // is timed alone.
    let text_only = pdf_surgery::strip_pdf_images(&pdf);
    let qr_only = pdf_surgery::strip_pdf_text(&pdf);

    let mut g = c.benchmark_group("kit");
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("render_pdf", |b| b.iter(|| render_pdf(black_box(&info))));
    g.bench_function("render_png", |b| b.iter(|| render_png(black_box(&info))));
    g.bench_function("recognise_pdf_both", |b| {
        b.iter(|| recognise_bytes(black_box(&pdf), &limits).expect("read"))
    });
    g.bench_function("recognise_pdf_text", |b| {
        b.iter(|| recognise_bytes(black_box(&text_only), &limits).expect("read"))
    });
    g.bench_function("recognise_pdf_qr", |b| {
        b.iter(|| recognise_bytes(black_box(&qr_only), &limits).expect("read"))
    });
    g.bench_function("recognise_png", |b| {
        b.iter(|| recognise_bytes(black_box(&png), &limits).expect("read"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
