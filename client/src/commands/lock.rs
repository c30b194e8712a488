//! `idp lock`.

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run() -> Result<(), CliError> {
    let agent = connect().await?;
    agent.client.lock(ctx(30)).await??;
    output::line("locked")
}
