//! Render → recognise gives back the same key and vault, over many keys.

use std::time::Instant;

use idp_kit::{KitFormat, Limits, ReadMethod, recognise_bytes, render_pdf, render_png};

use crate::support::{Sample, pdf_surgery};

const KEYS: usize = 1000;

/// Each of 1,000 random keys through the PDF and the PNG kit, on two
/// threads (the machine has two cores).
#[test]
fn thousand_random_keys_round_trip_through_pdf_and_png() {
    let started = Instant::now();
    let limits = Limits::default();
    let timings = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut t = [0u128; 4];
                    for _ in 0..KEYS / 2 {
                        let sample = Sample::new();
                        let info = sample.info();
                        let t0 = Instant::now();
                        let pdf = render_pdf(&info).expect("render pdf");
                        let t1 = Instant::now();
                        let found = recognise_bytes(&pdf, &limits).expect("read pdf");
                        let t2 = Instant::now();
                        assert!(found.key == sample.key);
                        assert_eq!(found.vault_id, sample.vault_id);
                        assert_eq!(found.format, KitFormat::Pdf);
                        assert!(matches!(found.method, ReadMethod::PdfTextAndQr(_)));
                        let png = render_png(&info).expect("render png");
                        let t3 = Instant::now();
                        let found = recognise_bytes(&png, &limits).expect("read png");
                        let t4 = Instant::now();
                        assert!(found.key == sample.key);
                        assert_eq!(found.vault_id, sample.vault_id);
                        assert!(matches!(found.method, ReadMethod::ImageQr(_)));
                        for (slot, d) in t.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3]) {
                            *slot += d.as_micros();
                        }
                    }
                    t
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .fold([0u128; 4], |a, b| {
                [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
            })
    });
    let per = |us: u128| us as f64 / KEYS as f64 / 1000.0;
    eprintln!(
        "round trip of {KEYS} keys: {:.1} s wall; mean ms render_pdf {:.2}, read_pdf {:.2}, render_png {:.2}, read_png {:.2}",
        started.elapsed().as_secs_f64(),
        per(timings[0]),
        per(timings[1]),
        per(timings[2]),
        per(timings[3]),
    );
}

#[test]
fn pdf_text_layer_alone_gives_the_key() {
    let sample = Sample::new();
    let pdf = render_pdf(&sample.info()).expect("render");
    let text_only = pdf_surgery::strip_pdf_images(&pdf);
    let found = recognise_bytes(&text_only, &Limits::default()).expect("read");
    assert!(found.key == sample.key);
    assert_eq!(found.vault_id, sample.vault_id);
    assert_eq!(found.method, ReadMethod::PdfText);
}

#[test]
fn pdf_qr_image_alone_gives_the_key() {
    let sample = Sample::new();
    let pdf = render_pdf(&sample.info()).expect("render");
    let qr_only = pdf_surgery::strip_pdf_text(&pdf);
    let found = recognise_bytes(&qr_only, &Limits::default()).expect("read");
    assert!(found.key == sample.key);
    assert_eq!(found.vault_id, sample.vault_id);
    assert!(matches!(found.method, ReadMethod::PdfQr(_)));
}

/// A kit whose QR image was taken from another kit: the text and the QR
/// disagree, and neither is trusted.
#[test]
fn text_and_qr_that_disagree_are_refused() {
    let a = Sample::new();
    let b = Sample::new();
    let pdf_a = render_pdf(&a.info()).expect("render");
    let pdf_b = render_pdf(&b.info()).expect("render");
    let forged = pdf_surgery::transplant_qr_image(&pdf_a, &pdf_b);
    let err = recognise_bytes(&forged, &Limits::default()).expect_err("refused");
    assert!(matches!(err, idp_kit::KitError::Disagree), "{err}");
    assert!(err.to_string().contains("use another copy"), "{err}");
}
