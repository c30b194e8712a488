//! The reader inside its sandbox: every kind of kit and hostile file the
//! in-process tests use is read again through `idp-kit read`, which
//! enters Landlock and the seccomp allowlist before it reads a byte, and
//! must give the answer the library gives in this process. A system call
//! the decoders need but the allowlist lacks shows up here as a helper
//! killed by `SIGSYS`.

use std::path::{Path, PathBuf};

use idp_kit::helper::{Helper, HelperError};
use idp_kit::{Limits, recognise_bytes, render_pdf, render_png};
use lopdf::Dictionary;

use crate::degraded::{kit, named_cases};
use crate::hostile::{pdf_with_content, png_chunk, zlib_zeros};
use crate::support::Sample;

fn helper() -> Helper {
    Helper::new(PathBuf::from(env!("CARGO_BIN_EXE_idp-kit")))
}

/// Reads `bytes` here and in the sandboxed helper; both must agree, and a
/// kit read in the helper must have been read with both layers on.
fn same_answer(dir: &Path, name: &str, bytes: &[u8], sample: Option<&Sample>) {
    let path = dir.join("kit");
    std::fs::write(&path, bytes).expect("write");
    let here = recognise_bytes(bytes, &Limits::default());
    let there = helper().read(&path);
    match (here, there) {
        (Ok(here), Ok(there)) => {
            assert!(there.sandboxed, "{name}: read without the sandbox");
            assert!(here.key == there.key, "{name}: another key");
            assert_eq!(here.vault_id, there.vault_id, "{name}");
            if let Some(s) = sample {
                assert!(there.key == s.key, "{name}: not the kit's key");
            }
        }
        (Err(here), Err(HelperError::Refused(there))) => {
            assert_eq!(here.to_string(), there, "{name}");
        }
        (here, there) => panic!("{name}: here {here:?}, in the sandbox {there:?}"),
    }
}

#[test]
fn kits_and_degraded_copies_read_the_same_in_the_sandbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Sample::new();
    let info = sample.info();
    let pdf = render_pdf(&info).expect("pdf");
    let png = render_png(&info).expect("png");
    same_answer(dir.path(), "PDF kit", &pdf, Some(&sample));
    same_answer(dir.path(), "PNG kit", &png, Some(&sample));
    let (sample, img) = kit();
    for (name, bytes) in named_cases(&img) {
        same_answer(dir.path(), name, &bytes, Some(&sample));
    }
}

#[test]
fn hostile_files_are_refused_the_same_in_the_sandbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let bomb = pdf_with_content(zlib_zeros(1 << 30), Some("FlateDecode"), Dictionary::new());
    same_answer(d, "content-stream bomb", &bomb, None);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &zlib_zeros(1 << 20));
    png_chunk(&mut png, b"IEND", &[]);
    same_answer(d, "20000x20000 PNG", &png, None);

    let depth = 200_000;
    let mut nested = b"%PDF-1.7\n1 0 obj\n".to_vec();
    nested.extend(std::iter::repeat_n(b'[', depth));
    nested.extend(std::iter::repeat_n(b']', depth));
    nested.extend_from_slice(b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    same_answer(d, "nested arrays", &nested, None);

    let mut random = vec![0; 64 * 1024];
    getrandom::fill(&mut random).expect("rng");
    same_answer(d, "random bytes", &random, None);
    random[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    same_answer(d, "random bytes after a PNG signature", &random, None);
    random[..8].copy_from_slice(b"%PDF-1.7");
    same_answer(d, "random bytes after a PDF header", &random, None);
}

/// Damaged kits (bytes changed, cut, repeated) take the decoders down
/// paths a clean kit does not.
#[test]
fn mutated_kits_read_the_same_in_the_sandbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Sample::new();
    let info = sample.info();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for original in [
        render_pdf(&info).expect("pdf"),
        render_png(&info).expect("png"),
    ] {
        for round in 0..40 {
            let mut bytes = original.clone();
            match round % 3 {
                0 => {
                    for _ in 0..1 + next(8) {
                        let i = next(bytes.len());
                        bytes[i] = next(256) as u8;
                    }
                }
                1 => bytes.truncate(1 + next(bytes.len() - 1)),
                _ => {
                    let (a, b) = (next(bytes.len()), next(bytes.len()));
                    let (a, b) = (a.min(b), a.max(b).min(a + 4096));
                    let chunk = bytes[a..b].to_vec();
                    bytes.splice(a..a, chunk);
                }
            }
            same_answer(dir.path(), &format!("mutation {round}"), &bytes, None);
        }
    }
}
