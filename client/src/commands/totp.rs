//! `idp totp NAME`: the current code (computed by the agent).

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(name: String) -> Result<(), CliError> {
    let agent = connect().await?;
    let code = agent.client.totp(ctx(30), name).await??;
    output::line(code.code.expose())
}
