//! What the configuration's unit tests share.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Config, Problem};

pub(super) const EXAMPLE: &str = include_str!("../../config.toml.example");

pub(super) const MINIMAL: &str = r#"
        [telegram]
        token = "123456:ABC-def_ghi"
        [smtp]
        host = "smtp.example.com"
        from = "bot@example.com"
    "#;

/// The minimal configuration with `extra` (staff, groups…) after it.
pub(crate) fn minimal_with(extra: &str) -> Config {
    load_ok(&format!("{MINIMAL}\n{extra}"))
}

pub(super) fn problems(toml: &str) -> Vec<Problem> {
    match Config::from_toml_str(toml) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

pub(super) fn keys(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.key.as_str()).collect()
}

pub(super) fn load_ok(toml: &str) -> Config {
    match Config::from_toml_str(toml) {
        Ok(c) => c,
        Err(e) => panic!("unexpected problems:\n{e}"),
    }
}

// ---- environment ----

/// Tests that touch the process environment hold this lock.
static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Sets variables for the duration of a test and removes them afterwards.
pub(super) struct EnvGuard {
    vars: Vec<&'static str>,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl EnvGuard {
    pub(super) fn set(vars: &[(&'static str, &str)]) -> EnvGuard {
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

pub(super) fn temp_config(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
    f
}

// ---- webhook ----

pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub(super) fn webhook_config(dir: &Path, host: &str) -> Config {
    let pair = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let mut c = load_ok(EXAMPLE);
    c.webhook.tls_cert = write(dir, "cert.pem", &pair.cert.pem());
    c.webhook.tls_key = write(dir, "key.pem", &pair.signing_key.serialize_pem());
    c
}
