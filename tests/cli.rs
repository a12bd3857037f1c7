//! The command line as a user runs it.

use std::process::Command;

fn relaydesk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_relaydesk"));
    c.env_remove("RELAYDESK_CONFIG");
    c
}

const GOOD: &str = r#"
[telegram]
token = "123456:ABCdefGhIJKlmnOPQrstUVwxyz_0123456-x"

[webhook]
public_url = "https://bot.example.com:8443/telegram"
secret_token = "long-random-string"
tls_cert = "CERT"
tls_key = "KEY"

[smtp]
host = "smtp.example.com"
from = "Support bot <bot@example.com>"

[[specialists]]
chat_id = 111111111
name = "Anna"

[[service_groups]]
chat_id = -1001234567890
name = "Support"
"#;

/// `relaydesk --config PATH check-config`, run to the end.
fn check_config(path: &std::path::Path) -> std::process::Output {
    relaydesk()
        .arg("--config")
        .arg(path)
        .arg("check-config")
        .output()
        .unwrap()
}

fn write_config(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let (cert, key) = relaydesk::http::tls::generate("bot.example.com", &dir.join("cert")).unwrap();
    let text = text
        .replace("CERT", &cert.display().to_string())
        .replace("KEY", &key.display().to_string());
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_config_accepts_a_good_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), GOOD);
    let out = check_config(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"));
}

#[test]
fn check_config_reports_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = GOOD
        .replace(
            "secret_token = \"long-random-string\"",
            "secret_token = \"has spaces!\"",
        )
        .replace("chat_id = 111111111", "chat_id = -5")
        .replace("[smtp]\n", "[smtp]\nprot = 25\n");
    let path = write_config(dir.path(), &bad);
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for key in [
        "webhook.secret_token",
        "specialists[0].chat_id",
        "smtp.prot",
    ] {
        assert!(stderr.contains(key), "{key} not reported in:\n{stderr}");
    }
    assert!(stderr.contains("3 problems"), "{stderr}");
}

#[test]
fn check_config_names_a_missing_file() {
    let out = relaydesk()
        .args(["--config", "/nonexistent/relaydesk.toml", "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/relaydesk.toml"));
}

#[test]
fn the_example_configuration_is_valid_but_for_its_certificate() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = relaydesk::http::tls::generate("bot.example.com", dir.path()).unwrap();
    let out = relaydesk()
        .arg("--config")
        .arg(&example)
        .arg("check-config")
        .env("RELAYDESK__WEBHOOK__TLS_CERT", &cert)
        .env("RELAYDESK__WEBHOOK__TLS_KEY", &key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn gen_cert_writes_a_pair_with_a_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = relaydesk()
        .args(["gen-cert", "--host", "203.0.113.7", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = std::fs::read_to_string(dir.path().join("cert.pem")).unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn check_config_names_every_bad_working_hours_key_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = format!(
        "{GOOD}\n[hours]\ntime_zone = \"Mars/Base\"\nmonday = \"22:00-06:00\"\n\
         holidays = [\"2027-01-01\", \"2027-13-01\"]\n"
    );
    let path = write_config(dir.path(), &bad);
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "hours.time_zone",
        "unknown time zone \"Mars/Base\"",
        "hours.monday",
        "ends before it starts",
        "hours.holidays[1]",
        "\"2027-13-01\"",
    ] {
        assert!(
            stderr.contains(needle),
            "{needle} not reported in:\n{stderr}"
        );
    }
    assert!(stderr.contains("3 problems"), "{stderr}");
}

#[test]
fn check_config_names_departments_and_canned_answers_that_do_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = format!(
        "{GOOD}\n[[departments]]\nkey = \"billing\"\nname = \"Billing\"\n\
         service_groups = [-1009999999999]\nspecialists = [111111111]\n\n\
         [[departments]]\nkey = \"Billing!\"\nname = \"\"\nservice_groups = [-1001234567890]\n\
         specialists = [222]\n\n\
         [[canned]]\nkey = \"hello\"\ntitle = \"Greeting\"\ntext = \"Hi {{custmer}}\"\n"
    );
    let path = write_config(dir.path(), &bad);
    let out = check_config(&path);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "departments[0].service_groups[0]",
        "-1009999999999 is not listed in [[service_groups]]",
        "departments[1].key",
        "departments[1].name",
        "departments[1].specialists[0]",
        "222 is not listed in [[specialists]]",
        "canned[0].text",
        "did you mean {customer}?",
    ] {
        assert!(
            stderr.contains(needle),
            "{needle} not reported in:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 problems"), "{stderr}");
}
