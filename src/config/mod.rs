//! Configuration: one TOML file layered with `RELAYDESK__SECTION__KEY` environment
//! variables (SPEC §5), deserialized section by section and validated, so that every
//! problem is reported at once, each naming its key (`smtp.port: ...`).
//!
//! How a file becomes a [`Config`]:
//! 1. the `config` crate parses the TOML and merges the environment over it;
//! 2. every top-level key is taken from the merged tree: unknown ones are problems,
//!    each known section is deserialized on its own (`serde_ignored` reports unknown
//!    keys inside it); when a section does not deserialize, each of its keys is tried
//!    alone, so every bad key is named, not only the first;
//! 3. semantic checks run on whatever did deserialize (a key that already has a
//!    problem is not reported twice).
//!
//! The known sections and keys are the fields of [`Config`] and of the section
//! types, as their serde derives declare them (see `keys.rs`): no list is kept by hand.
//!
//! [`Config::check_for_webhook`] adds the checks only `relaydesk run` needs.
//! `reload.rs` says what a reload (SIGHUP) takes from a new configuration and which
//! changed keys need a restart instead.

mod checks;
mod keys;
mod load;
mod problems;
mod reload;
mod secret;
mod sections;
#[cfg(test)]
pub(crate) mod testing;
mod texts;
mod tls;
mod types;
mod urls;

pub use checks::{check_canned_text, check_key};
pub use load::{CONFIG_ENV, DEFAULT_CONFIG_FILE, ENV_PREFIX, ENV_SEPARATOR};
pub use problems::{ConfigErrors, Problem};
pub use reload::{RELOADED, needs_restart, reloaded};
pub use types::{
    AdminConfig, ArchiveConfig, AuthConfig, Config, ConsoleConfig, CsatConfig, DatabaseConfig,
    DiskConfig, Group, HoursConfig, LimitsConfig, Locale, LogConfig, Person, RemindersConfig,
    ReportsConfig, RetentionConfig, Secret, SmtpConfig, SmtpSecurity, Synchronous, TelegramConfig,
    TextsConfig, TimeoutsConfig, WebhookConfig,
};
pub use urls::WEBHOOK_PORTS;
