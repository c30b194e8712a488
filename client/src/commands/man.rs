//! `idp man`: the man page, with the exit codes in its own section.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CliError;

pub fn run() -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    crate::output::line(String::from_utf8_lossy(&page).trim_end())
}
