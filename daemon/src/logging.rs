//! Logs go to journald when systemd started the agent (it sets
//! `JOURNAL_STREAM`), to stderr otherwise. `IDP_LOG` takes a tracing filter
//! (default [`DEFAULT_FILTER`]). No log line carries a secret: requests are
//! logged by operation name, and secret types print `[REDACTED]`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// tarpc opens an `info` span for every call, with its trace id and
/// deadline formatted as text; at `info` that formatting was about a sixth
/// of the agent's time per call under load (`bench/run.sh`). Its spans and
/// events come back with `IDP_LOG=debug`.
const DEFAULT_FILTER: &str = "info,tarpc=warn";

pub fn init() {
    let filter =
        EnvFilter::try_from_env("IDP_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    if std::env::var_os("JOURNAL_STREAM").is_some()
        && let Ok(journald) = tracing_journald::layer()
    {
        tracing_subscriber::registry()
            .with(filter)
            .with(journald.with_syslog_identifier("idp-agent".into()))
            .init();
        return;
    }
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr),
        )
        .init();
}
