//! Kit file names: made with a random number, recognised with the changes
//! browsers and people make to them.
//!
//! ```text
//!   ID Protection client key NNNNN.pdf            (5 digits)
//!   IDP_CLIENT_KEY_EMERGENCY_KITNNNNNNN.png       (7 digits)
//! ```
//!
//! Recognition ignores case, accepts a missing extension, a browser's copy
//! suffix (` (1)`, `(1)`, `-1`, `_1`), and `.jpg`/`.jpeg` for the image kit
//! (phones convert screenshots). A download still being written
//! (`.part`, `.crdownload`) is not a kit yet.

use std::fmt;

/// The two kinds of kit file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KitFormat {
    /// The A4 page for printing.
    Pdf,
    /// The phone-screen image.
    Png,
}

impl fmt::Display for KitFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KitFormat::Pdf => "PDF",
            KitFormat::Png => "PNG",
        })
    }
}

impl KitFormat {
    /// The format as `idp-kit` names it on its command line.
    pub fn arg(self) -> &'static str {
        match self {
            KitFormat::Pdf => "pdf",
            KitFormat::Png => "png",
        }
    }

    /// The format `arg` names, if any.
    pub fn from_arg(arg: &str) -> Option<Self> {
        [KitFormat::Pdf, KitFormat::Png]
            .into_iter()
            .find(|f| f.arg() == arg)
    }
}

const PDF_STEM: &str = "id protection client key ";
const PDF_DIGITS: usize = 5;
const PNG_STEM: &str = "idp_client_key_emergency_kit";
const PNG_DIGITS: usize = 7;

impl KitFormat {
    /// The file name for this format and number; only the number's last
    /// 5 (PDF) or 7 (PNG) decimal digits are used.
    pub fn file_name(self, number: u32) -> String {
        match self {
            KitFormat::Pdf => format!("ID Protection client key {:05}.pdf", number % 100_000),
            KitFormat::Png => format!("IDP_CLIENT_KEY_EMERGENCY_KIT{:07}.png", number % 10_000_000),
        }
    }

    /// How many different file names there are for this format.
    pub(crate) fn name_count(self) -> u32 {
        match self {
            KitFormat::Pdf => 100_000,
            KitFormat::Png => 10_000_000,
        }
    }
}

/// Which kit a file name belongs to, if any. Judges the name only; the
/// content decides whether it really is a kit. Spaces around the name are
/// tolerated; a name with any other white space or a control character
/// (a line break, an escape) is no kit's, so such a name never reaches a
/// log line or a notification.
pub fn name_kind(file_name: &str) -> Option<KitFormat> {
    if file_name
        .chars()
        .any(|c| c.is_control() || (c.is_whitespace() && c != ' '))
    {
        return None;
    }
    let lower = file_name.trim_matches(' ').to_ascii_lowercase();
    let (stem, ext) = split_extension(&lower);
    let stem = strip_copy_suffix(stem);
    let kind = if let Some(rest) = stem.strip_prefix(PDF_STEM) {
        is_digits(rest, PDF_DIGITS).then_some(KitFormat::Pdf)?
    } else if let Some(rest) = stem.strip_prefix(PNG_STEM) {
        is_digits(rest, PNG_DIGITS).then_some(KitFormat::Png)?
    } else {
        return None;
    };
    match (kind, ext) {
        (_, None) | (KitFormat::Pdf, Some("pdf")) => Some(kind),
        (KitFormat::Png, Some("png" | "jpg" | "jpeg")) => Some(kind),
        _ => None,
    }
}

/// Splits a known extension off; an unknown one (`.part`) stays in the stem
/// and so fails the digit check.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    if let Some((stem, ext)) = name.rsplit_once('.')
        && matches!(ext, "pdf" | "png" | "jpg" | "jpeg")
    {
        return (stem, Some(ext));
    }
    (name, None)
}

/// Removes ` (12)`, `(12)`, `-12` or `_12` at the end. Only a short number
/// counts, so the kit's own digits are never taken for a suffix.
fn strip_copy_suffix(stem: &str) -> &str {
    if let Some(inner) = stem.strip_suffix(')')
        && let Some((before, n)) = inner.rsplit_once('(')
        && is_short_number(n)
    {
        return before.trim_end();
    }
    if let Some((before, n)) = stem.rsplit_once(['-', '_'])
        && is_short_number(n)
    {
        return before.trim_end();
    }
    stem
}

fn is_short_number(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_digits(s: &str, count: usize) -> bool {
    s.len() == count && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_names_are_recognised() {
        for n in [0, 7, 99_999, 123_456_789] {
            for kind in [KitFormat::Pdf, KitFormat::Png] {
                assert_eq!(name_kind(&kind.file_name(n)), Some(kind));
            }
        }
        assert_eq!(
            KitFormat::Pdf.file_name(42),
            "ID Protection client key 00042.pdf"
        );
        assert_eq!(
            KitFormat::Png.file_name(42),
            "IDP_CLIENT_KEY_EMERGENCY_KIT0000042.png"
        );
    }

    #[test]
    fn browser_and_person_changes_are_tolerated() {
        let pdf = [
            "ID Protection client key 12345.pdf",
            "id protection client key 12345.PDF",
            "ID Protection client key 12345 (1).pdf",
            "ID Protection client key 12345(2).pdf",
            "ID Protection client key 12345-1.pdf",
            "ID Protection client key 12345_3.pdf",
            "ID Protection client key 12345",
            "ID Protection client key 12345 (1)",
            " ID Protection client key 12345.pdf ",
        ];
        for name in pdf {
            assert_eq!(name_kind(name), Some(KitFormat::Pdf), "{name}");
        }
        let png = [
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.png",
            "idp_client_key_emergency_kit1234567.PNG",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567 (1).png",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567-2.png",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.jpg",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.jpeg",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567",
        ];
        for name in png {
            assert_eq!(name_kind(name), Some(KitFormat::Png), "{name}");
        }
    }

    #[test]
    fn other_names_are_not_kits() {
        let others = [
            "ID Protection client key 1234.pdf",
            "ID Protection client key 123456.pdf",
            "ID Protection client key 12345.pdf.part",
            "ID Protection client key 12345.pdf.crdownload",
            "ID Protection client key 12345.png",
            "ID Protection client key abcde.pdf",
            "IDP_CLIENT_KEY_EMERGENCY_KIT123456.png",
            "IDP_CLIENT_KEY_EMERGENCY_KIT12345678.png",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.pdf",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.png.part",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567 (1234).png",
            "holiday.png",
            "",
            ".pdf",
            "ID Protection client key 12345.pdf\n",
            "\rID Protection client key 12345.pdf",
            "ID Protection client key 12345.pdf\t",
            "ID Protection client key 12345.pdf\u{2028}",
            "ID Protection client key 12345\u{1b}[2J.pdf",
            "IDP_CLIENT_KEY_EMERGENCY_KIT1234567.png\u{85}",
        ];
        for name in others {
            assert_eq!(name_kind(name), None, "{name}");
        }
    }
}
