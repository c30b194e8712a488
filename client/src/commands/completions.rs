//! `idp completions SHELL`.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CliError;

pub fn run(shell: clap_complete::Shell) -> Result<(), CliError> {
    clap_complete::generate(shell, &mut Cli::command(), "idp", &mut std::io::stdout());
    Ok(())
}
