//! The agent connection (shared with the tray in `idp-connect`), with its
//! errors as the CLI reports them.

pub use idp_connect::{Agent, ctx};

use crate::error::{CliError, Exit};

/// Connects to the agent, starting it if needed, and checks the protocol.
pub async fn connect() -> Result<Agent, CliError> {
    idp_connect::connect().await.map_err(CliError::from)
}

impl From<idp_connect::ConnectError> for CliError {
    fn from(e: idp_connect::ConnectError) -> Self {
        use idp_connect::ConnectError as E;
        match e {
            E::Refused(p) => p.into(),
            E::Rpc(r) => r.into(),
            other => CliError::new(Exit::Agent, other.to_string(), other.next_step()),
        }
    }
}
