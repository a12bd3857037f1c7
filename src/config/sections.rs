//! Section by section: every top-level key taken from the merged tree, each known
//! section deserialized on its own, so that every bad key is named, not only the first.

use config::{Map, Value, ValueKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::checks::{check_canned, check_departments, check_members, validate};
use super::keys::fields;
use super::problems::{Problems, describe, ignored_path, join_key, unknown_key_message};
use super::types::{
    AdminConfig, CannedConfig, Config, ConsoleConfig, DepartmentConfig, Group, Locale, LogConfig,
    Person, TextsConfig,
};

fn table_value(table: Map<String, Value>) -> Value {
    Value::new(None, ValueKind::Table(table))
}

/// Deserialize one table (a section or a list entry) into `T`, reporting its missing
/// required keys, unknown keys (those not among `T`'s fields) and every key that does
/// not deserialize. Returns the value built from the keys that did (the others at
/// their defaults), or `None` when even that fails.
fn de_table<T: DeserializeOwned>(
    prefix: &str,
    table: Map<String, Value>,
    required: &[&str],
    p: &mut Problems,
) -> Option<T> {
    let known = fields::<T>();
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
    de_table(name, table, required, p).unwrap_or_default()
}

/// An array of tables (`[[specialists]]`), each entry needing every one of `T`'s
/// fields: the entries that deserialized, with their index.
fn de_list<T: DeserializeOwned>(
    root: &mut Map<String, Value>,
    name: &str,
    p: &mut Problems,
) -> Vec<(usize, T)> {
    let required = fields::<T>();
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
                if let Some(v) = de_table(&prefix, t, required, p) {
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

/// `[texts]`: `locale`, `per_customer`, `[texts.ru]` / `[texts.en]` tables of
/// overrides, and any other key as a text override (of `locale`).
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
        if key == TextsConfig::LOCALE {
            match Locale::deserialize(value) {
                Ok(locale) => texts.locale = locale,
                Err(e) => p.config_error(&full, e),
            }
        } else if key == TextsConfig::PER_CUSTOMER {
            match value.kind {
                ValueKind::Boolean(b) => texts.per_customer = b,
                // From the environment a boolean comes as a string.
                ValueKind::String(ref s) if s.trim().eq_ignore_ascii_case("true") => {
                    texts.per_customer = true
                }
                ValueKind::String(ref s) if s.trim().eq_ignore_ascii_case("false") => {
                    texts.per_customer = false
                }
                other => p.push(
                    full,
                    format!("expected true or false, got {}", describe(&other)),
                ),
            }
        } else if let Some(own) = texts.locale_table(&key) {
            match value.kind {
                ValueKind::Table(t) => {
                    let mut items: Vec<(String, Value)> = t.into_iter().collect();
                    items.sort_by(|a, b| a.0.cmp(&b.0));
                    for (name, text) in items {
                        match text.into_string() {
                            Ok(text) => {
                                own.insert(name, text);
                            }
                            Err(e) => p.config_error(&format!("{full}.{name}"), e),
                        }
                    }
                }
                other => p.push(
                    full,
                    format!("expected a table ([texts.{key}]), got {}", describe(&other)),
                ),
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
/// (or `RELAYDESK__HOURS__HOLIDAYS=2027-01-01,2027-01-02`)
/// becomes a list.
fn split_string_lists(root: &mut Map<String, Value>) {
    const LISTS: &[(&str, &str)] = &[
        ("disk", "alert_to"),
        ("hours", "holidays"),
        ("reminders", "unassigned"),
        ("reminders", "unanswered"),
    ];
    for (section, key) in LISTS {
        split_string_list(root, section, key);
    }
}

fn split_string_list(root: &mut Map<String, Value>, section: &str, key: &str) {
    if let Some(Value {
        kind: ValueKind::Table(table),
        ..
    }) = root.get_mut(section)
        && let Some(value) = table.get_mut(key)
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
    const BOOLS: &[&str] = &[
        "webhook.upload_certificate",
        "csat.enabled",
        "retention.keep_transcripts",
    ];
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
    for name in fields::<Config>() {
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

pub(super) fn from_root(mut root: Map<String, Value>, p: &mut Problems) -> Config {
    // Unknown top-level keys first: a misspelt [smpt] explains the missing smtp.host.
    let known = fields::<Config>();
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
        p.push(key.clone(), unknown_key_message(key, known, what));
    }
    split_string_lists(&mut root);
    reject_loose_scalars(&mut root, p);

    let close_warning_set = matches!(
        root.get("timeouts"),
        Some(Value { kind: ValueKind::Table(t), .. }) if t.contains_key("close_warning")
    );
    let r = &mut root;
    let mut config = Config {
        telegram: de_section(r, "telegram", &["token"], p),
        webhook: de_section(r, "webhook", &[], p),
        database: de_section(r, "database", &[], p),
        archive: de_section(r, "archive", &[], p),
        smtp: de_section(r, "smtp", &["host", "from"], p),
        auth: de_section(r, "auth", &[], p),
        timeouts: de_section(r, "timeouts", &[], p),
        reports: de_section(r, "reports", &[], p),
        csat: de_section(r, "csat", &[], p),
        hours: de_section(r, "hours", &[], p),
        reminders: de_section(r, "reminders", &[], p),
        disk: de_section(r, "disk", &[], p),
        limits: de_section(r, "limits", &[], p),
        retention: de_section(r, "retention", &[], p),
        specialists: Vec::new(),
        service_groups: Vec::new(),
        controllers: Vec::new(),
        departments: Vec::new(),
        canned: Vec::new(),
        texts: TextsConfig::default(),
        log: LogConfig::default(),
        admin: AdminConfig::default(),
        console: ConsoleConfig::default(),
    };
    let specialists = de_list::<Person>(r, "specialists", p);
    let service_groups = de_list::<Group>(r, "service_groups", p);
    let controllers = de_list::<Person>(r, "controllers", p);
    let departments = de_list::<DepartmentConfig>(r, "departments", p);
    let canned = de_list::<CannedConfig>(r, "canned", p);
    config.texts = de_texts(r, p);
    config.log = de_section(r, "log", &[], p);
    config.admin = de_section(r, "admin", &[], p);
    config.console = de_section(r, "console", &[], p);

    // The default warning does not apply to an idle close as short as itself (one
    // written in the file must be shorter, as checked).
    if !close_warning_set && config.timeouts.close_warning >= config.timeouts.idle_close {
        config.timeouts.close_warning = std::time::Duration::ZERO;
    }
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
    config.departments = check_departments(departments, &config, p);
    config.canned = check_canned(canned, p);
    config
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::config::keys::fields_of_field;
    use crate::config::testing::*;
    use crate::config::{ConfigErrors, LimitsConfig, Problem, SmtpSecurity};

    #[test]
    fn example_documents_every_key() {
        for section in fields::<Config>() {
            let keys = fields_of_field::<Config>(section);
            assert!(!keys.is_empty(), "no keys found for {section}");
            assert!(
                EXAMPLE.contains(&format!("\n[{section}]"))
                    || EXAMPLE.contains(&format!("\n[[{section}]]"))
                    || EXAMPLE.contains(&format!("\n# [[{section}]]")),
                "section {section} missing from the example"
            );
            for key in keys {
                assert!(
                    EXAMPLE.contains(&format!("\n{key} = "))
                        || EXAMPLE.contains(&format!("\n# {key} = ")),
                    "{section}.{key} missing from the example"
                );
            }
        }
    }

    /// Every section of `Config` is read by `from_root` under its field's name: an
    /// unknown key in it is reported (or, in `[texts]`, taken as a text override).
    #[test]
    fn every_section_is_read() {
        const KEY: &str = "no_such_key_anywhere";
        let unknown =
            |p: &[Problem], key: &str| p.iter().any(|p| p.key == key && p.message == "unknown key");
        for section in fields::<Config>() {
            let table = format!("[{section}]\n{KEY} = \"x\"\n");
            if *section == "texts" {
                let c = load_ok(&format!("{MINIMAL}\n{table}"));
                assert_eq!(c.texts.overrides[KEY], "x");
                continue;
            }
            let p = problems(&table);
            if unknown(&p, &format!("{section}.{KEY}")) {
                continue;
            }
            // a list of tables
            let entry = fields_of_field::<Config>(section)
                .iter()
                .map(|field| format!("{field} = 1\n"))
                .collect::<String>();
            let p = problems(&format!("[[{section}]]\n{entry}{KEY} = \"x\"\n"));
            assert!(
                unknown(&p, &format!("{section}[0].{KEY}")),
                "{section}: {p:?}"
            );
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
        assert!(c.texts.per_customer);
    }

    #[test]
    fn texts_per_locale_and_per_customer() {
        let c = load_ok(&format!(
            "{MINIMAL}\n[texts]\nper_customer = false\ngreeting = \"Привет\"\n\
             [texts.en]\ngreeting = \"Hello\"\n"
        ));
        assert!(!c.texts.per_customer);
        assert_eq!(c.texts.en["greeting"], "Hello");
        assert_eq!(c.texts.overrides["greeting"], "Привет");
        let p = problems(&format!(
            "{MINIMAL}\n[texts]\nper_customer = 3\nen = \"x\"\n[texts.ru]\nbad = [1]\n"
        ));
        assert_eq!(
            keys(&p),
            ["texts.en", "texts.per_customer", "texts.ru.bad"],
            "{p:?}"
        );
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
    }
}
