//! `relaydesk demo`: the whole service on this machine with no Telegram account and
//! no network. The testkit's Bot API emulator (`testkit::bot_api`) and mail catcher
//! (`testkit::mail_catcher`) stand in for Telegram and the SMTP server, and [`script`]
//! plays a scripted conversation through the real webhook, store, outbox and archive.
//! The integration tests use the same emulator and catcher.
//!
//! This module belongs to the binary, not to the service library: the library never
//! sees the testkit.

mod script;

use std::path::PathBuf;
use std::process::ExitCode;

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The service (or the part of it the demo set up) failed.
    #[error(transparent)]
    Service(#[from] relaydesk::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The script could not go on: a step did not happen, or the folder is unusable.
    #[error("demo: {0}")]
    Failed(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    fn io_path(action: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::io(format!("{action} {}", path.display()), source)
    }
}

/// `relaydesk demo`: the story on stdout, warnings only on stderr.
pub fn main(dir: Option<PathBuf>) -> ExitCode {
    relaydesk::app::logging::init(Some("warn"));
    let played = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start the async runtime", e))
        .and_then(|rt| rt.block_on(script::run(dir)));
    match played {
        Ok(report) => {
            println!("{}", report.transcript);
            println!("Archive written to: {}", report.archive.display());
            for file in report.archive_files() {
                println!("  {}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
