//! Readers that are not ours: zbarimg (zbar-tools) must decode the QR code
//! of both kits to our payload, and pdftotext (poppler-utils) must find the
//! key in the PDF's text. These tools are installed by `.ci/run`; a missing
//! tool fails the test rather than skipping it.

use std::path::Path;
use std::process::Command;

use idp_kit::{encode_payload, render_pdf, render_png};

use crate::support::Sample;

fn run(program: &str, package: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} could not run ({e}): install the {package} package"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn zbar(image: &Path) -> String {
    run(
        "zbarimg",
        "zbar-tools",
        &["--raw".as_ref(), "-q".as_ref(), image.as_os_str()],
    )
    .trim_end()
    .to_owned()
}

#[test]
fn zbarimg_decodes_the_png_kit_to_our_payload() {
    let sample = Sample::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kit.png");
    std::fs::write(&path, render_png(&sample.info()).expect("render")).expect("write");
    assert_eq!(zbar(&path), *encode_payload(&sample.vault_id, &sample.key));
}

#[test]
fn zbarimg_decodes_the_pdf_page_rendered_by_pdftoppm() {
    let sample = Sample::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = dir.path().join("kit.pdf");
    std::fs::write(&pdf, render_pdf(&sample.info()).expect("render")).expect("write");
    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    assert_eq!(
        zbar(&dir.path().join("page.png")),
        *encode_payload(&sample.vault_id, &sample.key)
    );
}

#[test]
fn pdftotext_finds_the_key_and_the_vault_id() {
    let sample = Sample::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = dir.path().join("kit.pdf");
    std::fs::write(&pdf, render_pdf(&sample.info()).expect("render")).expect("write");
    let text = run(
        "pdftotext",
        "poppler-utils",
        &["-layout".as_ref(), pdf.as_os_str(), "-".as_ref()],
    );
    let grouped = sample.key.expose_grouped().expose().to_owned();
    // Two lines of three groups, each line intact in the text.
    assert!(text.contains(&grouped[..20]), "{text}");
    assert!(text.contains(&grouped[21..]), "{text}");
    assert!(text.contains(&sample.vault_id.to_hex()), "{text}");
    assert!(text.contains("ID Protection emergency kit"), "{text}");
    assert!(text.contains(&sample.info().check()), "{text}");
}
