//! The health and metrics endpoint: on the admin address only.

mod support;

use support::app::{PROMPTLY, SECRET, spawn_app};
use support::fake_bot::{FakeBot, update_message};

#[tokio::test]
async fn healthz_and_metrics_answer_on_the_admin_address_only() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1, 42, "/start")).await, 200);
    assert_eq!(app.post(&update_message(1, 42, "/start")).await, 200);
    fake.wait_for("the welcome", PROMPTLY, |c| {
        c.iter().filter(|c| c.is("sendMessage") && c.ok).count() == 2
    })
    .await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/healthz", app.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert!(body["outbox_pending"].is_i64());
    assert!(body["last_update_at"].is_string(), "{body}");

    let metrics = http
        .get(format!("{}/metrics", app.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    for line in [
        "relaydesk_updates_received_total 2",
        "relaydesk_updates_duplicate_total 1",
        "relaydesk_updates_failed_total 0",
        "# TYPE relaydesk_outbox_sent_total counter",
        "relaydesk_communications_open{status=\"unassigned\"} 0",
        "relaydesk_outbox_pending ",
    ] {
        assert!(text.contains(line), "{line:?} missing in:\n{text}");
    }

    // Not on the public webhook address.
    for path in ["/healthz", "/metrics"] {
        let url = app.url.replace("/telegram", path);
        let r = app
            .client
            .get(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path} on the webhook address");
    }
    app.stop().await;
}
