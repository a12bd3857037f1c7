//! The sections of the configuration as types, with their serde derives and defaults,
//! and the small queries on a loaded [`Config`].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

pub use super::texts::{Locale, TextsConfig};
use super::urls::parse_url;

pub use super::secret::Secret;

/// The whole configuration; see `config.toml.example` for every key and default.
///
/// Its fields are the sections, by name: the derived `Deserialize` is where the
/// loader learns them (and, through each section's own derive, their keys). Load a
/// configuration with [`Config::load`], which checks it; deserializing a `Config`
/// directly checks nothing.
#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub webhook: WebhookConfig,
    pub database: DatabaseConfig,
    pub archive: ArchiveConfig,
    pub smtp: SmtpConfig,
    pub auth: AuthConfig,
    pub timeouts: TimeoutsConfig,
    pub reports: ReportsConfig,
    pub csat: CsatConfig,
    pub hours: HoursConfig,
    pub reminders: RemindersConfig,
    pub disk: DiskConfig,
    pub limits: LimitsConfig,
    pub retention: RetentionConfig,
    pub specialists: Vec<Person>,
    pub service_groups: Vec<Group>,
    pub controllers: Vec<Person>,
    pub departments: Vec<DepartmentConfig>,
    pub canned: Vec<CannedConfig>,
    pub texts: TextsConfig,
    pub log: LogConfig,
    pub admin: AdminConfig,
    pub console: ConsoleConfig,
}

/// `[telegram]`
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct AuthConfig {
    #[serde(deserialize_with = "de_duration")]
    pub code_ttl: Duration,
    pub max_attempts: u32,
    #[serde(deserialize_with = "de_duration")]
    pub resend_cooldown: Duration,
    pub max_codes_per_hour: u32,
    /// A customer silent this long after being asked for their email or code gets
    /// one reminder (SPEC §9); zero: never.
    #[serde(deserialize_with = "de_duration")]
    pub remind_after: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            code_ttl: Duration::from_secs(10 * 60),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_codes_per_hour: 5,
            remind_after: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// `[retention]` (SPEC §9): communications closed longer than `closed_after` ago
/// lose their messages and archive files (zero: never); the transcript stays with
/// `keep_transcripts`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct RetentionConfig {
    #[serde(deserialize_with = "de_duration")]
    pub closed_after: Duration,
    pub keep_transcripts: bool,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            closed_after: Duration::ZERO,
            keep_transcripts: true,
        }
    }
}

/// `[timeouts]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct TimeoutsConfig {
    #[serde(deserialize_with = "de_duration")]
    pub idle_close: Duration,
    /// This long before a timeout close the customer is warned; zero: never.
    #[serde(deserialize_with = "de_duration")]
    pub close_warning: Duration,
}

impl Default for TimeoutsConfig {
    fn default() -> Self {
        TimeoutsConfig {
            idle_close: Duration::from_secs(60 * 60),
            close_warning: Duration::from_secs(10 * 60),
        }
    }
}

/// `[reminders]`: the reminder steps (SPEC §6.3), increasing; an empty list turns
/// them off.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct RemindersConfig {
    #[serde(deserialize_with = "de_durations")]
    pub unassigned: Vec<Duration>,
    #[serde(deserialize_with = "de_durations")]
    pub unanswered: Vec<Duration>,
}

impl Default for RemindersConfig {
    fn default() -> Self {
        let steps = vec![
            Duration::from_secs(15 * 60),
            Duration::from_secs(30 * 60),
            Duration::from_secs(60 * 60),
        ];
        RemindersConfig {
            unassigned: steps.clone(),
            unanswered: steps,
        }
    }
}

/// `[reports]`: the daily team report to the controllers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct ReportsConfig {
    /// "HH:MM" in the desk's time zone; "" turns the report off.
    pub daily_at: String,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            daily_at: "18:00".into(),
        }
    }
}

impl ReportsConfig {
    /// Minutes after midnight of the daily report, if there is one and it reads.
    pub fn daily_minute(&self) -> Option<u32> {
        parse_hh_mm(&self.daily_at)
    }
}

/// "HH:MM" (00:00–23:59) as minutes after midnight.
pub fn parse_hh_mm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let digits = |x: &str| x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `[hours]`: working hours (SPEC §6.2). Kept as written; [`validate`] reports every
/// bad value by its key, and the queries below read a validated section.
///
/// [`validate`]: super::checks
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HoursConfig {
    /// An IANA zone name; `""`: no working hours, and stats days in UTC.
    pub time_zone: String,
    /// `"HH:MM-HH:MM"` (the end may be `24:00`); `""`: closed that day.
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
    /// `"YYYY-MM-DD"`: whole days closed.
    pub holidays: Vec<String>,
}

impl HoursConfig {
    /// The weekdays' keys and values, Monday first.
    pub fn days(&self) -> [(&'static str, &str); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }

    /// The zone of stats days: `time_zone`, UTC when unset (or invalid, which
    /// validation reports).
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::domain::hours::parse_zone(&self.time_zone).unwrap_or(chrono_tz::Tz::UTC)
    }

    /// The working hours: `None` without a zone or without any range (everything
    /// counts). Values that do not parse (validation reports them) are left out.
    pub fn working_hours(&self) -> Option<crate::domain::hours::WorkingHours> {
        use crate::domain::hours::{WorkingHours, parse_holiday, parse_range, parse_zone};
        let zone = parse_zone(&self.time_zone).ok()?;
        let mut hours = WorkingHours::closed(zone);
        for (i, (_, range)) in self.days().iter().enumerate() {
            hours.days[i] = parse_range(range).ok().flatten();
        }
        if !hours.ever_open() {
            return None;
        }
        hours.holidays = self
            .holidays
            .iter()
            .filter_map(|d| parse_holiday(d).ok())
            .collect();
        Some(hours)
    }
}

/// `[csat]`: satisfaction surveys after a close.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct CsatConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "de_duration")]
    pub comment_window: Duration,
}

impl Default for CsatConfig {
    fn default() -> Self {
        CsatConfig {
            enabled: true,
            comment_window: Duration::from_secs(10 * 60),
        }
    }
}

/// `[disk]`: free-space alerts.
#[derive(Clone, Debug, Deserialize, Serialize)]
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
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
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

/// A `[[departments]]` entry (SPEC §7.2): its groups and specialists by chat id,
/// each listed in `[[service_groups]]` / `[[specialists]]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct DepartmentConfig {
    pub key: String,
    pub name: String,
    pub service_groups: Vec<i64>,
    pub specialists: Vec<i64>,
}

/// A `[[canned]]` answer (SPEC §7.4).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct CannedConfig {
    pub key: String,
    pub title: String,
    pub text: String,
}

/// `[log]`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LogConfig {
    /// A tracing filter like `info` or `relaydesk=debug,info`; `None` when unset or empty.
    pub level: Option<String>,
}

/// `[admin]`: the local health and metrics endpoint.
#[derive(Clone, Debug, Deserialize, Serialize)]
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

/// `[console]`: the web console (SPEC §8), served by the same process on its own
/// address, never the webhook's.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct ConsoleConfig {
    /// `host:port`; empty (the default) turns the console off.
    pub listen: String,
    /// The address people open (for links and the `Secure` cookie flag); optional.
    pub public_url: String,
    /// Both set: the console serves HTTPS itself; both empty: plain HTTP (behind a
    /// TLS proxy, or on loopback).
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// How long a sign-in lasts.
    #[serde(deserialize_with = "de_duration")]
    pub session_ttl: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            listen: String::new(),
            public_url: String::new(),
            tls_cert: PathBuf::new(),
            tls_key: PathBuf::new(),
            session_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

impl ConsoleConfig {
    /// The address to listen on, `None` when turned off (or invalid, which
    /// validation reports).
    pub fn address(&self) -> Option<SocketAddr> {
        let l = self.listen.trim();
        if l.is_empty() { None } else { l.parse().ok() }
    }

    /// Whether the console serves HTTPS itself.
    pub fn https(&self) -> bool {
        !self.tls_cert.as_os_str().is_empty()
    }

    /// Whether the session cookie gets `Secure`: HTTPS here, or an https public URL
    /// (a TLS proxy in front).
    pub fn secure_cookie(&self) -> bool {
        self.https() || self.public_url.trim().starts_with("https://")
    }
}

impl Config {
    /// The texts of `[texts]`: both locales with their overrides; an override of a
    /// key that names no text is a problem naming it.
    pub fn texts(&self) -> Result<crate::domain::texts::Texts, Vec<super::Problem>> {
        let t = &self.texts;
        let overrides = crate::domain::texts::Overrides {
            plain: Some(&t.overrides),
            ru: Some(&t.ru),
            en: Some(&t.en),
        };
        crate::domain::texts::Texts::configured(t.locale, t.per_customer, overrides).map_err(
            |keys| {
                keys.into_iter()
                    .map(|key| super::Problem::new(format!("texts.{key}"), "unknown text key"))
                    .collect()
            },
        )
    }

    /// The path part of `webhook.public_url` as Telegram will request it (the URL as
    /// the `url` crate reads it, like `setWebhook`), e.g. `/telegram` (`/` if none).
    pub fn webhook_path(&self) -> String {
        match parse_url(&self.webhook.public_url) {
            Ok(url) if !url.path().is_empty() => url.path().to_string(),
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

// ---------------------------------------------------------------------------------
// Value parsers used by the derives
// ---------------------------------------------------------------------------------

fn de_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(deserializer)?;
    parse_duration(&s).map_err(D::Error::custom)
}

fn de_durations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Duration>, D::Error> {
    let items = Vec::<String>::deserialize(deserializer)?;
    items
        .iter()
        .map(|s| parse_duration(s))
        .collect::<Result<_, _>>()
        .map_err(D::Error::custom)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

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
}
