//! `idp rm NAME`.

use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(name: String) -> Result<(), CliError> {
    let agent = connect().await?;
    let gone = agent.client.remove(ctx(60), name).await??;
    output::line(&format!(
        "removed {} ({})",
        output::name(&gone.name),
        gone.id
    ))
}
