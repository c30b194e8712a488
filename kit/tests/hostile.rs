//! Hostile files: each is refused within the limits, quickly, without a
//! panic and without the process's peak memory growing past a bound.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use idp_kit::{
    KitError, Limits, Unreadable, recognise_bytes, recognise_file, render_pdf, render_png,
};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

use crate::support::{Sample, vm_hwm_kib};

/// Peak memory any one hostile file may add. The decompression budget is
/// 64 MiB; a reader without limits would need gigabytes for these files.
const MAX_GROWTH_KIB: u64 = 400 * 1024;
const MAX_TIME: Duration = Duration::from_secs(6);

/// Reads `bytes` under the default limits, inside `catch_unwind` so a
/// panic fails this test with its name rather than aborting the others.
fn refuse(name: &str, bytes: &[u8]) -> KitError {
    let before = vm_hwm_kib();
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        recognise_bytes(bytes, &Limits::default())
    }))
    .unwrap_or_else(|_| panic!("{name}: the reader panicked"));
    let took = started.elapsed();
    let grew = vm_hwm_kib().saturating_sub(before);
    eprintln!("{name}: {took:?}, peak memory +{grew} KiB, {result:?}");
    assert!(took < MAX_TIME, "{name}: took {took:?}");
    assert!(grew < MAX_GROWTH_KIB, "{name}: peak memory grew {grew} KiB");
    match result {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e,
    }
}

/// A one-page PDF whose page content is `content` (already compressed
/// with `filter`, if any) and whose page dictionary gets `extra` entries.
pub(crate) fn pdf_with_content(
    content: Vec<u8>,
    filter: Option<&str>,
    extra: Dictionary,
) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut dict = Dictionary::new();
    if let Some(f) = filter {
        dict.set("Filter", Object::Name(f.as_bytes().to_vec()));
    }
    let mut stream = Stream::new(dict, content);
    stream.allows_compression = false;
    let content_id = doc.add_object(stream);
    let mut page = dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    for (k, v) in extra.into_iter() {
        page.set(k, v);
    }
    let page_id = doc.add_object(page);
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// `n` zero bytes, zlib-compressed (about 1 MB per GiB).
pub(crate) fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..n >> 20 {
        enc.write_all(&chunk).expect("compress");
    }
    enc.finish().expect("compress")
}

#[test]
fn pdf_decompression_bomb_is_refused() {
    let bomb = zlib_zeros(1 << 30);
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    let pdf = pdf_with_content(bomb.clone(), Some("FlateDecode"), Dictionary::new());
    let err = refuse("content-stream bomb", &pdf);
    assert!(
        matches!(
            err,
            KitError::Unreadable(Unreadable::DecompressionLimit { .. })
        ),
        "{err}"
    );

    // The same bomb as an image that claims to be small.
    let mut image = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 1000, "Height" => 1000,
            "BitsPerComponent" => 8, "ColorSpace" => "DeviceGray", "Filter" => "FlateDecode",
        },
        bomb,
    );
    image.allows_compression = false;
    let mut doc = Document::load_mem(&pdf_with_content(b"q Q".to_vec(), None, Dictionary::new()))
        .expect("load");
    let image_id = doc.add_object(image);
    let page = *doc.get_pages().values().next().expect("page");
    doc.get_dictionary_mut(page).expect("page").set(
        "Resources",
        dictionary! { "XObject" => dictionary! { "Im1" => image_id } },
    );
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    let err = refuse("image bomb", &out);
    assert!(
        matches!(
            err,
            KitError::Unreadable(Unreadable::DecompressionLimit { .. })
        ),
        "{err}"
    );
}

pub(crate) fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[test]
fn huge_png_is_refused_from_its_header() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &zlib_zeros(1 << 20));
    png_chunk(&mut png, b"IEND", &[]);
    assert!(png.len() < 10_000);
    let err = refuse("20000x20000 PNG", &png);
    assert!(
        matches!(
            err,
            KitError::Unreadable(Unreadable::TooManyPixels { width: 20_000, .. })
        ),
        "{err}"
    );
}

#[test]
fn deeply_nested_pdfs_are_refused() {
    let depth = 200_000;
    let mut nested = Vec::with_capacity(depth * 2 + 100);
    nested.extend_from_slice(b"%PDF-1.7\n1 0 obj\n");
    nested.extend(std::iter::repeat_n(b'[', depth));
    nested.extend(std::iter::repeat_n(b']', depth));
    nested.extend_from_slice(b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    refuse("nested arrays", &nested);

    let mut dicts = b"%PDF-1.7\n1 0 obj\n".to_vec();
    for _ in 0..depth / 4 {
        dicts.extend_from_slice(b"<</A ");
    }
    for _ in 0..depth / 4 {
        dicts.extend_from_slice(b">>");
    }
    dicts.extend_from_slice(b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    refuse("nested dictionaries", &dicts);

    // A page tree 100,000 levels deep.
    let levels = 100_000;
    let mut tree = b"%PDF-1.7\n".to_vec();
    tree.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    for i in 2..levels + 2 {
        tree.extend_from_slice(
            format!(
                "{i} 0 obj << /Type /Pages /Kids [{} 0 R] /Count 1 >> endobj\n",
                i + 1
            )
            .as_bytes(),
        );
    }
    tree.extend_from_slice(format!("{} 0 obj << /Type /Page >> endobj\n", levels + 2).as_bytes());
    tree.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    refuse("deep page tree", &tree);
}

#[test]
fn truncated_kits_are_refused_or_read_correctly() {
    let sample = Sample::new();
    let info = sample.info();
    let png = render_png(&info).expect("png");
    for cut in [16, 100, png.len() / 3, png.len() / 2, png.len() - 20] {
        let err = refuse("truncated PNG", &png[..cut]);
        assert!(matches!(err, KitError::Unreadable(_)), "{err}");
    }
    // lopdf rebuilds a damaged cross-reference table, so part of a PDF may
    // still be read; what must never happen is a wrong key.
    let pdf = render_pdf(&info).expect("pdf");
    for cut in [10, 200, pdf.len() / 3, pdf.len() / 2, pdf.len() - 30] {
        match recognise_bytes(&pdf[..cut], &Limits::default()) {
            Ok(found) => assert!(found.key == sample.key, "truncated at {cut}: wrong key"),
            Err(e) => eprintln!("PDF truncated at {cut}/{}: {e}", pdf.len()),
        }
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("rng");
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn random_bytes_named_like_kits_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = Limits::default();
    for (name, prefix) in [
        ("ID Protection client key 12345.pdf", &b""[..]),
        ("ID Protection client key 12346.pdf", b"%PDF-1.7\n"),
        ("IDP_CLIENT_KEY_EMERGENCY_KIT1234567.png", b""),
        (
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234568.png",
            b"\x89PNG\r\n\x1a\n",
        ),
        (
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234569.jpg",
            b"\xff\xd8\xff\xe0",
        ),
    ] {
        for _ in 0..20 {
            let mut bytes = prefix.to_vec();
            bytes.extend(random_bytes(64 * 1024));
            let path = write(dir.path(), name, &bytes);
            let result = catch_unwind(AssertUnwindSafe(|| recognise_file(&path, &limits)))
                .unwrap_or_else(|_| panic!("{name}: panicked"));
            let err = result.expect_err("random bytes accepted");
            assert!(matches!(err, KitError::Unreadable(_)), "{name}: {err}");
            assert!(err.to_string().starts_with("not a readable kit"), "{err}");
        }
    }
    let empty = write(dir.path(), "ID Protection client key 00001.pdf", b"");
    assert!(matches!(
        recognise_file(&empty, &limits),
        Err(KitError::Unreadable(Unreadable::Empty))
    ));
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ID Protection client key 12345.pdf");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(21 * 1024 * 1024).expect("sparse file");
    let started = Instant::now();
    let err = recognise_file(&path, &Limits::default()).expect_err("refused");
    assert!(started.elapsed() < Duration::from_millis(50));
    assert!(
        matches!(err, KitError::Unreadable(Unreadable::TooLarge { .. })),
        "{err}"
    );
}

#[test]
fn links_folders_and_fifos_are_not_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Sample::new();
    let real = write(
        dir.path(),
        "real.pdf",
        &render_pdf(&sample.info()).expect("render"),
    );
    let link = dir.path().join("ID Protection client key 12345.pdf");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let fifo = dir.path().join("ID Protection client key 12346.pdf");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(status.success());
    let limits = Limits::default();
    for (path, kind) in [
        (&link, "a symbolic link"),
        (&fifo, "a FIFO"),
        (&dir.path().to_path_buf(), "a folder"),
    ] {
        match recognise_file(path, &limits) {
            Err(KitError::NotRegularFile { kind: k, .. }) => assert_eq!(k, kind),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    assert!(recognise_file(&real, &limits).is_ok());
}

#[test]
fn the_time_budget_is_enforced() {
    let sample = Sample::new();
    let png = render_png(&sample.info()).expect("render");
    let mut limits = Limits::default();
    limits.max_time = Duration::ZERO;
    assert!(matches!(
        recognise_bytes(&png, &limits),
        Err(KitError::Unreadable(Unreadable::TimeLimit { .. }))
    ));
}

/// Kits with random bytes changed, cut or repeated: a small stand-in for the
/// fuzz targets that runs on stable in every test run. Never a panic, and
/// never a key other than the kit's own.
#[test]
fn mutated_kits_never_panic_nor_give_a_wrong_key() {
    let sample = Sample::new();
    let info = sample.info();
    let limits = Limits::default();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut read = 0;
    for original in [
        render_pdf(&info).expect("pdf"),
        render_png(&info).expect("png"),
    ] {
        for round in 0..150 {
            let mut bytes = original.clone();
            match round % 3 {
                0 => {
                    for _ in 0..1 + next(8) {
                        let i = next(bytes.len());
                        bytes[i] = next(256) as u8;
                    }
                }
                1 => bytes.truncate(next(bytes.len())),
                _ => {
                    let (a, b) = (next(bytes.len()), next(bytes.len()));
                    let (a, b) = (a.min(b), a.max(b).min(a + 4096));
                    let chunk = bytes[a..b].to_vec();
                    bytes.splice(a..a, chunk);
                }
            }
            let result = catch_unwind(AssertUnwindSafe(|| recognise_bytes(&bytes, &limits)))
                .unwrap_or_else(|_| panic!("panicked on mutation {round}"));
            if let Ok(found) = result {
                assert!(found.key == sample.key, "mutation {round}: wrong key");
                read += 1;
            }
        }
    }
    eprintln!("mutated kits: {read}/300 still read correctly, the rest refused");
}
