//! Text from the vault or its folder, made safe to show on a terminal or in
//! a desktop notification.
//!
//! Item names, usernames, URLs, the vault name and file names come from
//! places anyone who can write to the synced folder controls. Printed raw, an
//! `ESC [ 2 J` clears the screen, a CR overwrites what a line said, an OSC 52
//! sequence writes the clipboard, and a right-to-left override makes
//! `evil` U+202E `gpj.exe` read as `evilexe.jpg`. So every such text is shown through
//! [`shown`], which replaces:
//!
//! * C0 controls (U+0000-U+001F, including ESC, CR, LF and TAB) and DEL with
//!   `\n`, `\r`, `\t` or `\x1b`-style escapes;
//! * C1 controls (U+0080-U+009F, which some terminals obey like ESC) and the
//!   invisible direction controls (U+061C, U+200E-U+200F, U+202A-U+202E,
//!   U+2066-U+2069) and the line and paragraph separators (U+2028-U+2029)
//!   with `\u{...}` escapes.
//!
//! Everything else passes unchanged, backslashes included: an escape is for
//! reading, not for parsing back (`--json` is for scripts). [`multiline`]
//! keeps LF and TAB for texts whose lines are meant, such as notes.

use std::borrow::Cow;

/// Whether `c` is replaced by an escape when shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with every control and direction character escaped: for one-line
/// values (names, usernames, URLs, paths, messages).
pub fn shown(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// `text` with control and direction characters escaped except LF and TAB:
/// for texts whose lines are meant (notes, several URLs).
pub fn multiline(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// [`shown`], cut to at most `max` characters (an ellipsis and the count of
/// characters left out mark a cut), for columns and one-line reports.
pub fn clipped(text: &str, max: usize) -> Cow<'_, str> {
    let safe = shown(text);
    let count = safe.chars().count();
    if count <= max {
        return safe;
    }
    let keep: String = safe.chars().take(max).collect();
    Cow::Owned(format!("{keep}… ({} more characters)", count - max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for t in ["github", "é 漢字 😀", "a\\x1b literal backslash", ""] {
            assert!(matches!(shown(t), Cow::Borrowed(s) if s == t));
        }
    }

    #[test]
    fn c0_del_and_c1_controls_are_escaped() {
        assert_eq!(shown("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(shown("x\ry\nz\t"), "x\\ry\\nz\\t");
        assert_eq!(shown("\0\x07\x7f"), "\\x00\\x07\\x7f");
        assert_eq!(shown("\u{9b}31m\u{85}"), "\\u{9b}31m\\u{85}");
        assert_eq!(
            shown("\x1b]52;c;aGk=\x07"),
            "\\x1b]52;c;aGk=\\x07",
            "OSC 52 cannot reach the clipboard"
        );
    }

    #[test]
    fn direction_controls_and_separators_are_escaped() {
        assert_eq!(shown("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        for c in ['\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{200f}'] {
            assert!(!shown(&format!("a{c}b")).contains(c), "{c:?}");
        }
        assert_eq!(shown("a\u{2028}b"), "a\\u{2028}b");
    }

    #[test]
    fn no_output_byte_is_a_control_byte() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = shown(&all);
        assert!(!out.chars().any(is_unsafe));
        assert!(!out.bytes().any(|b| b < 0x20 || b == 0x7f));
    }

    #[test]
    fn multiline_keeps_lines_and_tabs_only() {
        assert_eq!(multiline("a\n\tb\r\x1bc"), "a\n\tb\\r\\x1bc");
    }

    #[test]
    fn clipped_cuts_long_text_after_escaping() {
        assert_eq!(clipped("short", 10), "short");
        assert_eq!(clipped("abcdefghij", 4), "abcd… (6 more characters)");
        assert_eq!(clipped("\x1b\x1b", 4), "\\x1b… (4 more characters)");
        let huge = "n".repeat(70_000);
        let cut = clipped(&huge, 100);
        assert!(cut.starts_with(&"n".repeat(100)) && cut.ends_with("… (69900 more characters)"));
    }
}
