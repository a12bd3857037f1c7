//! `relaydesk webhook set|info|delete` against the fake Bot API.

mod support;

use support::app::{Files, Options, config_toml};
use support::fake_bot::FakeBot;

fn relaydesk(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_relaydesk"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RELAYDESK_CONFIG")
        .env("RELAYDESK_LOG_STDERR", "1")
        .output()
        .expect("run relaydesk")
}

#[tokio::test]
async fn webhook_set_info_delete() {
    let fake = FakeBot::start().await;
    let files = Files::new();
    let config = files.dir.path().join("config.toml");
    std::fs::write(
        &config,
        config_toml(&files, &fake.api_url(), &Options::default()),
    )
    .unwrap();

    let out = tokio::task::spawn_blocking({
        let config = config.clone();
        move || relaydesk(&config, &["webhook", "set"])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fake.webhook_url().as_deref(),
        Some("https://127.0.0.1:8443/telegram")
    );
    let set = fake.calls_of("setWebhook");
    assert!(
        set[0].file("certificate").is_some(),
        "the self-signed certificate is uploaded"
    );

    let out = tokio::task::spawn_blocking({
        let config = config.clone();
        move || relaydesk(&config, &["webhook", "info"])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(
        info.contains("url:                  https://127.0.0.1:8443/telegram"),
        "{info}"
    );
    assert!(info.contains("pending updates:      0"), "{info}");
    assert!(info.contains("custom certificate:   yes"), "{info}");

    let out = tokio::task::spawn_blocking({
        let config = config.clone();
        move || relaydesk(&config, &["webhook", "delete"])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fake.webhook_url(), None);
    let delete = fake.calls_of("deleteWebhook");
    assert_eq!(
        delete[0].params["drop_pending_updates"], false,
        "pending updates are kept"
    );
}
