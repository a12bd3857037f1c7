//! Logging: to journald when running under systemd, to stderr otherwise. The level
//! comes from `RUST_LOG`, else `log.level`, else `info`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Under systemd (`JOURNAL_STREAM` is set for services), or on a host with journald
/// when not run from a terminal.
fn under_journald() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some()
        || (std::path::Path::new("/run/systemd/journal/socket").exists()
            && !std::io::stderr().is_terminal()
            && std::env::var_os("RELAYDESK_LOG_STDERR").is_none())
}

pub fn init(level: Option<&str>) {
    let filter = || {
        EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(level.unwrap_or("info")))
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    if under_journald() {
        match tracing_journald::layer() {
            Ok(journald) => {
                let _ = tracing_subscriber::registry()
                    .with(filter())
                    .with(journald.with_syslog_identifier("relaydesk".to_string()))
                    .try_init();
                return;
            }
            Err(e) => eprintln!("journald is not reachable ({e}); logging to stderr"),
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
