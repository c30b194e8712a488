//! `idp search QUERY`.

use crate::cli::SearchArgs;
use crate::connect::{connect, ctx};
use crate::error::CliError;

pub async fn run(args: SearchArgs) -> Result<(), CliError> {
    let agent = connect().await?;
    let items = agent.client.search(ctx(60), args.query).await??;
    super::list::print(&items, args.json)
}
