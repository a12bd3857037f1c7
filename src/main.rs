//! The `relaydesk` command: the service's subcommands (`relaydesk::app::cli`) and
//! `demo`, which plays against the testkit and so lives here, outside the library.

mod demo;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "relaydesk", version, about = "Telegram help-desk relay bot")]
struct Cli {
    /// Configuration file (default: $RELAYDESK_CONFIG, else ./config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Service(relaydesk::app::cli::Command),
    /// Play a scripted conversation against a built-in Telegram emulator and mail catcher (no account, no network).
    Demo {
        /// Folder for the demo's certificate, database and archive; must be empty or new
        /// (default: a new temporary folder, kept afterwards).
        #[arg(long, value_name = "PATH")]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    relaydesk::app::cli::limit_malloc_arenas();
    let cli = Cli::parse();
    match cli.command {
        Command::Service(command) => relaydesk::app::cli::run(cli.config, command),
        Command::Demo { dir } => demo::main(dir),
    }
}
