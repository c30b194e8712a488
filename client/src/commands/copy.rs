//! `idp copy NAME`: an item's secret to the clipboard, cleared later.

use std::time::Duration;

use crate::cli::CopyArgs;
use crate::clipboard::{self, Backend};
use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(args: CopyArgs, clear: Duration) -> Result<(), CliError> {
    // Find the clipboard first: no secret is fetched for nothing.
    let backend = Backend::detect()?;
    let agent = connect().await?;
    let item = agent.client.get(ctx(30), args.name).await??;
    let (field, value) = super::get::field_value(&item, args.field)?;
    clipboard::copy(backend, &value, clear).await?;
    output::line(&format!(
        "copied the {} of {} ({}); cleared in {} unless something else is copied first",
        format!("{field:?}").to_lowercase(),
        output::name(&item.name),
        backend.name(),
        output::duration(clear.as_secs())
    ))
}
