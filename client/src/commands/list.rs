//! `idp list`.

use idp_proto::ItemSummary;

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

/// The widest the name column grows; longer names push their line on.
const NAME_COLUMN: usize = 40;
/// Most characters of a name, username or URL shown in a row.
const CELL: usize = 100;

/// One row: `name  username  url`, each escaped and cut, the name padded
/// to `width` characters.
fn row(i: &ItemSummary, width: usize) -> String {
    let name = output::clipped(&i.name, CELL);
    let user = output::clipped(i.username.as_deref().unwrap_or(""), CELL);
    let url = output::clipped(i.urls.first().map(String::as_str).unwrap_or(""), CELL);
    let pad = width.saturating_sub(name.chars().count());
    format!("{name}{:pad$}  {user}  {url}", "")
        .trim_end()
        .to_owned()
}

/// Prints items as `name  username  url`, one per line.
pub fn print(items: &[ItemSummary], json: bool) -> Result<(), CliError> {
    if json {
        return output::json(&items);
    }
    let width = items
        .iter()
        .map(|i| output::clipped(&i.name, CELL).chars().count())
        .max()
        .unwrap_or(0)
        .min(NAME_COLUMN);
    for i in items {
        output::line(&row(i, width))?;
    }
    Ok(())
}

pub async fn run(json: bool) -> Result<(), CliError> {
    let agent = connect().await?;
    let items = agent.client.list(ctx(60)).await??;
    print(&items, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, user: &str, url: &str) -> ItemSummary {
        ItemSummary {
            id: "00".into(),
            kind: idp_proto::ItemKind::Login,
            name: name.into(),
            username: Some(user.into()),
            urls: vec![url.into()],
            tags: Vec::new(),
            modified: 0,
        }
    }

    #[test]
    fn rows_line_up_and_escape_what_came_from_the_vault() {
        assert_eq!(
            row(&item("gh", "octo", "https://x"), 5),
            "gh     octo  https://x"
        );
        let r = row(&item("a\x1b[2J\r", "u\u{202e}", "h\n"), 8);
        assert_eq!(r, "a\\x1b[2J\\r  u\\u{202e}  h\\n");
        assert!(!r.chars().any(idp_proto::text::is_unsafe));
    }

    #[test]
    fn a_huge_name_is_cut_and_never_panics() {
        // A width above u16::MAX panicked in `{:width$}` before.
        let huge = "n".repeat(70_000);
        let r = row(&item(&huge, "", ""), NAME_COLUMN);
        assert!(r.len() < 70_000 && r.contains("more characters"));
        print(&[item(&huge, "u", "")], false).expect("printed");
    }
}
