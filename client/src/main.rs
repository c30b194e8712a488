//! `idp`: the command line of idp-vault.
//!
//! Every command but `generate`, `completions` and `man` talks to
//! `idp-agent`, starting it when none answers. Output is for people unless
//! `--json` asks for scripts; errors say what to do next and exit with the
//! codes listed in `cli::EXIT_CODES`.
//!
//! No `unsafe` except in `parent_death`, one hook between fork and exec
//! (the workspace denies `unsafe_code` everywhere else).

mod cli;
mod clipboard;
mod commands;
mod connect;
mod error;
mod output;
mod parent_death;
mod prompt;

use std::process::ExitCode;

use clap::Parser;
use idp_proto::Secret;
use idp_proto::config::Config;

use cli::{Cli, Command};
use commands as cmd;
use error::{CliError, Exit};

/// What commands need besides their arguments.
#[derive(Debug)]
pub struct Env {
    pub prompter: prompt::Prompter,
    pub stdin: prompt::StdinSecrets,
}

impl Env {
    /// The account password: the next line of stdin with `from_stdin`,
    /// else asked for with `why` as the description.
    pub fn password(&mut self, from_stdin: bool, why: &str) -> Result<Secret, CliError> {
        if from_stdin {
            self.stdin.line("password")
        } else {
            self.prompter.ask(why, "Password:")
        }
    }

    /// The password of a vault about to be made, asked twice on a terminal.
    pub fn new_password(&mut self, from_stdin: bool) -> Result<Secret, CliError> {
        if from_stdin {
            self.stdin.line("new password")
        } else {
            self.prompter.ask_new(
                "Choose the account password for the new vault. It is never stored: forget it \
                 and the vault cannot be opened.",
                "New password:",
            )
        }
    }
}

fn load_config() -> Result<Config, CliError> {
    idp_connect::load_config().map_err(|e| {
        CliError::new(
            Exit::Error,
            e.to_string(),
            "fix or remove the file (see docs/agent.md)",
        )
    })
}

async fn run(command: Command) -> Result<(), CliError> {
    let config = load_config()?;
    let mut env = Env {
        prompter: prompt::Prompter::new(config.pinentry),
        stdin: prompt::StdinSecrets::default(),
    };
    match command {
        Command::Status(a) => cmd::status::run(a.json).await,
        Command::Init(a) => cmd::init::run(a, &mut env).await,
        Command::Unlock(a) => cmd::unlock::run(a, &mut env).await,
        Command::Lock => cmd::lock::run().await,
        Command::Kit(k) => cmd::kit::run(k, &mut env).await,
        Command::Key(k) => cmd::key::run(k).await,
        Command::Vault(v) => cmd::vault::run(v, &mut env).await,
        Command::Import(a) => cmd::import::run(a).await,
        Command::Export(a) => cmd::export::run(a, &mut env).await,
        Command::Add(a) => cmd::add::run(a, &mut env).await,
        Command::Get(a) => cmd::get::run(a).await,
        Command::Copy(a) => cmd::copy::run(a, config.clipboard.clear).await,
        Command::List(a) => cmd::list::run(a.json).await,
        Command::Search(a) => cmd::search::run(a).await,
        Command::Edit(a) => cmd::edit::run(a, &mut env).await,
        Command::Rm(a) => cmd::rm::run(a.name).await,
        Command::Generate(a) => cmd::generate::run(a),
        Command::Totp(a) => cmd::totp::run(a.name).await,
        Command::History(a) => cmd::history::run(a).await,
        Command::Ssh(a) => cmd::ssh::run(a, &config.ssh_agent, &mut env).await,
        Command::Completions(a) => cmd::completions::run(a.shell),
        Command::Man => cmd::man::run(),
        Command::ClipboardHold(a) => clipboard::hold(a, &mut env).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("idp: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            e.code()
        }
    }
}
