//! `idp key import | forget`: the client key cached on this device.
//!
//! Importing reads the kit here, with the kit crate's limits (the person
//! named this file), asks the agent whether it is this vault's current key,
//! and has the agent cache it. Exit codes follow `idp kit verify`: 8 for a
//! readable kit that is not the current key, 1 for an unreadable one.

use idp_proto::Secret;

use crate::cli::{KeyCommand, KeyImportArgs};
use crate::connect::{connect, ctx};
use crate::error::CliError;
use crate::output;

pub async fn run(command: KeyCommand) -> Result<(), CliError> {
    match command {
        KeyCommand::Import(a) => import(a).await,
        KeyCommand::Forget => forget().await,
    }
}

async fn import(args: KeyImportArgs) -> Result<(), CliError> {
    let agent = connect().await?;
    let (found, check) = super::kit::check(&agent, &args.file).await?;
    super::kit::explain(&check)?;
    let status = agent
        .client
        .import_key(
            ctx(60),
            found.vault_id.to_hex(),
            Secret::new(found.key.expose_canonical().expose()),
        )
        .await??;
    output::line(&format!(
        "cached the client key of vault {} on this device ({})\n\
         `idp unlock` now needs only your password.",
        status
            .vault
            .map(|v| output::name(&v.name).into_owned())
            .unwrap_or_default(),
        output::shown(&status.key_cache)
    ))
}

async fn forget() -> Result<(), CliError> {
    let agent = connect().await?;
    let had = agent.client.status(ctx(30)).await??.key_known;
    let status = agent.client.forget_key(ctx(60)).await??;
    output::line(if had {
        "forgot the client key on this device; the next unlock asks for it"
    } else {
        "this device had no cached client key for the vault"
    })?;
    output::line(&format!("key cache:  {}", output::shown(&status.key_cache)))
}
