//! The demo's folder and the service's configuration in it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use testkit::bot_api;

use super::cast::{ANNA, GROUP, GROUP_TITLE, VICTOR};
use super::{Error, Result, demo_error};

/// The URL the service registers; the emulator connects to the real port instead.
const PUBLIC_URL: &str = "https://127.0.0.1:8443/telegram";
const SECRET: &str = "relaydesk-demo-secret";

pub(super) fn prepare_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => {
            if let Ok(mut entries) = std::fs::read_dir(&dir)
                && entries.next().is_some()
            {
                return Err(demo_error(format!(
                    "{} is not empty: give the demo an empty or new folder (or no --dir for a temporary one)",
                    dir.display()
                )));
            }
            dir
        }
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            std::env::temp_dir().join(format!("relaydesk-demo-{}-{nanos:09}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io_path("create folder", &dir, e))?;
    std::fs::canonicalize(&dir).map_err(|e| Error::io_path("resolve", &dir, e))
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        demo_error(format!(
            "the folder {} is not valid UTF-8; pick another with --dir",
            path.display()
        ))
    })
}

/// The service's configuration: everything local, Telegram's limits lifted so the
/// demo is quick, English texts.
pub(super) fn config_toml(dir: &Path, api_url: &str, smtp_port: u16) -> Result<String> {
    let cert = dir.join("cert").join("cert.pem");
    let key = dir.join("cert").join("key.pem");
    let db = dir.join("db").join("relaydesk.sqlite3");
    let archive = dir.join("archive");
    Ok(format!(
        r#"
[telegram]
token = {token}
api_url = {api_url}
request_timeout = "10s"
poll_timeout = "5s"

[webhook]
listen = "127.0.0.1:0"
public_url = {public_url}
secret_token = {secret}
tls_cert = {cert}
tls_key = {key}
upload_certificate = true

[database]
path = {db}

[archive]
dir = {archive}

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Help desk <support@example.com>"

[disk]
min_free_mb = 0
min_free_percent = 0.0
alert_to = ["admin@example.com"]

[limits]
global_per_second = 0
per_chat_per_second = 0
per_group_per_minute = 0

[texts]
locale = "en"

[admin]
listen = ""

[reports]
daily_at = ""

[[specialists]]
chat_id = {anna}
name = "Anna"

[[service_groups]]
chat_id = {group}
name = "{group_title}"

[[controllers]]
chat_id = {victor}
name = "Victor"
"#,
        token = toml_string(bot_api::TOKEN),
        api_url = toml_string(api_url),
        public_url = toml_string(PUBLIC_URL),
        secret = toml_string(SECRET),
        cert = toml_string(path_str(&cert)?),
        key = toml_string(path_str(&key)?),
        db = toml_string(path_str(&db)?),
        archive = toml_string(path_str(&archive)?),
        anna = ANNA.id,
        group = GROUP,
        group_title = GROUP_TITLE,
        victor = VICTOR,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        let toml = format!("x = {}", toml_string("tab\there"));
        assert!(toml.contains("\\u0009"), "{toml}");
    }
}
