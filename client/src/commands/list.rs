//! `idp list`.

use idp_proto::ItemSummary;

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

/// Prints items as `name  username  url`, one per line.
pub fn print(items: &[ItemSummary], json: bool) -> Result<(), CliError> {
    if json {
        return output::json(&items);
    }
    let width = items
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0);
    for i in items {
        let user = i.username.as_deref().unwrap_or("");
        let url = i.urls.first().map(String::as_str).unwrap_or("");
        output::line(format!("{:width$}  {user}  {url}", i.name).trim_end())?;
    }
    Ok(())
}

pub async fn run(json: bool) -> Result<(), CliError> {
    let agent = connect().await?;
    let items = agent.client.list(ctx(60)).await??;
    print(&items, json)
}
