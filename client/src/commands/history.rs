//! `idp history NAME`.

use crate::cli::HistoryArgs;
use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(args: HistoryArgs) -> Result<(), CliError> {
    let agent = connect().await?;
    let records = agent.client.history(ctx(30), args.name.clone()).await??;
    if args.json {
        return output::json(&records);
    }
    if records.is_empty() {
        return output::line(&format!(
            "{} has no earlier values",
            output::name(&args.name)
        ));
    }
    for r in &records {
        output::line(&format!(
            "{}  {:<11}  {}",
            output::time(r.replaced),
            output::shown(&r.field),
            output::shown(r.value.expose())
        ))?;
    }
    Ok(())
}
