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
//! [`Config::check_for_webhook`] adds the checks only `relaydesk run` needs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::net::{Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{ConfigError, FileFormat, Map, Value, ValueKind};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "RELAYDESK_CONFIG";
/// The configuration file used when neither `--config` nor [`CONFIG_ENV`] is given.
pub const DEFAULT_CONFIG_FILE: &str = "config.toml";
/// Prefix of the environment variables layered over the file: `RELAYDESK__SMTP__PORT`.
pub const ENV_PREFIX: &str = "RELAYDESK";
/// Separator between prefix, section and key in those variables.
pub const ENV_SEPARATOR: &str = "__";

/// Ports Telegram delivers webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

/// The longest duration accepted anywhere (keeps later `Instant + Duration` arithmetic
/// far from overflow).
const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// Files read by [`Config::check_for_webhook`] larger than this are not PEM files.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------

/// A value that must never appear in logs: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (an HTTP header, a login).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// The whole configuration; see `config.toml.example` for every key and default.
#[derive(Clone, Debug)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub webhook: WebhookConfig,
    pub database: DatabaseConfig,
    pub archive: ArchiveConfig,
    pub smtp: SmtpConfig,
    pub auth: AuthConfig,
    pub timeouts: TimeoutsConfig,
    pub disk: DiskConfig,
    pub limits: LimitsConfig,
    pub specialists: Vec<Person>,
    pub service_groups: Vec<Group>,
    pub controllers: Vec<Person>,
    pub texts: TextsConfig,
    pub log: LogConfig,
    pub admin: AdminConfig,
}

/// `[telegram]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct TelegramConfig {
    /// Required: `<bot id digits>:<letters, digits, _ ->`.
    pub token: Secret,
    /// Bot API base URL, http(s), stored without a trailing slash.
    pub api_url: String,
    /// Timeout of one Bot API HTTP request; longer than `poll_timeout`.
    #[serde(deserialize_with = "de_duration")]
    pub request_timeout: Duration,
    /// Long-poll timeout passed to getUpdates (may be zero: short polling).
    #[serde(deserialize_with = "de_duration")]
    pub poll_timeout: Duration,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            token: Secret::default(),
            api_url: "https://api.telegram.org".into(),
            request_timeout: Duration::from_secs(30),
            poll_timeout: Duration::from_secs(25),
        }
    }
}

/// `[webhook]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    #[serde(deserialize_with = "de_socket_addr")]
    pub listen: SocketAddr,
    /// The URL Telegram calls; checked by [`Config::check_for_webhook`] only.
    pub public_url: String,
    /// Empty unless configured; required (and checked) for the webhook.
    pub secret_token: Secret,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub upload_certificate: bool,
    /// 1..=100
    pub max_connections: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            public_url: String::new(),
            secret_token: Secret::default(),
            tls_cert: PathBuf::from("cert/cert.pem"),
            tls_key: PathBuf::from("cert/key.pem"),
            upload_certificate: true,
            max_connections: 40,
        }
    }
}

/// `[database]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    pub path: PathBuf,
    /// `full`: every commit is on disk before the 200 (survives a power cut);
    /// `normal`: on disk at the next checkpoint (survives a crash of the process,
    /// not of the machine), with much lower latency.
    pub synchronous: Synchronous,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            path: PathBuf::from("db/relaydesk.sqlite3"),
            synchronous: Synchronous::Full,
        }
    }
}

/// SQLite's `synchronous` setting (with write-ahead logging).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl Synchronous {
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// `[archive]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ArchiveConfig {
    pub dir: PathBuf,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            dir: PathBuf::from("archive"),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (usually port 587).
    #[default]
    Starttls,
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
    /// No encryption at all: only for a relay on the same host.
    None,
}

impl SmtpSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

impl fmt::Display for SmtpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SmtpSecurity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SmtpSecurity, D::Error> {
        let s = String::deserialize(deserializer)?;
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpSecurity::Starttls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            _ => Err(D::Error::custom(format!(
                "expected \"starttls\", \"tls\" or \"none\", got {s:?}"
            ))),
        }
    }
}

/// `[smtp]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    /// Required, a bare host name (or IP address).
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// `None` when not set or empty; set together with `password`.
    pub username: Option<String>,
    /// `None` when not set or empty; set together with `username`.
    pub password: Option<Secret>,
    /// Required; parses as a [`lettre::message::Mailbox`] (see [`SmtpConfig::from_mailbox`]).
    pub from: String,
    #[serde(deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// A PEM file of extra trusted CA certificates (a private CA or a self-signed
    /// server certificate), added to the built-in roots; `None` when not set or empty.
    pub ca_file: Option<PathBuf>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            from: String::new(),
            timeout: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

impl SmtpConfig {
    /// `from` as a mailbox (always `Ok` for a validated configuration).
    pub fn from_mailbox(&self) -> Result<lettre::message::Mailbox, lettre::address::AddressError> {
        self.from.parse()
    }
}

/// `[auth]`: the email-code onboarding.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    #[serde(deserialize_with = "de_duration")]
    pub code_ttl: Duration,
    pub max_attempts: u32,
    #[serde(deserialize_with = "de_duration")]
    pub resend_cooldown: Duration,
    pub max_codes_per_hour: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            code_ttl: Duration::from_secs(10 * 60),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_codes_per_hour: 5,
        }
    }
}

/// `[timeouts]`
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct TimeoutsConfig {
    #[serde(deserialize_with = "de_duration")]
    pub idle_close: Duration,
}

impl Default for TimeoutsConfig {
    fn default() -> Self {
        TimeoutsConfig {
            idle_close: Duration::from_secs(60 * 60),
        }
    }
}

/// `[disk]`: free-space alerts.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DiskConfig {
    #[serde(deserialize_with = "de_duration")]
    pub check_interval: Duration,
    pub min_free_mb: u64,
    /// 0 up to (not including) 100.
    pub min_free_percent: f64,
    #[serde(deserialize_with = "de_duration")]
    pub repeat_every: Duration,
    /// Bare email addresses (`admin@example.com`), each parses as a [`lettre::Address`].
    pub alert_to: Vec<String>,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig {
            check_interval: Duration::from_secs(10 * 60),
            min_free_mb: 1024,
            min_free_percent: 5.0,
            repeat_every: Duration::from_secs(24 * 60 * 60),
            alert_to: Vec::new(),
        }
    }
}

impl DiskConfig {
    /// `alert_to` parsed (every entry parses in a validated configuration).
    pub fn alert_addresses(&self) -> Vec<lettre::Address> {
        self.alert_to
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }
}

/// `[limits]`: Telegram's send limits; 0 means unlimited.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct LimitsConfig {
    pub global_per_second: u32,
    pub per_chat_per_second: u32,
    pub per_group_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            global_per_second: 30,
            per_chat_per_second: 1,
            per_group_per_minute: 20,
        }
    }
}

/// A configured specialist or controller: a Telegram user (`chat_id > 0`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Person {
    pub chat_id: i64,
    pub name: String,
}

/// A configured service group: a Telegram group (`chat_id < 0`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Group {
    pub chat_id: i64,
    pub name: String,
}

/// Language of the bot's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Ru,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Locale, D::Error> {
        let s = String::deserialize(deserializer)?;
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Ok(Locale::Ru),
            "en" => Ok(Locale::En),
            _ => Err(D::Error::custom(format!(
                "expected \"ru\" or \"en\", got {s:?}"
            ))),
        }
    }
}

/// `[texts]`: `locale` plus any number of text overrides (`name = "text"`), whose
/// names are checked by the texts module.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextsConfig {
    pub locale: Locale,
    pub overrides: BTreeMap<String, String>,
}

/// `[log]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// A tracing filter like `info` or `relaydesk=debug,info`; `None` when unset or empty.
    pub level: Option<String>,
}

/// `[admin]`: the local health and metrics endpoint.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AdminConfig {
    /// `host:port` for `GET /healthz` and `GET /metrics`; empty turns it off.
    pub listen: String,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: "127.0.0.1:9090".into(),
        }
    }
}

impl AdminConfig {
    /// The address to listen on, `None` when turned off (or invalid, which
    /// validation reports).
    pub fn address(&self) -> Option<SocketAddr> {
        let l = self.listen.trim();
        if l.is_empty() { None } else { l.parse().ok() }
    }
}

/// One configuration problem, naming its key (`smtp.port`, `specialists[1].chat_id`)
/// or, for a file that cannot be read or parsed, the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found; `Display` prints one per line.
#[derive(Debug, thiserror::Error)]
#[error("{}", lines(&self.problems))]
pub struct ConfigErrors {
    pub problems: Vec<Problem>,
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------

impl Config {
    /// The configuration file `load` reads: `path` if given; else `$RELAYDESK_CONFIG`
    /// (when set and not empty); else `config.toml`.
    pub fn resolve_path(path: Option<&Path>) -> PathBuf {
        Self::resolve(path).0
    }

    /// (file, whether it was asked for explicitly and so must exist)
    fn resolve(path: Option<&Path>) -> (PathBuf, bool) {
        if let Some(path) = path {
            return (path.to_path_buf(), true);
        }
        match std::env::var_os(CONFIG_ENV) {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            _ => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        }
    }

    /// Resolve the file (see [`Config::resolve_path`]; a missing default `config.toml`
    /// is allowed, then the environment alone must provide the required keys), layer the
    /// `RELAYDESK__SECTION__KEY` environment variables over it, deserialize and validate.
    /// Returns every problem found at once.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigErrors> {
        let (file, must_exist) = Self::resolve(path);
        load_with_env(&file, must_exist, false)
    }

    /// [`Config::load`] plus [`Config::check_for_webhook`] in one list, so that
    /// `check-config` and `run` report every problem at once even when some key does
    /// not load (the webhook checks then run on what did).
    pub fn load_for_webhook(path: Option<&Path>) -> Result<Config, ConfigErrors> {
        let (file, must_exist) = Self::resolve(path);
        load_with_env(&file, must_exist, true)
    }

    /// Like [`Config::load`], from a TOML string and without the environment.
    pub fn from_toml_str(toml: &str) -> Result<Config, ConfigErrors> {
        let (config, p) = build(Some(("config", toml)), false)?;
        finish(config, p, false)
    }

    /// The checks only the webhook needs: `webhook.public_url` (https, a host, a
    /// usable path, port 443/80/88/8443), `webhook.secret_token` present and valid,
    /// `webhook.tls_cert` a readable PEM certificate chain valid for the URL's host,
    /// `webhook.tls_key` a readable PEM private key matching it.
    pub fn check_for_webhook(&self) -> Vec<Problem> {
        let mut p = Problems::default();
        let w = &self.webhook;

        let mut host = None;
        if w.public_url.trim().is_empty() {
            p.push(
                "webhook.public_url",
                "missing: the webhook needs the https URL Telegram calls, \
                 e.g. https://bot.example.com:8443/telegram",
            );
        } else {
            match check_public_url(&w.public_url) {
                Ok(h) => host = Some(h),
                Err(e) => p.push("webhook.public_url", e),
            }
        }

        if w.secret_token.is_empty() {
            p.push(
                "webhook.secret_token",
                format!(
                    "missing: the webhook needs a secret token ({SECRET_TOKEN_RULE}), \
                     e.g. from `openssl rand -hex 32`"
                ),
            );
        } else if !valid_secret_token(w.secret_token.expose()) {
            p.push(
                "webhook.secret_token",
                format!("must be {SECRET_TOKEN_RULE}"),
            );
        }

        check_tls_files(&w.tls_cert, &w.tls_key, host.as_deref(), &mut p);
        p.0
    }

    /// The path part of `webhook.public_url`, e.g. `/telegram` (`/` if none).
    pub fn webhook_path(&self) -> String {
        match parse_url(&self.webhook.public_url) {
            Ok(url) if !url.path.is_empty() => url.path.to_string(),
            _ => "/".to_string(),
        }
    }

    pub fn is_specialist(&self, chat_id: i64) -> bool {
        self.specialists.iter().any(|s| s.chat_id == chat_id)
    }

    pub fn is_controller(&self, chat_id: i64) -> bool {
        self.controllers.iter().any(|c| c.chat_id == chat_id)
    }

    pub fn is_service_group(&self, chat_id: i64) -> bool {
        self.service_groups.iter().any(|g| g.chat_id == chat_id)
    }

    /// The configured specialist with this id.
    pub fn specialist(&self, chat_id: i64) -> Option<&Person> {
        self.specialists.iter().find(|s| s.chat_id == chat_id)
    }
}

fn load_with_env(file: &Path, must_exist: bool, webhook: bool) -> Result<Config, ConfigErrors> {
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => None,
        Err(e) => {
            return Err(ConfigErrors {
                problems: vec![Problem::new(
                    name,
                    format!("cannot read the configuration file: {e}"),
                )],
            });
        }
    };
    let (config, mut p) = build(text.as_deref().map(|t| (name.as_str(), t)), true)?;
    if webhook {
        for problem in config.check_for_webhook() {
            if !p.has(&problem.key) {
                p.0.push(problem);
            }
        }
    }
    finish(config, p, true)
}

/// The config if there is no problem, else the problems grouped by section in file
/// order (stable: the order within a section stays; unknown sections first), naming
/// the environment variable behind a value when there is one.
fn finish(config: Config, p: Problems, with_env: bool) -> Result<Config, ConfigErrors> {
    if p.0.is_empty() {
        return Ok(config);
    }
    let mut problems = p.0;
    problems.sort_by_key(|problem| {
        let section = problem.key.split(['.', '[']).next().unwrap_or("");
        SECTIONS
            .iter()
            .position(|(name, _)| *name == section)
            .map_or(0, |i| i + 1)
    });
    if with_env {
        for problem in &mut problems {
            if let Some(var) = env_var_for_key(&problem.key) {
                problem
                    .message
                    .push_str(&format!(" (set by the environment variable {var})"));
            }
        }
    }
    Err(ConfigErrors { problems })
}

/// The environment variable that sets `key`, if it is set.
fn env_var_for_key(key: &str) -> Option<String> {
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        return None;
    }
    let var = format!(
        "{ENV_PREFIX}{ENV_SEPARATOR}{}",
        key.to_ascii_uppercase().replace('.', ENV_SEPARATOR)
    );
    std::env::var_os(&var).map(|_| var)
}

/// Merge the file (name, text) and, if asked, the environment; then deserialize and
/// validate. `Err` only when nothing can be checked (the TOML does not parse); else the
/// configuration (defaults where keys failed) and its problems.
fn build(file: Option<(&str, &str)>, with_env: bool) -> Result<(Config, Problems), ConfigErrors> {
    let mut builder = config::Config::builder();
    if let Some((_, text)) = file {
        builder = builder.add_source(config::File::from_str(text, FileFormat::Toml));
    }
    if with_env {
        // Values stay strings (no `try_parsing`): the typed fields convert "587" or
        // "true" themselves, while a password like "0123" or "1e5" stays intact.
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator(ENV_SEPARATOR)
                .separator(ENV_SEPARATOR)
                .try_parsing(false),
        );
    }
    let file_name = file.map_or("config", |(name, _)| name);
    let merged = builder
        .build()
        .and_then(|c| c.try_deserialize::<Value>())
        .map_err(|e| ConfigErrors {
            problems: vec![match e {
                ConfigError::FileParse { cause, .. } => {
                    Problem::new(file_name, tidy_toml_error(&cause.to_string()))
                }
                other => Problem::new("environment", other.to_string()),
            }],
        })?;
    let root = match merged.kind {
        ValueKind::Table(t) => t,
        ValueKind::Nil => Map::new(),
        other => {
            return Err(ConfigErrors {
                problems: vec![Problem::new(
                    file_name,
                    format!("expected a table of sections, got {}", describe(&other)),
                )],
            });
        }
    };
    let mut p = Problems::default();
    let config = from_root(root, &mut p);
    Ok((config, p))
}

/// `TOML parse error at line 3, column 7\n  |\n3 | ...\n  |   ^\ninvalid string\n`
/// becomes `TOML parse error at line 3, column 7: invalid string`.
fn tidy_toml_error(text: &str) -> String {
    let mut lines = text.lines();
    let head = lines.next().unwrap_or("").trim().to_string();
    let rest: Vec<&str> = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| {
            // drop the source excerpt: "|", "3 | text", "|   ^"
            let after_digits = l
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            !after_digits.starts_with('|')
        })
        .collect();
    if rest.is_empty() {
        head
    } else if head.is_empty() {
        rest.join("; ")
    } else {
        format!("{head}: {}", rest.join("; "))
    }
}

// ---------------------------------------------------------------------------------
// Section by section
// ---------------------------------------------------------------------------------

const TELEGRAM_KEYS: &[&str] = &["token", "api_url", "request_timeout", "poll_timeout"];
const WEBHOOK_KEYS: &[&str] = &[
    "listen",
    "public_url",
    "secret_token",
    "tls_cert",
    "tls_key",
    "upload_certificate",
    "max_connections",
];
const DATABASE_KEYS: &[&str] = &["path", "synchronous"];
const ARCHIVE_KEYS: &[&str] = &["dir"];
const SMTP_KEYS: &[&str] = &[
    "host", "port", "security", "username", "password", "from", "timeout", "ca_file",
];
const AUTH_KEYS: &[&str] = &[
    "code_ttl",
    "max_attempts",
    "resend_cooldown",
    "max_codes_per_hour",
];
const TIMEOUTS_KEYS: &[&str] = &["idle_close"];
const DISK_KEYS: &[&str] = &[
    "check_interval",
    "min_free_mb",
    "min_free_percent",
    "repeat_every",
    "alert_to",
];
const LIMITS_KEYS: &[&str] = &[
    "global_per_second",
    "per_chat_per_second",
    "per_group_per_minute",
];
const MEMBER_KEYS: &[&str] = &["chat_id", "name"];
const LOG_KEYS: &[&str] = &["level"];
const ADMIN_KEYS: &[&str] = &["listen"];

/// Every top-level key with its known keys (for "did you mean" and the example test).
const SECTIONS: &[(&str, &[&str])] = &[
    ("telegram", TELEGRAM_KEYS),
    ("webhook", WEBHOOK_KEYS),
    ("database", DATABASE_KEYS),
    ("archive", ARCHIVE_KEYS),
    ("smtp", SMTP_KEYS),
    ("auth", AUTH_KEYS),
    ("timeouts", TIMEOUTS_KEYS),
    ("disk", DISK_KEYS),
    ("limits", LIMITS_KEYS),
    ("specialists", MEMBER_KEYS),
    ("service_groups", MEMBER_KEYS),
    ("controllers", MEMBER_KEYS),
    ("texts", &["locale"]),
    ("log", LOG_KEYS),
    ("admin", ADMIN_KEYS),
];

/// Problems found so far, in the order found.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(key, message));
    }

    /// Whether `key` or a table holding it (`disk` for `disk.alert_to[0]`) already has
    /// a problem.
    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|p| {
            key.strip_prefix(p.key.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// Push unless the key already has a problem (e.g. a type error).
    fn check(&mut self, key: &str, ok: bool, message: impl FnOnce() -> String) {
        if !ok && !self.has(key) {
            self.push(key, message());
        }
    }

    fn config_error(&mut self, prefix: &str, error: ConfigError) {
        let (suffix, message) = split_config_error(error);
        self.push(join_key(prefix, suffix.as_deref().unwrap_or("")), message);
    }
}

fn join_key(prefix: &str, suffix: &str) -> String {
    if suffix.is_empty() {
        prefix.to_string()
    } else if prefix.is_empty() {
        suffix.to_string()
    } else if suffix.starts_with('[') {
        format!("{prefix}{suffix}")
    } else {
        format!("{prefix}.{suffix}")
    }
}

/// (the key path inside the deserialized value, a readable message)
fn split_config_error(error: ConfigError) -> (Option<String>, String) {
    match error {
        ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => (key, type_message(&unexpected.to_string(), expected)),
        ConfigError::At { error, key, .. } => {
            let (inner, message) = split_config_error(*error);
            (key.or(inner), message)
        }
        ConfigError::NotFound(key) => (Some(key), "missing".to_string()),
        ConfigError::Message(message) => {
            // serde's own "invalid type: integer `5`, expected a sequence"
            let tidy = message
                .strip_prefix("invalid type: ")
                .and_then(|m| m.split_once(", expected "))
                .map(|(unexpected, expected)| type_message(unexpected, expected));
            (None, tidy.unwrap_or(message))
        }
        other => (None, other.to_string()),
    }
}

/// "expected a whole number from 0 to 65535, got \"abc\"" from the config crate's
/// `Unexpected` and `expected` texts.
fn type_message(unexpected: &str, expected: &str) -> String {
    let got = if let Some(s) = unexpected.strip_prefix("string ") {
        s.to_string()
    } else if let (Some(start), Some(end)) = (unexpected.find('`'), unexpected.rfind('`')) {
        // "64-bit integer `-5`", "floating point `1.5`", "boolean `true`"
        if start < end {
            unexpected[start + 1..end].to_string()
        } else {
            unexpected.to_string()
        }
    } else {
        match unexpected {
            "sequence" => "an array".to_string(),
            "map" => "a table".to_string(),
            "unit value" => "nothing".to_string(),
            other => other.to_string(),
        }
    };
    let want = match expected {
        "an unsigned 8 bit integer" => "a whole number from 0 to 255".to_string(),
        "an unsigned 16 bit integer" => "a whole number from 0 to 65535".to_string(),
        "an unsigned 32 bit integer" => "a whole number from 0 to 4294967295".to_string(),
        "an signed 32 bit integer" => "a whole number from -2147483648 to 2147483647".to_string(),
        e if e.contains("unsigned") => "a whole number, not negative".to_string(),
        e if e.contains("integer") => "a whole number".to_string(),
        "a floating point" => "a number".to_string(),
        "a boolean" => "true or false".to_string(),
        "a map" | "a map of strings" => "a table".to_string(),
        "a sequence" => "an array".to_string(),
        other => other.to_string(),
    };
    format!("expected {want}, got {got}")
}

fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Nil => "nothing".into(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(i) => i.to_string(),
        ValueKind::I128(i) => i.to_string(),
        ValueKind::U64(i) => i.to_string(),
        ValueKind::U128(i) => i.to_string(),
        ValueKind::Float(f) => f.to_string(),
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Table(_) => "a table".into(),
        ValueKind::Array(_) => "an array".into(),
    }
}

fn table_value(table: Map<String, Value>) -> Value {
    Value::new(None, ValueKind::Table(table))
}

/// Relative path of an ignored (unknown) key, as `key`, `key.sub`, `key[2]`.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        P::Map { parent, key } => join_key(&ignored_path(parent), key),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent)
        }
    }
}

fn unknown_key_message(key: &str, known: &[&str], what: &str) -> String {
    match suggest(key, known) {
        Some(s) => format!("unknown {what} (did you mean \"{s}\"?)"),
        None => format!("unknown {what}"),
    }
}

/// The known name closest to `word`, if it is a plausible typo of it.
fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&word, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len().max(word.len()) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Deserialize one table (a section or a list entry) into `T`, reporting its missing
/// required keys, unknown keys and every key that does not deserialize. Returns the
/// value built from the keys that did (the others at their defaults), or `None` when
/// even that fails.
fn de_table<T: DeserializeOwned>(
    prefix: &str,
    table: Map<String, Value>,
    required: &[&str],
    known: &[&str],
    p: &mut Problems,
) -> Option<T> {
    for key in required {
        let full = join_key(prefix, key);
        if !table.contains_key(*key) && !p.has(&full) {
            p.push(full, "missing");
        }
    }
    let report_unknown = |ignored: Vec<String>, p: &mut Problems| {
        let mut ignored = ignored;
        ignored.sort();
        ignored.dedup();
        for key in ignored {
            let message = unknown_key_message(&key, known, "key");
            p.push(join_key(prefix, &key), message);
        }
    };

    let mut ignored = Vec::new();
    let whole = serde_ignored::deserialize::<_, _, T>(table_value(table.clone()), |path| {
        ignored.push(ignored_path(&path));
    });
    let whole_error = match whole {
        Ok(value) => {
            report_unknown(ignored, p);
            return Some(value);
        }
        Err(e) => e,
    };

    // Something is wrong: try every key alone to name every bad one.
    let mut keys: Vec<&String> = table.keys().collect();
    keys.sort();
    let mut good = Map::new();
    let mut found = false;
    for key in keys {
        let Some(value) = table.get(key) else {
            continue;
        };
        let mut single = Map::new();
        single.insert(key.clone(), value.clone());
        let mut ignored = Vec::new();
        match serde_ignored::deserialize::<_, _, T>(table_value(single), |path| {
            ignored.push(ignored_path(&path));
        }) {
            Ok(_) => {
                report_unknown(ignored, p);
                good.insert(key.clone(), value.clone());
            }
            Err(e) => {
                found = true;
                p.config_error(prefix, e);
            }
        }
    }
    if !found {
        p.config_error(prefix, whole_error);
    }
    T::deserialize(table_value(good)).ok()
}

/// A section: absent means all defaults (and its required keys missing).
fn de_section<T: DeserializeOwned + Default>(
    root: &mut Map<String, Value>,
    name: &str,
    required: &[&str],
    known: &[&str],
    p: &mut Problems,
) -> T {
    let table = match root.remove(name) {
        None => Map::new(),
        Some(Value {
            kind: ValueKind::Table(t),
            ..
        }) => t,
        Some(other) => {
            p.push(
                name,
                format!("expected a table ([{name}]), got {}", describe(&other.kind)),
            );
            return T::default();
        }
    };
    de_table(name, table, required, known, p).unwrap_or_default()
}

/// An array of tables (`[[specialists]]`): the entries that deserialized, with
/// their index.
fn de_list<T: DeserializeOwned>(
    root: &mut Map<String, Value>,
    name: &str,
    required: &[&str],
    known: &[&str],
    p: &mut Problems,
) -> Vec<(usize, T)> {
    let items = match root.remove(name) {
        None => return Vec::new(),
        Some(Value {
            kind: ValueKind::Array(items),
            ..
        }) => items,
        Some(other) => {
            p.push(
                name,
                format!(
                    "expected a list of [[{name}]] tables, got {}",
                    describe(&other.kind)
                ),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let prefix = format!("{name}[{i}]");
        match item.kind {
            ValueKind::Table(t) => {
                if let Some(v) = de_table(&prefix, t, required, known, p) {
                    out.push((i, v));
                }
            }
            other => p.push(
                prefix,
                format!(
                    "expected a table with {}, got {}",
                    required.join(" and "),
                    describe(&other)
                ),
            ),
        }
    }
    out
}

/// `[texts]`: `locale` and any other key as a text override.
fn de_texts(root: &mut Map<String, Value>, p: &mut Problems) -> TextsConfig {
    let mut texts = TextsConfig::default();
    let table = match root.remove("texts") {
        None => return texts,
        Some(Value {
            kind: ValueKind::Table(t),
            ..
        }) => t,
        Some(other) => {
            p.push(
                "texts",
                format!("expected a table ([texts]), got {}", describe(&other.kind)),
            );
            return texts;
        }
    };
    let mut entries: Vec<(String, Value)> = table.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in entries {
        let full = format!("texts.{key}");
        if key == "locale" {
            match Locale::deserialize(value) {
                Ok(locale) => texts.locale = locale,
                Err(e) => p.config_error(&full, e),
            }
        } else {
            match value.into_string() {
                Ok(text) => {
                    texts.overrides.insert(key, text);
                }
                Err(e) => p.config_error(&full, e),
            }
        }
    }
    texts
}

/// An environment variable can only hold a string: `RELAYDESK__DISK__ALERT_TO=a@x,b@y`
/// becomes a list.
fn split_string_lists(root: &mut Map<String, Value>) {
    if let Some(Value {
        kind: ValueKind::Table(disk),
        ..
    }) = root.get_mut("disk")
        && let Some(value) = disk.get_mut("alert_to")
        && let ValueKind::String(s) = &value.kind
    {
        let items = s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::new(None, ValueKind::String(s.to_string())))
            .collect();
        value.kind = ValueKind::Array(items);
    }
}

/// The config crate would quietly round `max_attempts = 2.5` to 3 and read
/// `port = true` as 1: in the file, a float or a boolean is accepted only where one is
/// expected.
fn reject_loose_scalars(root: &mut Map<String, Value>, p: &mut Problems) {
    const FLOATS: &[&str] = &["disk.min_free_percent"];
    const BOOLS: &[&str] = &["webhook.upload_certificate"];
    let check = |prefix: &str, table: &mut Map<String, Value>, p: &mut Problems| {
        let mut bad: Vec<(String, String)> = table
            .iter()
            .filter_map(|(key, value)| {
                let plain = format!("{}.{key}", prefix.split('[').next().unwrap_or(""));
                match value.kind {
                    ValueKind::Float(f) if !FLOATS.contains(&plain.as_str()) => {
                        Some((key.clone(), format!("expected a whole number, got {f:?}")))
                    }
                    ValueKind::Boolean(b) if !BOOLS.contains(&plain.as_str()) => Some((
                        key.clone(),
                        format!("expected a number or a string, got {b}"),
                    )),
                    _ => None,
                }
            })
            .collect();
        bad.sort();
        for (key, message) in bad {
            table.remove(&key);
            p.push(format!("{prefix}.{key}"), message);
        }
    };
    for (name, _) in SECTIONS {
        if *name == "texts" {
            continue;
        }
        match root.get_mut(*name).map(|v| &mut v.kind) {
            Some(ValueKind::Table(table)) => check(name, table, p),
            Some(ValueKind::Array(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let ValueKind::Table(table) = &mut item.kind {
                        check(&format!("{name}[{i}]"), table, p);
                    }
                }
            }
            _ => {}
        }
    }
}

fn from_root(mut root: Map<String, Value>, p: &mut Problems) -> Config {
    // Unknown top-level keys first: a misspelt [smpt] explains the missing smtp.host.
    let known: Vec<&str> = SECTIONS.iter().map(|(name, _)| *name).collect();
    let mut unknown: Vec<(&String, &Value)> = root
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .collect();
    unknown.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in unknown {
        let what = match value.kind {
            ValueKind::Table(_) | ValueKind::Array(_) => "section",
            _ => "key",
        };
        p.push(key.clone(), unknown_key_message(key, &known, what));
    }
    split_string_lists(&mut root);
    reject_loose_scalars(&mut root, p);

    let r = &mut root;
    let mut config = Config {
        telegram: de_section(r, "telegram", &["token"], TELEGRAM_KEYS, p),
        webhook: de_section(r, "webhook", &[], WEBHOOK_KEYS, p),
        database: de_section(r, "database", &[], DATABASE_KEYS, p),
        archive: de_section(r, "archive", &[], ARCHIVE_KEYS, p),
        smtp: de_section(r, "smtp", &["host", "from"], SMTP_KEYS, p),
        auth: de_section(r, "auth", &[], AUTH_KEYS, p),
        timeouts: de_section(r, "timeouts", &[], TIMEOUTS_KEYS, p),
        disk: de_section(r, "disk", &[], DISK_KEYS, p),
        limits: de_section(r, "limits", &[], LIMITS_KEYS, p),
        specialists: Vec::new(),
        service_groups: Vec::new(),
        controllers: Vec::new(),
        texts: TextsConfig::default(),
        log: LogConfig::default(),
        admin: AdminConfig::default(),
    };
    let specialists = de_list::<Person>(r, "specialists", MEMBER_KEYS, MEMBER_KEYS, p);
    let service_groups = de_list::<Group>(r, "service_groups", MEMBER_KEYS, MEMBER_KEYS, p);
    let controllers = de_list::<Person>(r, "controllers", MEMBER_KEYS, MEMBER_KEYS, p);
    config.texts = de_texts(r, p);
    config.log = de_section(r, "log", &[], LOG_KEYS, p);
    config.admin = de_section(r, "admin", &[], ADMIN_KEYS, p);

    validate(&mut config, p);
    config.specialists = check_members(specialists, "specialists", 1, |x| (x.chat_id, &x.name), p);
    config.service_groups = check_members(
        service_groups,
        "service_groups",
        -1,
        |x| (x.chat_id, &x.name),
        p,
    );
    config.controllers = check_members(controllers, "controllers", 1, |x| (x.chat_id, &x.name), p);
    config
}

// ---------------------------------------------------------------------------------
// Semantic checks
// ---------------------------------------------------------------------------------

const SECRET_TOKEN_RULE: &str = "1-256 characters of A-Z a-z 0-9 _ -";

fn valid_secret_token(token: &str) -> bool {
    (1..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `<digits>:<letters, digits, _ ->`, lenient on lengths.
fn valid_bot_token(token: &str) -> bool {
    let Some((id, rest)) = token.split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.len() <= 20
        && id.bytes().all(|b| b.is_ascii_digit())
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn de_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(deserializer)?;
    parse_duration(&s).map_err(D::Error::custom)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    const HOW: &str = "write a duration like \"90s\", \"10m\", \"1h\" or \"500ms\"";
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{HOW}, got an empty string"));
    }
    humantime::parse_duration(t).map_err(|e| format!("{HOW}, got {s:?} ({e})"))
}

fn de_socket_addr<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(deserializer)?;
    s.trim().parse().map_err(|_| {
        D::Error::custom(format!(
            "expected an IP address and port like \"0.0.0.0:8443\" or \"[::]:8443\", got {s:?}"
        ))
    })
}

fn check_duration(p: &mut Problems, key: &str, d: Duration, zero_ok: bool) {
    p.check(key, zero_ok || !d.is_zero(), || "must not be zero".into());
    p.check(key, d <= MAX_DURATION, || "must be at most 366 days".into());
}

fn validate(c: &mut Config, p: &mut Problems) {
    let admin = c.admin.listen.trim();
    if !admin.is_empty() && admin.parse::<SocketAddr>().is_err() {
        p.push(
            "admin.listen",
            format!(
                "must be host:port like 127.0.0.1:9090 (or empty to turn it off), got {admin:?}"
            ),
        );
    }
    // [telegram]
    let token = c.telegram.token.expose();
    if !p.has("telegram.token") {
        if token.is_empty() {
            p.push("telegram.token", "must not be empty");
        } else if !valid_bot_token(token) {
            // never echo the value: it is a secret
            p.push(
                "telegram.token",
                "must look like \"123456789:AAEx...\" (the bot id digits, a colon, then \
                 letters, digits, _ or -); copy it again from @BotFather",
            );
        }
    }
    if !p.has("telegram.api_url") {
        match check_api_url(&c.telegram.api_url) {
            Ok(url) => c.telegram.api_url = url,
            Err(e) => p.push("telegram.api_url", e),
        }
    }
    check_duration(
        p,
        "telegram.request_timeout",
        c.telegram.request_timeout,
        false,
    );
    check_duration(p, "telegram.poll_timeout", c.telegram.poll_timeout, true);
    if !p.has("telegram.request_timeout") {
        p.check(
            "telegram.poll_timeout",
            c.telegram.poll_timeout < c.telegram.request_timeout,
            || {
                format!(
                    "must be shorter than telegram.request_timeout ({}), or every long poll \
                     would time out",
                    humantime::format_duration(c.telegram.request_timeout)
                )
            },
        );
    }

    // [webhook] (public_url and the files: only check_for_webhook)
    let secret = c.webhook.secret_token.expose();
    p.check(
        "webhook.secret_token",
        secret.is_empty() || valid_secret_token(secret),
        || format!("must be {SECRET_TOKEN_RULE}"),
    );
    let max = c.webhook.max_connections;
    p.check("webhook.max_connections", (1..=100).contains(&max), || {
        format!("must be from 1 to 100, got {max}")
    });

    // [database], [archive]
    p.check(
        "database.path",
        !c.database.path.as_os_str().is_empty(),
        || "must not be empty".into(),
    );
    p.check("archive.dir", !c.archive.dir.as_os_str().is_empty(), || {
        "must not be empty".into()
    });

    // [smtp]
    let s = &mut c.smtp;
    if !p.has("smtp.host")
        && let Err(e) = check_smtp_host(&s.host)
    {
        p.push("smtp.host", e);
    }
    p.check("smtp.port", s.port != 0, || "must not be 0".into());
    if !p.has("smtp.from") {
        if s.from.trim().is_empty() {
            p.push("smtp.from", "must not be empty");
        } else if let Err(e) = s.from.parse::<lettre::message::Mailbox>() {
            p.push(
                "smtp.from",
                format!(
                    "must be an address like \"Support bot <bot@example.com>\" or \
                     \"bot@example.com\", got {:?} ({e})",
                    s.from
                ),
            );
        }
    }
    if s.username.as_deref().is_some_and(|u| u.trim().is_empty()) {
        s.username = None;
    }
    if s.password.as_ref().is_some_and(Secret::is_empty) {
        s.password = None;
    }
    match (&s.username, &s.password) {
        (Some(_), None) => p.check("smtp.password", false, || {
            "missing: smtp.username is set, so a password is needed too".into()
        }),
        (None, Some(_)) => p.check("smtp.username", false, || {
            "missing: smtp.password is set, so a user name is needed too".into()
        }),
        _ => {}
    }
    check_duration(p, "smtp.timeout", s.timeout, false);
    if s.ca_file.as_ref().is_some_and(|f| f.as_os_str().is_empty()) {
        s.ca_file = None;
    }
    if let Some(file) = &s.ca_file
        && !p.has("smtp.ca_file")
        && let Err(e) = check_ca_file(file)
    {
        p.push("smtp.ca_file", e);
    }

    // [auth]
    check_duration(p, "auth.code_ttl", c.auth.code_ttl, false);
    check_duration(p, "auth.resend_cooldown", c.auth.resend_cooldown, true);
    p.check("auth.max_attempts", c.auth.max_attempts >= 1, || {
        "must be at least 1".into()
    });
    p.check(
        "auth.max_codes_per_hour",
        c.auth.max_codes_per_hour >= 1,
        || "must be at least 1".into(),
    );

    // [timeouts]
    check_duration(p, "timeouts.idle_close", c.timeouts.idle_close, false);

    // [disk]
    check_duration(p, "disk.check_interval", c.disk.check_interval, false);
    check_duration(p, "disk.repeat_every", c.disk.repeat_every, false);
    let percent = c.disk.min_free_percent;
    p.check(
        "disk.min_free_percent",
        percent.is_finite() && (0.0..100.0).contains(&percent),
        || format!("must be at least 0 and below 100, got {percent}"),
    );
    for (i, address) in c.disk.alert_to.iter().enumerate() {
        let key = format!("disk.alert_to[{i}]");
        if let Err(e) = address.parse::<lettre::Address>() {
            p.check(&key, false, || {
                format!(
                    "must be an email address like \"admin@example.com\", got {address:?} ({e})"
                )
            });
        }
    }

    // [log]
    if let Some(level) = &c.log.level {
        let level = level.trim();
        c.log.level = if level.is_empty() {
            None
        } else {
            Some(level.to_string())
        };
    }
}

/// `sign` is 1 for users (positive ids), -1 for groups (negative ids). Checks ids,
/// names and duplicates; returns the entries.
fn check_members<T>(
    items: Vec<(usize, T)>,
    list: &str,
    sign: i64,
    fields: impl Fn(&T) -> (i64, &String),
    p: &mut Problems,
) -> Vec<T> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (i, item) in &items {
        let (chat_id, name) = fields(item);
        let id_key = format!("{list}[{i}].chat_id");
        let name_key = format!("{list}[{i}].name");
        if sign > 0 {
            p.check(&id_key, chat_id > 0, || {
                format!("must be a positive user id, got {chat_id}")
            });
        } else {
            p.check(&id_key, chat_id < 0, || {
                format!("must be a negative group id (like -1001234567890), got {chat_id}")
            });
        }
        p.check(&name_key, !name.trim().is_empty(), || {
            "must not be empty".into()
        });
        if !p.has(&id_key) {
            match seen.get(&chat_id) {
                Some(first) => p.push(
                    id_key,
                    format!("{chat_id} is already used by {list}[{first}]"),
                ),
                None => {
                    seen.insert(chat_id, *i);
                }
            }
        }
    }
    items.into_iter().map(|(_, item)| item).collect()
}

fn check_smtp_host(host: &str) -> Result<(), String> {
    let h = host.trim();
    if h.is_empty() {
        return Err("must not be empty".into());
    }
    if h.contains("://") || h.contains('/') || h.chars().any(char::is_whitespace) {
        return Err(format!(
            "must be a bare host name like \"smtp.example.com\", got {host:?}"
        ));
    }
    if let Some((_, port)) = h.rsplit_once(':')
        && !h.starts_with('[')
        && h.matches(':').count() == 1
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "must be a host name without a port (put the port in smtp.port), got {host:?}"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------

/// The parts of an absolute http(s) URL that matter here.
struct UrlParts<'a> {
    scheme: String,
    host: &'a str,
    port: Option<u16>,
    /// "" or starting with '/'
    path: &'a str,
}

fn parse_url(url: &str) -> Result<UrlParts<'_>, String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".into());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("must be an absolute URL starting with https://".into());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if tail.contains(['?', '#']) {
        return Err("must not contain a query (?) or fragment (#)".into());
    }
    if authority.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err("has an unclosed [ in its host".into());
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("has an invalid IPv6 address [{host}]"));
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("has junk after its host")?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("has no host name".into());
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(format!("has an invalid host name {host:?}"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && !p.starts_with('+') => Some(n),
            _ => return Err(format!("has an invalid port {p:?}")),
        },
    };
    Ok(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        host,
        port,
        path: tail,
    })
}

/// The API base URL without a trailing slash.
fn check_api_url(url: &str) -> Result<String, String> {
    let u = parse_url(url)?;
    if u.scheme != "http" && u.scheme != "https" {
        return Err(format!("must start with https:// or http://, got {url:?}"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// The host Telegram will connect to, if the URL is usable for a webhook.
fn check_public_url(url: &str) -> Result<String, String> {
    let u = parse_url(url)?;
    if u.scheme != "https" {
        return Err(format!(
            "must start with https:// (Telegram only calls HTTPS webhooks), got {url:?}"
        ));
    }
    let port = u.port.unwrap_or(443);
    if !WEBHOOK_PORTS.contains(&port) {
        return Err(format!(
            "port {port} is not allowed by Telegram: use 443, 80, 88 or 8443"
        ));
    }
    if !u
        .path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
    {
        return Err(format!(
            "the path {:?} may only contain letters, digits and - . _ ~ /",
            u.path
        ));
    }
    if u.path.contains("//") {
        return Err(format!("the path {:?} must not contain //", u.path));
    }
    Ok(u.host.to_string())
}

// ---------------------------------------------------------------------------------
// Certificate and key
// ---------------------------------------------------------------------------------

fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let not_found_hint = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "cannot read {shown}: {e}; `relaydesk gen-cert --host HOST` creates a \
                 self-signed certificate and key"
            )
        } else {
            format!("cannot read {shown}: {e}")
        }
    };
    if path.as_os_str().is_empty() {
        return Err("must not be empty".into());
    }
    let meta = std::fs::metadata(path).map_err(not_found_hint)?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(not_found_hint)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(format!("{shown} is larger than 1 MiB: not a PEM file"));
    }
    Ok(bytes)
}

fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { .. } => "a PEM section has no END line".into(),
        E::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed".into(),
        other => other.to_string(),
    }
}

/// `smtp.ca_file`: a readable PEM file of CA certificates rustls accepts as roots.
fn check_ca_file(path: &Path) -> Result<(), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!("{shown} is larger than 1 MiB: not a PEM file"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a valid PEM file: {}", pem_error(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{shown} holds no certificate (a PEM \"BEGIN CERTIFICATE\" block)"
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("a certificate in {shown} cannot be used: {e}"))?;
    }
    Ok(())
}

fn check_tls_files(cert_path: &Path, key_path: &Path, host: Option<&str>, p: &mut Problems) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    const CERT: &str = "webhook.tls_cert";
    const KEY: &str = "webhook.tls_key";

    let certs: Option<Vec<CertificateDer<'static>>> = match read_small(cert_path) {
        Err(e) => {
            p.push(CERT, e);
            None
        }
        Ok(bytes) => match CertificateDer::pem_slice_iter(&bytes).collect::<Result<Vec<_>, _>>() {
            Err(e) => {
                p.push(
                    CERT,
                    format!(
                        "{} is not a valid PEM file: {}",
                        cert_path.display(),
                        pem_error(&e)
                    ),
                );
                None
            }
            Ok(certs) if certs.is_empty() => {
                p.push(
                    CERT,
                    format!(
                        "{} holds no certificate (a PEM \"BEGIN CERTIFICATE\" block)",
                        cert_path.display()
                    ),
                );
                None
            }
            Ok(certs) => Some(certs),
        },
    };

    // The first certificate must parse and name the public host.
    let mut certs_ok = certs;
    if let Some(first) = certs_ok.as_ref().and_then(|c| c.first()) {
        match rustls::server::ParsedCertificate::try_from(first) {
            Err(e) => {
                p.push(
                    CERT,
                    format!(
                        "the certificate in {} cannot be parsed: {e}",
                        cert_path.display()
                    ),
                );
                certs_ok = None;
            }
            Ok(parsed) => {
                if let Some(host) = host
                    && let Ok(name) = ServerName::try_from(host)
                    && let Err(e) = rustls::client::verify_server_name(&parsed, &name)
                {
                    p.push(
                        CERT,
                        format!(
                            "the certificate in {} is not valid for {host}, the host of \
                             webhook.public_url ({e})",
                            cert_path.display()
                        ),
                    );
                }
            }
        }
    }

    let key = match read_small(key_path) {
        Err(e) => {
            p.push(KEY, e);
            None
        }
        Ok(bytes) => match PrivateKeyDer::from_pem_slice(&bytes) {
            Ok(key) => Some(key),
            Err(rustls::pki_types::pem::Error::NoItemsFound) => {
                p.push(
                    KEY,
                    format!(
                        "{} holds no private key (a PEM \"BEGIN PRIVATE KEY\" block)",
                        key_path.display()
                    ),
                );
                None
            }
            Err(e) => {
                p.push(
                    KEY,
                    format!(
                        "{} is not a valid PEM file: {}",
                        key_path.display(),
                        pem_error(&e)
                    ),
                );
                None
            }
        },
    };

    let Some(key) = key else { return };
    let provider = rustls::crypto::ring::default_provider();
    let signing_key = match provider.key_provider.load_private_key(key) {
        Ok(k) => k,
        Err(e) => {
            p.push(
                KEY,
                format!("the key in {} cannot be used: {e}", key_path.display()),
            );
            return;
        }
    };
    if let Some(certs) = certs_ok {
        let certified = rustls::sign::CertifiedKey::new(certs, signing_key);
        if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
            certified.keys_match()
        {
            p.push(
                KEY,
                format!(
                    "the key in {} does not belong to the certificate in {}",
                    key_path.display(),
                    cert_path.display()
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const EXAMPLE: &str = include_str!("../config.toml.example");

    const MINIMAL: &str = r#"
        [telegram]
        token = "123456:ABC-def_ghi"
        [smtp]
        host = "smtp.example.com"
        from = "bot@example.com"
    "#;

    fn problems(toml: &str) -> Vec<Problem> {
        match Config::from_toml_str(toml) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems,
        }
    }

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    fn load_ok(toml: &str) -> Config {
        match Config::from_toml_str(toml) {
            Ok(c) => c,
            Err(e) => panic!("unexpected problems:\n{e}"),
        }
    }

    #[test]
    fn example_loads_without_problems() {
        let c = load_ok(EXAMPLE);
        assert_eq!(c.telegram.api_url, "https://api.telegram.org");
        assert_eq!(c.webhook_path(), "/telegram");
        assert_eq!(c.specialists.len(), 1);
        assert!(c.is_specialist(111111111));
        assert!(c.is_service_group(-1001234567890));
        assert!(c.is_controller(333333333));
        assert!(!c.is_specialist(333333333));
        assert!(c.smtp.from_mailbox().is_ok());
    }

    #[test]
    fn example_documents_every_key() {
        for (section, keys) in SECTIONS {
            assert!(
                EXAMPLE.contains(&format!("\n[{section}]"))
                    || EXAMPLE.contains(&format!("\n[[{section}]]")),
                "section {section} missing from the example"
            );
            for key in *keys {
                assert!(
                    EXAMPLE.contains(&format!("\n{key} = "))
                        || EXAMPLE.contains(&format!("\n# {key} = ")),
                    "{section}.{key} missing from the example"
                );
            }
        }
    }

    #[test]
    fn example_values_are_the_defaults() {
        let c = load_ok(EXAMPLE);
        let d = load_ok(MINIMAL);
        assert_eq!(c.telegram.request_timeout, d.telegram.request_timeout);
        assert_eq!(c.telegram.poll_timeout, d.telegram.poll_timeout);
        assert_eq!(c.webhook.listen, d.webhook.listen);
        assert_eq!(c.webhook.tls_cert, d.webhook.tls_cert);
        assert_eq!(c.webhook.tls_key, d.webhook.tls_key);
        assert_eq!(c.webhook.upload_certificate, d.webhook.upload_certificate);
        assert_eq!(c.webhook.max_connections, d.webhook.max_connections);
        assert_eq!(c.database.path, d.database.path);
        assert_eq!(c.archive.dir, d.archive.dir);
        assert_eq!(c.smtp.port, d.smtp.port);
        assert_eq!(c.smtp.security, d.smtp.security);
        assert_eq!(c.smtp.timeout, d.smtp.timeout);
        assert_eq!(c.smtp.ca_file, d.smtp.ca_file);
        assert_eq!(c.auth.code_ttl, d.auth.code_ttl);
        assert_eq!(c.auth.max_attempts, d.auth.max_attempts);
        assert_eq!(c.auth.resend_cooldown, d.auth.resend_cooldown);
        assert_eq!(c.auth.max_codes_per_hour, d.auth.max_codes_per_hour);
        assert_eq!(c.timeouts.idle_close, d.timeouts.idle_close);
        assert_eq!(c.disk.check_interval, d.disk.check_interval);
        assert_eq!(c.disk.min_free_mb, d.disk.min_free_mb);
        assert_eq!(c.disk.min_free_percent, d.disk.min_free_percent);
        assert_eq!(c.disk.repeat_every, d.disk.repeat_every);
        assert_eq!(c.disk.alert_to, d.disk.alert_to);
        assert_eq!(c.limits, d.limits);
        assert_eq!(c.texts, d.texts);
        assert_eq!(c.log.level, d.log.level);
    }

    #[test]
    fn minimal_config_gets_the_defaults() {
        let c = load_ok(MINIMAL);
        assert_eq!(c.telegram.token.expose(), "123456:ABC-def_ghi");
        assert_eq!(c.telegram.api_url, "https://api.telegram.org");
        assert_eq!(c.telegram.request_timeout, Duration::from_secs(30));
        assert_eq!(c.telegram.poll_timeout, Duration::from_secs(25));
        assert_eq!(c.webhook.listen, "0.0.0.0:8443".parse().unwrap());
        assert_eq!(c.webhook.public_url, "");
        assert!(c.webhook.secret_token.is_empty());
        assert_eq!(c.webhook.tls_cert, PathBuf::from("cert/cert.pem"));
        assert_eq!(c.webhook.tls_key, PathBuf::from("cert/key.pem"));
        assert!(c.webhook.upload_certificate);
        assert_eq!(c.webhook.max_connections, 40);
        assert_eq!(c.database.path, PathBuf::from("db/relaydesk.sqlite3"));
        assert_eq!(c.archive.dir, PathBuf::from("archive"));
        assert_eq!(c.smtp.port, 587);
        assert_eq!(c.smtp.security, SmtpSecurity::Starttls);
        assert_eq!(c.smtp.username, None);
        assert_eq!(c.smtp.password, None);
        assert_eq!(c.smtp.timeout, Duration::from_secs(30));
        assert_eq!(c.smtp.ca_file, None);
        assert_eq!(c.auth.code_ttl, Duration::from_secs(600));
        assert_eq!(c.auth.max_attempts, 5);
        assert_eq!(c.auth.resend_cooldown, Duration::from_secs(60));
        assert_eq!(c.auth.max_codes_per_hour, 5);
        assert_eq!(c.timeouts.idle_close, Duration::from_secs(3600));
        assert_eq!(c.disk.check_interval, Duration::from_secs(600));
        assert_eq!(c.disk.min_free_mb, 1024);
        assert_eq!(c.disk.min_free_percent, 5.0);
        assert_eq!(c.disk.repeat_every, Duration::from_secs(86400));
        assert!(c.disk.alert_to.is_empty());
        assert_eq!(c.limits, LimitsConfig::default());
        assert_eq!(c.limits.global_per_second, 30);
        assert!(
            c.specialists.is_empty() && c.service_groups.is_empty() && c.controllers.is_empty()
        );
        assert_eq!(c.texts.locale, Locale::Ru);
        assert!(c.texts.overrides.is_empty());
        assert_eq!(c.log.level, None);
        assert_eq!(c.webhook_path(), "/");
    }

    #[test]
    fn missing_required_keys_are_each_named() {
        let p = problems("");
        assert_eq!(keys(&p), ["telegram.token", "smtp.host", "smtp.from"]);
        assert!(p.iter().all(|p| p.message == "missing"), "{p:?}");
    }

    #[test]
    fn durations_parse() {
        let c = load_ok(&format!(
            "{MINIMAL}\n[auth]\ncode_ttl = \"90s\"\nresend_cooldown = \"500ms\"\n\
             [timeouts]\nidle_close = \"10m\"\n[disk]\nrepeat_every = \"1h\"\n"
        ));
        assert_eq!(c.auth.code_ttl, Duration::from_secs(90));
        assert_eq!(c.auth.resend_cooldown, Duration::from_millis(500));
        assert_eq!(c.timeouts.idle_close, Duration::from_secs(600));
        assert_eq!(c.disk.repeat_every, Duration::from_secs(3600));
    }

    #[test]
    fn bad_durations_name_their_key() {
        let p = problems(&format!(
            "{MINIMAL}\n[auth]\ncode_ttl = \"ten minutes\"\nresend_cooldown = 60\n\
             [timeouts]\nidle_close = \"0s\"\n[disk]\nrepeat_every = \"1000y\"\n"
        ));
        assert_eq!(
            keys(&p),
            [
                "auth.code_ttl",
                "auth.resend_cooldown",
                "timeouts.idle_close",
                "disk.repeat_every"
            ],
            "{p:?}"
        );
        assert!(p[0].message.contains("\"ten minutes\""), "{}", p[0]);
        assert!(p[1].message.contains("90s"), "{}", p[1]);
        assert_eq!(p[2].message, "must not be zero");
        assert!(p[3].message.contains("at most"), "{}", p[3]);
    }

    #[test]
    fn many_mistakes_are_all_reported() {
        let toml = r#"
            [telegram]
            token = "123456:ABC"
            [webhook]
            secret_token = "has spaces and !"
            max_connections = 0
            [smtp]
            host = "smtp.example.com"
            prot = 25
            port = "abc"
            from = "not an address"
            [disk]
            alert_to = ["ok@example.com", "nope"]
            [[specialists]]
            chat_id = 1
            name = "Anna"
            [[specialists]]
            chat_id = -5
            name = "Bob"
            [[specialists]]
            chat_id = 1
            name = ""
            [[service_groups]]
            chat_id = 42
            name = "Support"
            [[controllers]]
            name = "Boss"
            colour = "red"
            [smpt]
            host = "x"
        "#;
        let p = problems(toml);
        let text = ConfigErrors {
            problems: p.clone(),
        }
        .to_string();
        let expect = [
            ("smpt", "unknown section (did you mean \"smtp\"?)"),
            (
                "webhook.secret_token",
                "must be 1-256 characters of A-Z a-z 0-9 _ -",
            ),
            ("webhook.max_connections", "must be from 1 to 100, got 0"),
            ("smtp.port", "expected a whole number, got \"abc\""),
            ("smtp.prot", "unknown key (did you mean \"port\"?)"),
            (
                "specialists[1].chat_id",
                "must be a positive user id, got -5",
            ),
            ("specialists[2].name", "must not be empty"),
            (
                "specialists[2].chat_id",
                "1 is already used by specialists[0]",
            ),
            (
                "service_groups[0].chat_id",
                "must be a negative group id (like -1001234567890), got 42",
            ),
            ("controllers[0].chat_id", "missing"),
            ("controllers[0].colour", "unknown key"),
        ];
        for (key, message) in expect {
            assert!(
                p.iter().any(|p| p.key == key && p.message == message),
                "expected `{key}: {message}` in\n{text}"
            );
        }
        assert!(p.iter().any(|p| p.key == "smtp.from"), "{text}");
        assert!(p.iter().any(|p| p.key == "disk.alert_to[1]"), "{text}");
        assert_eq!(p.len(), expect.len() + 2, "{text}");
        assert_eq!(text.lines().count(), p.len());
    }

    #[test]
    fn type_errors_in_one_section_do_not_hide_others() {
        let p = problems(&format!(
            "{MINIMAL}\n[limits]\nglobal_per_second = -1\nper_chat_per_second = true\n\
             per_group_per_minute = \"x\"\n[webhook]\nlisten = \"nowhere\"\n\
             upload_certificate = \"maybe\"\n[texts]\nlocale = \"de\"\ngreeting = \"Hi\"\nbad = [1]\n"
        ));
        let k = keys(&p);
        for key in [
            "webhook.listen",
            "webhook.upload_certificate",
            "limits.global_per_second",
            "limits.per_group_per_minute",
            "texts.bad",
            "texts.locale",
        ] {
            assert!(k.contains(&key), "{key} not in {p:?}");
        }
        let locale = p.iter().find(|p| p.key == "texts.locale").unwrap();
        assert_eq!(locale.message, "expected \"ru\" or \"en\", got \"de\"");
    }

    #[test]
    fn floats_and_booleans_only_where_expected() {
        let p = problems(&format!(
            "{MINIMAL}\nport = 25.0\n[auth]\nmax_attempts = 2.5\n[disk]\nmin_free_percent = 2.5\n\
             [[specialists]]\nchat_id = true\nname = \"A\"\n[webhook]\nupload_certificate = false\n"
        ));
        let text = ConfigErrors {
            problems: p.clone(),
        }
        .to_string();
        assert_eq!(
            text,
            "smtp.port: expected a whole number, got 25.0\n\
             auth.max_attempts: expected a whole number, got 2.5\n\
             specialists[0].chat_id: expected a number or a string, got true"
        );
        let p = problems(&MINIMAL.replace("\"smtp.example.com\"", "true"));
        assert_eq!(keys(&p), ["smtp.host"], "{p:?}");
    }

    #[test]
    fn sections_of_the_wrong_shape() {
        let p = problems(&format!(
            "log = 5\nspecialists = {{ chat_id = 1 }}\n{MINIMAL}"
        ));
        assert_eq!(keys(&p), ["specialists", "log"], "{p:?}");
        let p = problems("telegram = \"x\"\n[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\n");
        assert_eq!(keys(&p), ["telegram"], "{p:?}");
    }

    #[test]
    fn texts_accept_any_key() {
        let c = load_ok(&format!(
            "{MINIMAL}\n[texts]\nlocale = \"en\"\ngreeting = \"Hello\"\nanything_else = \"x\"\n"
        ));
        assert_eq!(c.texts.locale, Locale::En);
        assert_eq!(c.texts.overrides.len(), 2);
        assert_eq!(c.texts.overrides["greeting"], "Hello");
    }

    #[test]
    fn values_are_checked_and_normalised() {
        let c = load_ok(&format!(
            "{MINIMAL}\n[log]\nlevel = \"  \"\n\
             [disk]\nmin_free_percent = 0\nalert_to = [\"a@example.com\"]\n"
        ));
        assert_eq!(c.log.level, None);
        assert_eq!(c.disk.min_free_percent, 0.0);
        assert_eq!(c.disk.alert_addresses().len(), 1);

        let c = load_ok(&MINIMAL.replace(
            "[telegram]",
            "[telegram]\napi_url = \"http://127.0.0.1:8081/\"",
        ));
        assert_eq!(c.telegram.api_url, "http://127.0.0.1:8081");

        let toml = MINIMAL
            .replace(
                "token = \"123456:ABC-def_ghi\"",
                "token = \"123456ABC\"\napi_url = \"ftp://x\"\npoll_timeout = \"30s\"",
            )
            .replace(
                "host = \"smtp.example.com\"",
                "host = \"smtp.example.com:587\"\nusername = \"u\"\nsecurity = \"ssl\"",
            );
        let p = problems(&format!(
            "{toml}\n[disk]\nmin_free_percent = 100\n[auth]\nmax_attempts = 0\n"
        ));
        assert_eq!(
            keys(&p),
            [
                "telegram.token",
                "telegram.api_url",
                "telegram.poll_timeout",
                "smtp.security",
                "smtp.host",
                "smtp.password",
                "auth.max_attempts",
                "disk.min_free_percent",
            ],
            "{p:?}"
        );
        // the token itself never appears in a message
        assert!(p.iter().all(|p| !p.message.contains("123456ABC")));
    }

    #[test]
    fn toml_syntax_errors_give_the_line() {
        let p = problems("[telegram]\ntoken = \"abc\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key, "config");
        assert!(p[0].message.contains("line 2"), "{}", p[0]);
        assert!(!p[0].message.contains('\n'), "{}", p[0]);
        let p = problems("[smtp]\nport = 1\nport = 2\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("line 3"), "{}", p[0]);
    }

    #[test]
    fn secrets_never_show() {
        let c = load_ok(&format!(
            "{}\n[webhook]\nsecret_token = \"webhook-secret-value\"\n",
            MINIMAL.replace(
                "host = \"smtp.example.com\"",
                "host = \"smtp.example.com\"\nusername = \"bot\"\npassword = \"smtp-password-value\""
            )
        ));
        let debug = format!("{c:?}");
        for secret in ["ABC-def_ghi", "webhook-secret-value", "smtp-password-value"] {
            assert!(!debug.contains(secret), "{secret} shown in {debug}");
        }
        assert!(debug.contains("***"));
        assert_eq!(c.telegram.token.to_string(), "***");
        assert_eq!(
            c.smtp.password.as_ref().map(Secret::expose),
            Some("smtp-password-value")
        );
    }

    // ---- environment ----

    /// Tests that touch the process environment hold this lock.
    static ENV_LOCK: Mutex<()> = Mutex::new(());

    /// Sets variables for the duration of a test and removes them afterwards.
    struct EnvGuard {
        vars: Vec<&'static str>,
        _lock: std::sync::MutexGuard<'static, ()>,
    }

    impl EnvGuard {
        fn set(vars: &[(&'static str, &str)]) -> EnvGuard {
            let lock = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            for (k, v) in vars {
                // SAFETY: only tests holding ENV_LOCK read or write the environment.
                unsafe { std::env::set_var(k, v) };
            }
            EnvGuard {
                vars: vars.iter().map(|(k, _)| *k).collect(),
                _lock: lock,
            }
        }
    }

    impl Drop for EnvGuard {
        fn drop(&mut self) {
            for k in &self.vars {
                // SAFETY: only tests holding ENV_LOCK read or write the environment.
                unsafe { std::env::remove_var(k) };
            }
        }
    }

    fn temp_config(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = temp_config(MINIMAL);
        let _env = EnvGuard::set(&[
            ("RELAYDESK__TELEGRAM__TOKEN", "999:from-env"),
            ("RELAYDESK__SMTP__PORT", "2525"),
            ("RELAYDESK__SMTP__USERNAME", "bot"),
            ("RELAYDESK__SMTP__PASSWORD", "0123"),
            ("RELAYDESK__WEBHOOK__UPLOAD_CERTIFICATE", "false"),
            ("RELAYDESK__DISK__ALERT_TO", "a@example.com, b@example.com"),
            ("RELAYDESK__TEXTS__GREETING", "Hi from env"),
        ]);
        let c = Config::load(Some(file.path())).unwrap();
        assert_eq!(c.telegram.token.expose(), "999:from-env");
        assert_eq!(c.smtp.port, 2525);
        assert_eq!(c.smtp.username.as_deref(), Some("bot"));
        assert_eq!(c.smtp.password.as_ref().map(Secret::expose), Some("0123"));
        assert!(!c.webhook.upload_certificate);
        assert_eq!(c.disk.alert_to, ["a@example.com", "b@example.com"]);
        assert_eq!(c.texts.overrides["greeting"], "Hi from env");
        assert_eq!(c.smtp.host, "smtp.example.com"); // still from the file
    }

    #[test]
    fn environment_mistakes_name_the_variable() {
        let file = temp_config(MINIMAL);
        let _env = EnvGuard::set(&[
            ("RELAYDESK__SMTP__PROT", "25"),
            ("RELAYDESK__AUTH__CODE_TTL", "soon"),
        ]);
        let p = Config::load(Some(file.path())).unwrap_err().problems;
        assert_eq!(keys(&p), ["smtp.prot", "auth.code_ttl"], "{p:?}");
        assert!(
            p[0].message
                .ends_with("(set by the environment variable RELAYDESK__SMTP__PROT)"),
            "{}",
            p[0]
        );
        assert!(
            p[1].message.contains("RELAYDESK__AUTH__CODE_TTL"),
            "{}",
            p[1]
        );
    }

    #[test]
    fn config_file_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        {
            let _env = EnvGuard::set(&[]);
            // an explicit file must exist
            let p = Config::load(Some(&missing)).unwrap_err().problems;
            assert_eq!(keys(&p), [missing.display().to_string()]);
            assert!(p[0].message.starts_with("cannot read"), "{}", p[0]);
            // a missing default file is fine: the environment alone is used
            let p = load_with_env(&missing, false, false).unwrap_err().problems;
            assert_eq!(keys(&p), ["telegram.token", "smtp.host", "smtp.from"]);
            assert_eq!(Config::resolve_path(None), PathBuf::from("config.toml"));
        }
        {
            let _env = EnvGuard::set(&[
                ("RELAYDESK__TELEGRAM__TOKEN", "1:x"),
                ("RELAYDESK__SMTP__HOST", "localhost"),
                ("RELAYDESK__SMTP__FROM", "bot@localhost"),
            ]);
            let c = load_with_env(&missing, false, false).unwrap();
            assert_eq!(c.smtp.host, "localhost");
        }
        {
            let file = temp_config("[telegram\n");
            let path = file.path().display().to_string();
            let _env = EnvGuard::set(&[("RELAYDESK_CONFIG", &path)]);
            assert_eq!(Config::resolve_path(None), file.path());
            let p = Config::load(None).unwrap_err().problems;
            assert_eq!(keys(&p), [path.as_str()]);
            assert!(p[0].message.contains("line 1"), "{}", p[0]);
        }
    }

    // ---- webhook ----

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn webhook_config(dir: &Path, host: &str) -> Config {
        let pair = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
        let mut c = load_ok(EXAMPLE);
        c.webhook.tls_cert = write(dir, "cert.pem", &pair.cert.pem());
        c.webhook.tls_key = write(dir, "key.pem", &pair.signing_key.serialize_pem());
        c
    }

    #[test]
    fn example_passes_the_webhook_checks_but_for_the_files() {
        let c = load_ok(EXAMPLE);
        let p = c.check_for_webhook();
        assert!(
            p.iter()
                .all(|p| p.key == "webhook.tls_cert" || p.key == "webhook.tls_key"),
            "{p:?}"
        );
    }

    #[test]
    fn a_valid_certificate_and_key_pass() {
        let dir = tempfile::tempdir().unwrap();
        let c = webhook_config(dir.path(), "bot.example.com");
        assert_eq!(c.check_for_webhook(), []);
    }

    #[test]
    fn webhook_url_problems() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "bot.example.com");
        for (url, fragment) in [
            ("https://bot.example.com:8080/telegram", "port 8080"),
            ("http://bot.example.com/telegram", "https://"),
            ("", "missing"),
            ("https:///telegram", "no host"),
            ("https://bot.example.com/a b", "spaces"),
            ("https://bot.example.com/x?y=1", "query"),
            ("https://bot.example.com/{id}", "path"),
            ("bot.example.com/telegram", "https://"),
        ] {
            c.webhook.public_url = url.to_string();
            let p = c.check_for_webhook();
            assert_eq!(keys(&p), ["webhook.public_url"], "{url}: {p:?}");
            assert!(p[0].message.contains(fragment), "{url}: {}", p[0]);
        }
        for (url, path) in [
            ("https://bot.example.com", "/"),
            ("https://bot.example.com:443/", "/"),
            ("https://bot.example.com:88/hook/x", "/hook/x"),
        ] {
            c.webhook.public_url = url.to_string();
            assert_eq!(c.check_for_webhook(), [], "{url}");
            assert_eq!(c.webhook_path(), path);
        }
    }

    #[test]
    fn load_for_webhook_reports_everything_at_once() {
        let file = temp_config(&format!(
            "{}\n[webhook]\npublic_url = \"https://x.example.com:8080/\"\nlisten = \"?\"\n",
            MINIMAL.replace("\"smtp.example.com\"", "\"\"")
        ));
        let _env = EnvGuard::set(&[]);
        let p = Config::load_for_webhook(Some(file.path()))
            .unwrap_err()
            .problems;
        assert_eq!(
            keys(&p),
            [
                "webhook.listen",
                "webhook.public_url",
                "webhook.secret_token",
                "webhook.tls_cert",
                "webhook.tls_key",
                "smtp.host"
            ],
            "{p:?}"
        );
        assert!(Config::load(Some(file.path())).unwrap_err().problems.len() == 2);
    }

    #[test]
    fn webhook_secret_and_file_problems() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "bot.example.com");
        c.webhook.secret_token = Secret::default();
        c.webhook.tls_cert = dir.path().join("missing.pem");
        let p = c.check_for_webhook();
        assert_eq!(
            keys(&p),
            ["webhook.secret_token", "webhook.tls_cert"],
            "{p:?}"
        );
        assert!(p[1].message.contains("missing.pem"), "{}", p[1]);

        // not PEM at all
        let mut c = webhook_config(dir.path(), "bot.example.com");
        c.webhook.tls_cert = write(dir.path(), "junk.pem", "hello");
        c.webhook.tls_key = c.webhook.tls_cert.clone();
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");

        // the key of another certificate, and a certificate for another host
        let other = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "other.example.org");
        c.webhook.tls_key = webhook_config(other.path(), "bot.example.com")
            .webhook
            .tls_key;
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");
        assert!(
            p[0].message.contains("not valid for bot.example.com"),
            "{}",
            p[0]
        );
        assert!(p[1].message.contains("does not belong"), "{}", p[1]);

        // swapped files
        let mut c = webhook_config(dir.path(), "bot.example.com");
        std::mem::swap(&mut c.webhook.tls_cert, &mut c.webhook.tls_key);
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert", "webhook.tls_key"], "{p:?}");
    }

    #[test]
    fn smtp_ca_file() {
        let dir = tempfile::tempdir().unwrap();
        let with = |path: &Path| {
            MINIMAL.replace(
                "host = \"smtp.example.com\"",
                &format!(
                    "host = \"smtp.example.com\"\nca_file = {:?}",
                    path.display().to_string()
                ),
            )
        };
        let pair = rcgen::generate_simple_self_signed(vec!["smtp.example.com".into()]).unwrap();
        let good = write(dir.path(), "ca.pem", &pair.cert.pem());
        assert_eq!(load_ok(&with(&good)).smtp.ca_file, Some(good.clone()));
        assert_eq!(load_ok(&with(Path::new(""))).smtp.ca_file, None);

        let key = write(dir.path(), "key.pem", &pair.signing_key.serialize_pem());
        let junk = write(
            dir.path(),
            "junk.pem",
            "-----BEGIN CERTIFICATE-----\nnope\n",
        );
        let garbage = write(
            dir.path(),
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        for (path, fragment) in [
            (dir.path().join("missing.pem"), "cannot read"),
            (dir.path().to_path_buf(), "not a regular file"),
            (key, "holds no certificate"),
            (junk, "not a valid PEM file"),
            (garbage, "cannot be used"),
        ] {
            let p = problems(&with(&path));
            assert_eq!(keys(&p), ["smtp.ca_file"], "{p:?}");
            assert!(p[0].message.contains(fragment), "{}", p[0]);
        }
    }

    #[test]
    fn ip_address_webhooks() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = webhook_config(dir.path(), "203.0.113.7");
        c.webhook.public_url = "https://203.0.113.7:8443/telegram".into();
        assert_eq!(c.check_for_webhook(), []);
        c.webhook.public_url = "https://[2001:db8::1]:8443/telegram".into();
        let p = c.check_for_webhook();
        assert_eq!(keys(&p), ["webhook.tls_cert"], "{p:?}");
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        for toml in [
            "[[telegram]]\n",
            "texts = 1\n",
            "[texts]\nlocale = 5\n[texts.nested]\na = 1\n",
            "[disk]\nalert_to = \"a@b.c, ,\"\nmin_free_percent = nan\n",
            "[webhook]\nmax_connections = 99999999999\n",
            "[limits]\nglobal_per_second = 1.5e300\n",
            "[[specialists]]\n[[specialists]]\nchat_id = 9223372036854775807\n",
            "specialists = [1, \"x\", []]\n",
            "[telegram]\ntoken = 5\nrequest_timeout = \"18446744073709551615s\"\n",
        ] {
            let _ = Config::from_toml_str(toml);
        }
        assert_eq!(suggest("", &["a"]), None);
        let _ = parse_url("https://[");
        let _ = parse_url("https://:");
        let _ = parse_url("://");
        let _ = tidy_toml_error("");
    }
}
