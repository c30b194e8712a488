//! The person's Downloads folder: `XDG_DOWNLOAD_DIR` from
//! `$XDG_CONFIG_HOME/user-dirs.dirs` (as `xdg-user-dirs` writes it), else
//! `~/Downloads`.

use std::path::{Path, PathBuf};

/// Reads `XDG_DOWNLOAD_DIR="$HOME/…"` out of a `user-dirs.dirs` text.
fn from_user_dirs(text: &str, home: &Path) -> Option<PathBuf> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("XDG_DOWNLOAD_DIR="))?;
    let value = line
        .trim_start_matches("XDG_DOWNLOAD_DIR=")
        .trim_matches('"');
    let path = match value.strip_prefix("$HOME") {
        Some(rest) => home.join(rest.trim_start_matches('/')),
        None => PathBuf::from(value),
    };
    // A Downloads folder that is the home folder itself means "not set".
    (path.is_absolute() && path != home).then_some(path)
}

pub fn dir() -> Option<PathBuf> {
    let home = PathBuf::from(std::env::var_os("HOME")?);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    std::fs::read_to_string(config.join("user-dirs.dirs"))
        .ok()
        .and_then(|text| from_user_dirs(&text, &home))
        .or_else(|| Some(home.join("Downloads")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_dirs_lines() {
        let home = Path::new("/home/ann");
        let text = "# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n";
        assert_eq!(
            from_user_dirs(text, home),
            Some(PathBuf::from("/home/ann/Téléchargements"))
        );
        assert_eq!(
            from_user_dirs("XDG_DOWNLOAD_DIR=\"/data/dl\"", home),
            Some(PathBuf::from("/data/dl"))
        );
        assert_eq!(from_user_dirs("XDG_DOWNLOAD_DIR=\"$HOME/\"", home), None);
        assert_eq!(from_user_dirs("", home), None);
    }
}
