//! Saving kits: names, permissions, no overwriting, and reading them back.

use std::os::unix::fs::PermissionsExt;

use idp_kit::{KitFormat, Limits, SaveError, name_kind, recognise_file, save};

use crate::support::Sample;

#[test]
fn saved_kits_are_private_named_and_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Sample::new();
    for format in [KitFormat::Pdf, KitFormat::Png] {
        let path = save(dir.path(), format, &sample.info()).expect("save");
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(name_kind(name), Some(format), "{name}");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
        let found = recognise_file(&path, &Limits::default()).expect("read back");
        assert!(found.key == sample.key);
        assert_eq!(found.format, format);
    }
}

#[test]
fn saving_never_overwrites_and_picks_new_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Sample::new();
    let mut names = std::collections::HashSet::new();
    for _ in 0..20 {
        let path = save(dir.path(), KitFormat::Pdf, &sample.info()).expect("save");
        assert!(names.insert(path), "a name was reused");
    }
}

/// With every one of the 100,000 PDF names taken, saving fails with a
/// clear error and leaves every existing file as it was.
#[test]
fn a_folder_with_every_name_taken_is_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    for n in 0..100_000 {
        std::fs::write(dir.path().join(KitFormat::Pdf.file_name(n)), b"mine").expect("fill");
    }
    let sample = Sample::new();
    let err = save(dir.path(), KitFormat::Pdf, &sample.info()).expect_err("no free name");
    assert!(matches!(err, SaveError::NoFreeName { .. }), "{err}");
    for n in [0, 4217, 99_999] {
        let content = std::fs::read(dir.path().join(KitFormat::Pdf.file_name(n))).expect("read");
        assert_eq!(content, b"mine");
    }
}

#[test]
fn a_missing_folder_is_reported_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let sample = Sample::new();
    let err = save(&missing, KitFormat::Png, &sample.info()).expect_err("no folder");
    assert!(matches!(err, SaveError::Io { .. }), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
}
