//! `idp generate`: needs no agent and no vault.

use idp_vault::generate;

use crate::cli::GenerateArgs;
use crate::error::{CliError, Exit};
use crate::output;

pub fn run(args: GenerateArgs) -> Result<(), CliError> {
    let made = match args.words {
        Some(n) => generate::passphrase(n),
        None => generate::password(args.length.unwrap_or(20)),
    };
    let secret =
        made.map_err(|e| CliError::new(Exit::Error, e.to_string(), "pick a size in that range"))?;
    output::line(secret.expose())
}
