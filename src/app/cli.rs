//! The service's command line: `run`, `poll`, `check-config`, `gen-cert`, `webhook`,
//! `export`, `import`, `backup`, `audit`, `retention`.
//! The binary (`src/main.rs`) parses it, with `--config` and its own `demo` beside
//! these, and hands them to [`run`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use crate::app::audit::AuditFormat;
use crate::app::export::ExportFormat;
use crate::config::{Config, Problem};
use crate::domain::CommId;
use crate::store::export::{AuditFilter, ExportKind};
use crate::telegram::BotApi;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service with the HTTPS webhook.
    Run,
    /// Run the service with long polling (no public HTTPS address needed).
    Poll,
    /// Validate the configuration and print every problem found.
    CheckConfig,
    /// Write a self-signed certificate and key for HOST into cert/.
    GenCert {
        /// The host name or IP address Telegram reaches the webhook at.
        #[arg(long)]
        host: String,
        /// Folder for cert.pem and key.pem.
        #[arg(long, default_value = "cert")]
        dir: PathBuf,
    },
    /// Manage the Telegram webhook by hand.
    Webhook {
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Write stored data as CSV or JSON (while the service runs, too).
    Export {
        /// What to export.
        #[arg(value_enum)]
        what: ExportWhat,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// From this UTC day on (by each row's own time).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::app::export::parse_day)]
        since: Option<chrono::NaiveDate>,
        /// Up to this UTC day, included.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::app::export::parse_day)]
        until: Option<chrono::NaiveDate>,
        /// Write to FILE (replaced when complete) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Add customers from another system, from a JSON or CSV file (while the
    /// service runs, too): all of them, or none if any row has a problem.
    Import {
        #[arg(value_enum)]
        what: ImportWhat,
        /// A JSON array, or CSV with a header row, of telegram_id, name, username,
        /// email, verified.
        file: PathBuf,
        /// Check the file and report what would be done; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the database to PATH (which must not exist) while the service runs,
    /// and verify the copy.
    Backup { path: PathBuf },
    /// Remove the messages and archive files of communications closed longer than
    /// [retention] closed_after ago, now (while the service runs, too).
    Retention {
        /// List what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the audit log, oldest first (while the service runs, too).
    Audit {
        /// From this UTC day on.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::app::export::parse_day)]
        since: Option<chrono::NaiveDate>,
        /// Up to this UTC day, included.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::app::export::parse_day)]
        until: Option<chrono::NaiveDate>,
        /// Only what this Telegram id did, or the service itself (`system`).
        #[arg(long, value_name = "ID|system", value_parser = crate::domain::audit::parse_actor)]
        actor: Option<String>,
        /// Only what concerns communication N.
        #[arg(long, value_name = "N")]
        communication: Option<i64>,
        #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
        format: AuditFormat,
    },
}

/// What `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportWhat {
    /// telegram_id, name, username, email, verified, language, state, first_seen
    Customers,
    /// Each communication with its figures and rating (by opened_at)
    Communications,
    /// communication_id, customer_id, specialist_id, rating, comment, rated_at
    Ratings,
    /// communication_id, at, role, sender_id, kind, text, file (by the message time)
    Messages,
    /// The audit log: at, actor, action, communication_id, details
    Audit,
}

impl ExportWhat {
    pub fn kind(self) -> ExportKind {
        match self {
            ExportWhat::Customers => ExportKind::Customers,
            ExportWhat::Communications => ExportKind::Communications,
            ExportWhat::Messages => ExportKind::Messages,
            ExportWhat::Ratings => ExportKind::Ratings,
            ExportWhat::Audit => ExportKind::Audit,
        }
    }
}

/// What `import` adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportWhat {
    /// Customers known from another system
    Customers,
}

#[derive(Debug, Subcommand)]
pub enum WebhookAction {
    /// Register webhook.public_url with Telegram (as `run` does at start).
    Set,
    /// Remove the webhook (pending updates are kept unless --drop-pending).
    Delete {
        #[arg(long)]
        drop_pending: bool,
    },
    /// Show what Telegram knows of the webhook.
    Info,
}

/// Run one of the service's subcommands, with the configuration file given by
/// `--config` (default: $RELAYDESK_CONFIG, else ./config.toml).
pub fn run(config: Option<PathBuf>, command: Command) -> ExitCode {
    match command {
        Command::GenCert { host, dir } => gen_cert(&host, &dir),
        Command::CheckConfig => check_config(config),
        Command::Run => with_config(config.clone(), true, |loaded| {
            let source = crate::app::reload::Source {
                path: config,
                for_webhook: true,
            };
            runtime(async move {
                let listen = loaded.webhook.listen;
                let listener = std::net::TcpListener::bind(listen)
                    .map_err(|e| crate::Error::io(format!("listen on {listen}"), e))?;
                let stop = crate::app::shutdown::signal();
                crate::app::run_webhook_reloading(loaded, listener, source, stop).await
            })
        }),
        Command::Poll => with_config(config.clone(), false, |loaded| {
            let source = crate::app::reload::Source {
                path: config,
                for_webhook: false,
            };
            let stop = crate::app::shutdown::signal();
            runtime(crate::app::run_poll_reloading(loaded, source, stop))
        }),
        Command::Export {
            what,
            format,
            since,
            until,
            out,
        } => {
            let range = match crate::app::export::range(since, until) {
                Ok(range) => range,
                Err(e) => return usage_error(e),
            };
            with_config(config, false, |config| {
                let n =
                    crate::app::export::run(&config, what.kind(), format, range, out.as_deref())?;
                if let Some(out) = &out {
                    eprintln!("{n} {} written to {}", what.kind().as_str(), out.display());
                }
                Ok(())
            })
        }
        Command::Import {
            what: ImportWhat::Customers,
            file,
            dry_run,
        } => import(config, &file, dry_run),
        Command::Backup { path } => {
            if path.exists() {
                let why = format!(
                    "{} exists already; a backup never overwrites",
                    path.display()
                );
                return usage_error(why);
            }
            with_config(config, false, |config| {
                let copied = crate::store::backup::backup(&config.database.path, &path)?;
                println!(
                    "backup written to {}: {} pages, {} bytes, integrity_check ok",
                    path.display(),
                    copied.pages,
                    copied.bytes
                );
                Ok(())
            })
        }
        Command::Audit {
            since,
            until,
            actor,
            communication,
            format,
        } => {
            let range = match crate::app::export::range(since, until) {
                Ok(range) => range,
                Err(e) => return usage_error(e),
            };
            let filter = AuditFilter {
                range,
                actor,
                communication: communication.map(CommId),
            };
            with_config(config, false, |config| {
                crate::app::audit::run(&config, &filter, format).map(|_| ())
            })
        }
        Command::Retention { dry_run } => with_config(config, false, |config| {
            let mut out = std::io::stdout().lock();
            crate::app::retention::run(&config, dry_run, &mut out).map(|_| ())
        }),
        Command::Webhook { action } => {
            with_config(config, matches!(action, WebhookAction::Set), |config| {
                runtime(webhook(config, action))
            })
        }
    }
}

/// `relaydesk import customers FILE`: the skipped ids and the summary on stdout,
/// every problem on stderr (exit 2: nothing imported).
fn import(config: Option<PathBuf>, file: &std::path::Path, dry_run: bool) -> ExitCode {
    let mut refused = false;
    let code = with_config(config, false, |config| {
        let report = crate::app::import::run(&config, file, dry_run)?;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        for (line, id) in &report.imported.known {
            println!("line {line}: telegram_id {id} is a customer already: skipped");
        }
        for p in &report.problems {
            eprintln!("{p}");
        }
        let added = plural(report.imported.added, "customer", "customers");
        let skipped = plural(report.imported.known.len(), "known id", "known ids");
        if !report.problems.is_empty() {
            refused = true;
            eprintln!(
                "error: {} in {}: nothing imported ({added} would be added, {skipped} skipped)",
                plural(report.problems.len(), "problem", "problems"),
                file.display()
            );
        } else if report.written {
            println!("{added} imported, {skipped} skipped");
        } else {
            println!("dry run: {added} would be imported, {skipped} skipped; nothing changed");
        }
        Ok(())
    });
    if refused { ExitCode::from(2) } else { code }
}

/// glibc gives every thread that allocates its own heap arena, which multiplies the
/// resident memory of a service with a few dozen threads; two are plenty here.
/// Call it first thing, before any other thread exists (the benchmark does too).
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; it is called at the very start,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Every problem of the configuration: loading, texts and (for the webhook) the
/// webhook's own settings and files (what a reload checks too).
pub fn problems(path: Option<PathBuf>, for_webhook: bool) -> Result<Config, Vec<Problem>> {
    crate::app::reload::Source { path, for_webhook }.load()
}

fn check_config(path: Option<PathBuf>) -> ExitCode {
    match problems(path, true) {
        Ok(_) => {
            println!("configuration OK");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            print_problems(&problems);
            ExitCode::from(2)
        }
    }
}

fn print_problems(problems: &[Problem]) {
    eprintln!(
        "configuration has {} problem{}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  - {p}");
    }
}

/// A command given wrongly (exit code 2, as for clap's own refusals).
fn usage_error(why: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {why}");
    ExitCode::from(2)
}

fn with_config(
    path: Option<PathBuf>,
    for_webhook: bool,
    f: impl FnOnce(Config) -> crate::Result<()>,
) -> ExitCode {
    let config = match problems(path, for_webhook) {
        Ok(config) => config,
        Err(problems) => {
            print_problems(&problems);
            return ExitCode::from(2);
        }
    };
    crate::app::logging::init(config.log.level.as_deref());
    match f(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "relaydesk stopped with an error");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime<F: std::future::Future<Output = crate::Result<()>>>(f: F) -> crate::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io("start the async runtime", e))?
        .block_on(f)
}

fn gen_cert(host: &str, dir: &std::path::Path) -> ExitCode {
    match crate::http::tls::generate(host, dir) {
        Ok((cert, key)) => {
            println!("certificate: {}", cert.display());
            println!("private key: {} (mode 0600)", key.display());
            println!(
                "set webhook.tls_cert / webhook.tls_key to these and upload_certificate = true"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn webhook(config: Config, action: WebhookAction) -> crate::Result<()> {
    crate::install_crypto_provider();
    let api = BotApi::new(
        &config.telegram.api_url,
        config.telegram.token.expose(),
        config.telegram.request_timeout,
    );
    match action {
        WebhookAction::Set => {
            crate::app::register_webhook(&api, &config).await?;
            println!("webhook set to {}", config.webhook.public_url);
        }
        WebhookAction::Delete { drop_pending } => {
            api.call(
                "deleteWebhook",
                &json!({ "drop_pending_updates": drop_pending }),
            )
            .await?;
            println!("webhook deleted");
        }
        WebhookAction::Info => {
            let info = api.call("getWebhookInfo", &json!({})).await?;
            println!("{}", describe_webhook_info(&info));
        }
    }
    Ok(())
}

/// `getWebhookInfo` for people.
pub fn describe_webhook_info(info: &serde_json::Value) -> String {
    let url = info["url"].as_str().unwrap_or("");
    let mut lines = vec![format!(
        "url:                  {}",
        if url.is_empty() {
            "(none: polling or not set)"
        } else {
            url
        }
    )];
    lines.push(format!(
        "custom certificate:   {}",
        if info["has_custom_certificate"].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        }
    ));
    lines.push(format!(
        "pending updates:      {}",
        info["pending_update_count"].as_i64().unwrap_or(0)
    ));
    if let Some(n) = info["max_connections"].as_i64() {
        lines.push(format!("max connections:      {n}"));
    }
    if let Some(ip) = info["ip_address"].as_str() {
        lines.push(format!("ip address:           {ip}"));
    }
    if let Some(kinds) = info["allowed_updates"].as_array() {
        let kinds: Vec<&str> = kinds.iter().filter_map(|k| k.as_str()).collect();
        lines.push(format!("allowed updates:      {}", kinds.join(", ")));
    }
    match (
        info["last_error_date"].as_i64(),
        info["last_error_message"].as_str(),
    ) {
        (Some(date), Some(message)) => {
            let when = chrono::DateTime::from_timestamp(date, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_else(|| date.to_string());
            lines.push(format!("last error:           {when}: {message}"));
        }
        _ => lines.push("last error:           none".to_string()),
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_info_is_readable() {
        let text = describe_webhook_info(&json!({
            "url": "https://bot.example.com:8443/telegram",
            "has_custom_certificate": true,
            "pending_update_count": 3,
            "last_error_date": 1700000000,
            "last_error_message": "Connection refused",
            "max_connections": 40
        }));
        assert!(text.contains("pending updates:      3"), "{text}");
        assert!(text.contains("Connection refused"), "{text}");
        assert!(text.contains("custom certificate:   yes"), "{text}");
    }
}
