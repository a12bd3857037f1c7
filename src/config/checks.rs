//! Semantic checks on what did deserialize: tokens, durations, ports, addresses,
//! members; and the extra checks only the webhook needs. The lists' checks (members,
//! departments, canned answers) are in `checks/lists.rs`, `[console]`'s in
//! `checks/console.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use super::problems::{Problem, Problems};
use super::tls::{check_ca_file, check_tls_files};
use super::types::{Config, Secret, parse_hh_mm};
use super::urls::{check_api_url, check_public_url};

mod console;
mod lists;

pub(super) use lists::{check_canned, check_departments, check_members};
pub use lists::{check_canned_text, check_key};

/// The longest duration accepted anywhere (keeps later `Instant + Duration` arithmetic
/// far from overflow).
const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 60 * 60);

impl Config {
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
}

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

fn check_duration(p: &mut Problems, key: &str, d: Duration, zero_ok: bool) {
    p.check(key, zero_ok || !d.is_zero(), || "must not be zero".into());
    p.check(key, d <= MAX_DURATION, || "must be at most 366 days".into());
}

pub(super) fn validate(c: &mut Config, p: &mut Problems) {
    let admin = c.admin.listen.trim();
    if !admin.is_empty() && admin.parse::<SocketAddr>().is_err() {
        p.push(
            "admin.listen",
            format!(
                "must be host:port like 127.0.0.1:9090 (or empty to turn it off), got {admin:?}"
            ),
        );
    }
    console::check_console(c, p);
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
    check_duration(p, "auth.remind_after", c.auth.remind_after, true);
    // Data is often kept for years: up to a century (in milliseconds, far from
    // overflowing).
    p.check(
        "retention.closed_after",
        c.retention.closed_after <= Duration::from_secs(100 * 366 * 24 * 3600),
        || "must be at most 100 years".into(),
    );
    p.check("auth.max_attempts", c.auth.max_attempts >= 1, || {
        "must be at least 1".into()
    });
    p.check(
        "auth.max_codes_per_hour",
        c.auth.max_codes_per_hour >= 1,
        || "must be at least 1".into(),
    );

    // [reports]
    let daily = c.reports.daily_at.trim();
    p.check(
        "reports.daily_at",
        daily.is_empty() || parse_hh_mm(daily).is_some(),
        || format!("expected a time of day like \"18:00\" (or \"\" for no report), got {daily:?}"),
    );
    // [timeouts]
    check_duration(p, "timeouts.idle_close", c.timeouts.idle_close, false);
    check_duration(p, "timeouts.close_warning", c.timeouts.close_warning, true);
    let warning = c.timeouts.close_warning;
    p.check(
        "timeouts.close_warning",
        warning.is_zero() || warning < c.timeouts.idle_close,
        || "must be shorter than timeouts.idle_close (or \"0s\" to turn it off)".into(),
    );

    // [reminders]
    for (key, steps) in [
        ("reminders.unassigned", &c.reminders.unassigned),
        ("reminders.unanswered", &c.reminders.unanswered),
    ] {
        for (i, step) in steps.iter().enumerate() {
            check_duration(p, &format!("{key}[{i}]"), *step, false);
        }
        p.check(key, steps.windows(2).all(|w| w[0] < w[1]), || {
            "the steps must be increasing, like [\"15m\", \"30m\", \"60m\"]".into()
        });
    }

    check_hours(&c.hours, p);

    // [csat]
    check_duration(p, "csat.comment_window", c.csat.comment_window, false);

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

/// `[hours]`: the zone, each weekday's range and each holiday, every problem by its
/// key.
fn check_hours(h: &super::types::HoursConfig, p: &mut Problems) {
    use crate::domain::hours::{parse_holiday, parse_range, parse_zone};
    let zone = h.time_zone.trim();
    if !zone.is_empty()
        && let Err(e) = parse_zone(zone)
    {
        p.push(
            "hours.time_zone",
            format!("{e} (write an IANA name like \"Europe/Moscow\")"),
        );
    }
    let mut any_range = false;
    for (day, range) in h.days() {
        match parse_range(range) {
            Ok(r) => any_range |= r.is_some(),
            Err(e) => p.push(format!("hours.{day}"), e),
        }
    }
    for (i, date) in h.holidays.iter().enumerate() {
        if let Err(e) = parse_holiday(date) {
            p.push(format!("hours.holidays[{i}]"), e);
        }
    }
    if zone.is_empty() && (any_range || !h.holidays.is_empty()) {
        p.push(
            "hours.time_zone",
            "must name the zone of the working hours (like \"Europe/Moscow\"): ranges or holidays are set",
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

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
    fn csat_is_on_by_default_and_its_window_is_checked() {
        let c = load_ok(MINIMAL);
        assert!(c.csat.enabled);
        assert_eq!(c.csat.comment_window, Duration::from_secs(600));
        let c = load_ok(&format!(
            "{MINIMAL}\n[csat]\nenabled = false\ncomment_window = \"30m\"\n"
        ));
        assert!(!c.csat.enabled);
        assert_eq!(c.csat.comment_window, Duration::from_secs(1800));
        let p = problems(&format!(
            "{MINIMAL}\n[csat]\nenabled = \"maybe\"\ncomment_window = \"0s\"\n"
        ));
        assert_eq!(keys(&p), ["csat.enabled", "csat.comment_window"], "{p:?}");
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
    fn working_hours_load() {
        let c = load_ok(&format!(
            "{MINIMAL}\n[hours]\ntime_zone = \"Europe/Berlin\"\nmonday = \"09:00-18:00\"\n\
             sunday = \"18:00-24:00\"\nholidays = [\"2027-01-01\"]\n"
        ));
        let h = c.hours.working_hours().unwrap();
        assert_eq!(h.zone, chrono_tz::Tz::Europe__Berlin);
        assert!(h.days[0].is_some() && h.days[1].is_none() && h.days[6].is_some());
        assert_eq!(h.holidays.len(), 1);
        // A zone alone: stats days in it, no working hours.
        let c = load_ok(&format!("{MINIMAL}\n[hours]\ntime_zone = \"Asia/Tokyo\"\n"));
        assert!(c.hours.working_hours().is_none());
        assert_eq!(c.hours.zone(), chrono_tz::Tz::Asia__Tokyo);
        assert_eq!(load_ok(MINIMAL).hours.zone(), chrono_tz::Tz::UTC);
    }

    #[test]
    fn bad_working_hours_name_their_keys() {
        let p = problems(&format!(
            "{MINIMAL}\n[hours]\ntime_zone = \"Mars/Base\"\nmonday = \"22:00-06:00\"\n\
             tuesday = \"9-18\"\nholidays = [\"2027-01-01\", \"2027-02-30\"]\n"
        ));
        assert_eq!(
            keys(&p),
            [
                "hours.time_zone",
                "hours.monday",
                "hours.tuesday",
                "hours.holidays[1]"
            ],
            "{p:?}"
        );
        assert!(
            p[0].message.contains("unknown time zone \"Mars/Base\""),
            "{}",
            p[0]
        );
        assert!(p[1].message.contains("ends before it starts"), "{}", p[1]);
        assert!(p[1].message.contains("midnight"), "{}", p[1]);
        assert!(p[2].message.contains("\"9-18\""), "{}", p[2]);
        assert!(p[3].message.contains("\"2027-02-30\""), "{}", p[3]);
        // Ranges without a zone.
        let p = problems(&format!("{MINIMAL}\n[hours]\nmonday = \"09:00-18:00\"\n"));
        assert_eq!(keys(&p), ["hours.time_zone"], "{p:?}");
    }

    #[test]
    fn reminder_steps_and_the_close_warning() {
        let c = load_ok(MINIMAL);
        assert_eq!(c.reminders.unassigned.len(), 3);
        assert_eq!(c.timeouts.close_warning, Duration::from_secs(600));
        let c = load_ok(&format!(
            "{MINIMAL}\n[reminders]\nunassigned = [\"1s\", \"2s\"]\nunanswered = []\n\
             [timeouts]\nidle_close = \"5m\"\n"
        ));
        assert_eq!(
            c.reminders.unassigned,
            [Duration::from_secs(1), Duration::from_secs(2)]
        );
        assert!(c.reminders.unanswered.is_empty(), "off");
        assert!(
            c.timeouts.close_warning.is_zero(),
            "the default warning does not outlast a short idle close"
        );
        let p = problems(&format!(
            "{MINIMAL}\n[reminders]\nunassigned = [\"30m\", \"15m\"]\nunanswered = [\"0s\"]\n\
             [timeouts]\nidle_close = \"5m\"\nclose_warning = \"5m\"\n"
        ));
        assert_eq!(
            keys(&p),
            [
                "timeouts.close_warning",
                "reminders.unassigned",
                "reminders.unanswered[0]"
            ],
            "{p:?}"
        );
        assert!(p[0].message.contains("shorter than timeouts.idle_close"));
        assert!(p[1].message.contains("increasing"));
        let p = problems(&format!(
            "{MINIMAL}\n[reminders]\nunassigned = [\"soon\"]\n"
        ));
        assert_eq!(keys(&p), ["reminders.unassigned"], "{p:?}");
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
    fn example_passes_the_webhook_checks_but_for_the_files() {
        let c = load_ok(EXAMPLE);
        let p = c.check_for_webhook();
        assert!(
            p.iter()
                .all(|p| p.key == "webhook.tls_cert" || p.key == "webhook.tls_key"),
            "{p:?}"
        );
    }
}
