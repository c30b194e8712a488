//! Errors as the person sees them: what went wrong, what to do next, and the
//! exit code scripts test.

use std::fmt;
use std::process::ExitCode;

use idp_proto::ProtoError;
use idp_proto::text::shown;

/// Exit codes, as listed in `idp --help` (`cli::EXIT_CODES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Error = 1,
    Locked = 3,
    NotFound = 4,
    NoVault = 5,
    Refused = 6,
    Agent = 7,
    KitMismatch = 8,
}

/// A failed command.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub next: Option<String>,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>, next: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            next: Some(next.into()),
        }
    }

    pub fn code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }
}

/// Messages quote names and paths from the vault and its folder, so they
/// are shown with control and direction characters escaped.
impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "idp: {}", shown(&self.message))?;
        if let Some(next) = &self.next {
            write!(f, "\nidp: next: {}", shown(next))?;
        }
        Ok(())
    }
}

impl From<ProtoError> for CliError {
    fn from(e: ProtoError) -> Self {
        let exit = match &e {
            ProtoError::Locked | ProtoError::KeyNeeded => Exit::Locked,
            ProtoError::NotFound { .. } => Exit::NotFound,
            ProtoError::NoVault { .. } => Exit::NoVault,
            ProtoError::WrongPassword
            | ProtoError::ForeignKey
            | ProtoError::StaleKey
            | ProtoError::BadKey { .. }
            | ProtoError::Throttled { .. } => Exit::Refused,
            ProtoError::ProtocolMismatch { .. } => Exit::Agent,
            ProtoError::OtherVault => Exit::KitMismatch,
            _ => Exit::Error,
        };
        Self {
            exit,
            message: e.to_string(),
            next: Some(e.next_step()),
        }
    }
}

impl From<tarpc::client::RpcError> for CliError {
    fn from(e: tarpc::client::RpcError) -> Self {
        Self::new(
            Exit::Agent,
            format!("the agent did not answer: {e}"),
            "check that idp-agent runs (`idp status`), and its log",
        )
    }
}

/// Output errors. A closed pipe (`idp list | head`) is not reported.
impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self {
            exit: Exit::Error,
            message: format!("cannot write the output: {e}"),
            next: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quoting_vault_names_are_shown_escaped() {
        let e = CliError::from(ProtoError::Invalid {
            reason: "cannot use \x1b[2Jbank\r\u{202e}".into(),
        });
        let text = e.to_string();
        assert!(text.starts_with("idp: cannot use \\x1b[2Jbank\\r\\u{202e}\nidp: next: "));
        assert_eq!(text.matches('\n').count(), 1, "{text:?}");
        assert!(!text.contains('\x1b') && !text.contains('\r'));
    }
}
