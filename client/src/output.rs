//! Writing results: human text by default, JSON for scripts. A closed pipe
//! (`idp list | head -1`) ends output quietly.
//!
//! Every text that came from the vault or its folder (names, usernames,
//! URLs, paths, notices, file names) goes through [`shown`] or [`name`]
//! before it is printed for a person, so control and direction characters
//! reach the terminal as visible escapes (see `idp_proto::text`). JSON
//! escapes them as JSON does. A value printed on purpose ([`value`]) is
//! written byte for byte unless stdout is a terminal.

use std::io::{ErrorKind, IsTerminal, Write};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{CliError, Exit};

pub use idp_proto::text::{clipped, shown};

/// Most characters of an item name shown in a one-line message.
const NAME_SHOWN: usize = 200;

/// An item name (or another one-line text from the vault) as shown in a
/// message: escaped, and cut if very long.
pub fn name(text: &str) -> std::borrow::Cow<'_, str> {
    clipped(text, NAME_SHOWN)
}

/// Writes `text` and a newline to stdout.
pub fn line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(CliError::from),
    }
}

/// Writes a value a person asked for (`idp get`): byte for byte to a pipe or
/// a file, as `pass` and `rbw` do, so `idp get x | cmd` sees exactly what is
/// stored. On a terminal, control and direction characters other than LF
/// and TAB are shown escaped, so a stored value cannot drive the terminal,
/// and a note on stderr says so and how to get the exact bytes.
pub fn value(text: &str) -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() {
        return line(text);
    }
    match idp_proto::text::multiline(text) {
        std::borrow::Cow::Borrowed(t) => line(t),
        std::borrow::Cow::Owned(escaped) => {
            let escaped = Zeroizing::new(escaped);
            line(&escaped)?;
            eprintln!(
                "idp: the value holds control characters, shown escaped (such as \\x1b) on this \
                 terminal; pipe it (`idp get NAME | ...`) or use `idp copy` for the exact bytes"
            );
            Ok(())
        }
    }
}

/// Writes `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        CliError::new(
            Exit::Error,
            format!("cannot encode JSON: {e}"),
            "report this as a bug",
        )
    })?;
    line(&text)
}

/// A unix-millisecond time as `YYYY-MM-DD HH:MM UTC`.
pub fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = idp_vault::date::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// A duration in seconds as `1 h 5 min`, `14 min 3 s`, `9 s`.
pub fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(duration(9), "9 s");
        assert_eq!(duration(843), "14 min 3 s");
        assert_eq!(duration(3900), "1 h 5 min");
    }
}
