//! Layered loading: the file (or a string) and the `RELAYDESK__SECTION__KEY`
//! environment merged by the `config` crate, then handed section by section to
//! `sections`, and the problems sorted and named after their variables.

use std::path::{Path, PathBuf};

use config::{ConfigError, FileFormat, Map, Value, ValueKind};

use super::ConfigErrors;
use super::keys::fields;
use super::problems::{Problem, Problems, describe};
use super::sections::from_root;
use super::types::Config;

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "RELAYDESK_CONFIG";
/// The configuration file used when neither `--config` nor [`CONFIG_ENV`] is given.
pub const DEFAULT_CONFIG_FILE: &str = "config.toml";
/// Prefix of the environment variables layered over the file: `RELAYDESK__SMTP__PORT`.
pub const ENV_PREFIX: &str = "RELAYDESK";
/// Separator between prefix, section and key in those variables.
pub const ENV_SEPARATOR: &str = "__";

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
    let sections = fields::<Config>();
    problems.sort_by_key(|problem| {
        let section = problem.key.split(['.', '[']).next().unwrap_or("");
        sections
            .iter()
            .position(|name| *name == section)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::config::testing::*;

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

    /// [`MINIMAL`] loaded with `vars` set in the environment.
    fn minimal_with_env(vars: &[(&'static str, &str)]) -> Result<Config, ConfigErrors> {
        let file = temp_config(MINIMAL);
        let _env = EnvGuard::set(vars);
        Config::load(Some(file.path()))
    }

    #[test]
    fn environment_overrides_the_file() {
        let c = minimal_with_env(&[
            ("RELAYDESK__TELEGRAM__TOKEN", "999:from-env"),
            ("RELAYDESK__SMTP__PORT", "2525"),
            ("RELAYDESK__SMTP__USERNAME", "bot"),
            ("RELAYDESK__SMTP__PASSWORD", "0123"),
            ("RELAYDESK__WEBHOOK__UPLOAD_CERTIFICATE", "false"),
            ("RELAYDESK__DISK__ALERT_TO", "a@example.com, b@example.com"),
            ("RELAYDESK__TEXTS__GREETING", "Hi from env"),
            ("RELAYDESK__HOURS__TIME_ZONE", "Europe/Berlin"),
            ("RELAYDESK__HOURS__MONDAY", "09:00-18:00"),
            ("RELAYDESK__HOURS__HOLIDAYS", "2027-01-01, 2027-01-04"),
        ])
        .unwrap();
        assert_eq!(c.telegram.token.expose(), "999:from-env");
        assert_eq!(c.smtp.port, 2525);
        assert_eq!(c.smtp.username.as_deref(), Some("bot"));
        assert_eq!(c.smtp.password.as_ref().map(Secret::expose), Some("0123"));
        assert!(!c.webhook.upload_certificate);
        assert_eq!(c.disk.alert_to, ["a@example.com", "b@example.com"]);
        assert_eq!(c.texts.overrides["greeting"], "Hi from env");
        assert_eq!(c.hours.holidays, ["2027-01-01", "2027-01-04"]);
        assert!(c.hours.working_hours().is_some_and(|h| h.days[0].is_some()));
        assert_eq!(c.smtp.host, "smtp.example.com"); // still from the file
    }

    #[test]
    fn environment_mistakes_name_the_variable() {
        let p = minimal_with_env(&[
            ("RELAYDESK__SMTP__PROT", "25"),
            ("RELAYDESK__AUTH__CODE_TTL", "soon"),
        ])
        .unwrap_err()
        .problems;
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
    fn nothing_panics_on_odd_input() {
        let _ = tidy_toml_error("");
    }
}
