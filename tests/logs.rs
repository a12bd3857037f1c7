//! Logs of a whole conversation, as the binary writes them, never hold the bot
//! token, the webhook secret, an email code or the SMTP password.

mod support;

use support::app::{ChildApp, Files, Options, PROMPTLY, SECRET};
use support::desk::{extract_code, is_text_to};
use support::fake_bot::{FakeBot, TOKEN, update_callback_query, update_message};
use support::smtp_sink::SmtpSink;

const PASSWORD: &str = "smtp-Pa55word-xyz";

#[tokio::test]
async fn a_conversation_leaves_no_secret_in_the_logs() {
    let fake = FakeBot::start().await;
    let sink = SmtpSink::start().await;
    let files = Files::new();
    let options = Options {
        smtp_port: sink.port,
        extra: "[[specialists]]\nchat_id = 501\nname = \"Anna\"\n[[service_groups]]\nchat_id = -1001\nname = \"Support\"\n".to_string(),
        ..Options::default()
    };
    // SMTP credentials: appended to the [smtp] table of the generated file.
    let child = {
        let mut toml = support::app::config_toml(&files, &fake.api_url(), &options);
        toml = toml.replace(
            "security = \"none\"",
            &format!(
                "security = \"none\"\nusername = \"bot@example.com\"\npassword = \"{PASSWORD}\""
            ),
        );
        ChildApp::start_with_toml(&files, &toml, "debug").await
    };
    let post = |u: serde_json::Value| {
        let c = &child;
        async move { assert_eq!(c.post(&u).await.unwrap(), 200) }
    };
    let ann = 4242;
    post(update_message(1, ann, "/start")).await;
    post(update_message(2, ann, "ann@example.com")).await;
    let mails = sink.wait_for("the code", PROMPTLY, |m| !m.is_empty()).await;
    let code = extract_code(&mails[0].body_text()).unwrap();
    post(update_message(3, ann, &code)).await;
    post(update_message(4, ann, "my printer is on fire")).await;
    fake.wait_for("the announcement", PROMPTLY, |c| {
        c.iter().any(|c| is_text_to(c, -1001, "Request #1"))
    })
    .await;
    post(update_callback_query(5, 501, -1001, 1, "t:1")).await;
    post(update_message(6, 501, "Unplug it, please")).await;
    post(update_message(7, 501, "/close")).await;
    fake.wait_for("the close", PROMPTLY, |c| {
        c.iter().any(|c| is_text_to(c, ann, "is closed"))
    })
    .await;
    assert_eq!(
        sink.auth_seen(),
        ["bot@example.com"],
        "the password was used"
    );
    let status = tokio::task::spawn_blocking(move || {
        let log = child.log();
        (child.terminate(), log)
    })
    .await
    .unwrap();
    let (exit, log) = status;
    assert!(exit.success());
    assert!(
        log.len() > 20,
        "too few log lines to prove anything: {log:?}"
    );
    let secret_part = TOKEN.split(':').nth(1).unwrap();
    for line in &log {
        assert!(!line.contains(secret_part), "the token leaked: {line}");
        assert!(!line.contains(SECRET), "the webhook secret leaked: {line}");
        assert!(!line.contains(PASSWORD), "the SMTP password leaked: {line}");
        // The code as a number of its own (the timestamp's digits do not count).
        let body = line.split_once(' ').map(|(_, rest)| rest).unwrap_or("");
        let leaked = body.split(|c: char| !c.is_ascii_digit()).any(|w| w == code);
        assert!(!leaked, "the code {code} leaked: {line}");
    }
}
