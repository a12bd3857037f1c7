//! The webhook end to end: HTTPS, the secret header, limits, deduplication, and the
//! `/start` greeting coming out at the fake Bot API.

mod support;

use support::app::{PROMPTLY, SECRET, spawn_app, wait_until};
use support::fake_bot::{FakeBot, update_message};

#[tokio::test]
async fn start_is_committed_and_greeted() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1001, 42, "/start")).await, 200);
    // Committed before the 200.
    assert_eq!(
        app.count("SELECT count(*) FROM updates WHERE update_id = 1001 AND outcome = 'handled'"),
        1
    );
    let calls = fake
        .wait_for("a greeting to chat 42", PROMPTLY, |calls| {
            calls
                .iter()
                .any(|c| c.is("sendMessage") && c.chat_id() == Some(42) && c.ok)
        })
        .await;
    let greeting = calls
        .iter()
        .find(|c| c.is("sendMessage"))
        .and_then(|c| c.text())
        .unwrap();
    assert!(greeting.contains("Hello, Test"), "{greeting}");
    app.stop().await;
}

#[tokio::test]
async fn webhook_is_registered_at_start_with_certificate_and_secret() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    let calls = fake
        .wait_for("setWebhook", PROMPTLY, |calls| {
            calls.iter().any(|c| c.is("setWebhook"))
        })
        .await;
    let call = calls.iter().find(|c| c.is("setWebhook")).unwrap();
    assert_eq!(call.params["url"], "https://127.0.0.1:8443/telegram");
    assert_eq!(call.params["secret_token"], SECRET);
    assert_eq!(call.params["max_connections"], 40);
    let allowed = call.params["allowed_updates"].to_string();
    for kind in ["message", "edited_message", "callback_query"] {
        assert!(allowed.contains(kind), "{allowed}");
    }
    let (_, _, cert) = call
        .files
        .iter()
        .find(|(field, _, _)| field == "certificate")
        .expect("certificate uploaded");
    assert_eq!(cert, app.files.cert_pem.as_bytes());
    // Stopping does not delete the webhook: Telegram keeps updates while we are down.
    app.stop().await;
    assert!(fake.calls_of("deleteWebhook").is_empty());
    assert!(fake.webhook_url().is_some());
}

#[tokio::test]
async fn wrong_or_missing_secret_is_refused_and_nothing_stored() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    let body = serde_json::to_vec(&update_message(5, 42, "/start")).unwrap();
    assert_eq!(app.post_raw(body.clone(), Some("wrong-secret")).await, 401);
    assert_eq!(app.post_raw(body.clone(), None).await, 401);
    assert_eq!(
        app.post_raw(body, Some(&SECRET[..SECRET.len() - 1])).await,
        401
    );
    assert_eq!(app.count("SELECT count(*) FROM updates"), 0);
    assert_eq!(app.count("SELECT count(*) FROM rejected_updates"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE method = 'text'"),
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413_and_other_methods_405() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    let mut big = br#"{"update_id": 9, "message": {"text": ""#.to_vec();
    big.resize(2 * 1024 * 1024, b'a');
    big.extend_from_slice(br#""}}"#);
    assert_eq!(app.post_raw(big, Some(SECRET)).await, 413);
    assert_eq!(app.count("SELECT count(*) FROM updates"), 0);
    let get = app.client.get(&app.url).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let put = app.client.put(&app.url).body("{}").send().await.unwrap();
    assert_eq!(put.status().as_u16(), 405);
    let elsewhere = app
        .client
        .post(app.url.replace("/telegram", "/other"))
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status().as_u16(), 404);
    app.stop().await;
}

#[tokio::test]
async fn bad_payloads_are_recorded_and_acknowledged() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    assert_eq!(app.post_raw(b"{not json".to_vec(), Some(SECRET)).await, 200);
    assert_eq!(
        app.post_raw(br#"{"message": {}}"#.to_vec(), Some(SECRET))
            .await,
        200
    );
    assert_eq!(app.post_raw(Vec::new(), Some(SECRET)).await, 200);
    assert_eq!(app.count("SELECT count(*) FROM rejected_updates"), 3);
    // An update id with a body of the wrong shape: recorded as invalid.
    assert_eq!(
        app.post_raw(
            br#"{"update_id": 77, "message": {"chat": 5}}"#.to_vec(),
            Some(SECRET)
        )
        .await,
        200
    );
    assert_eq!(
        app.count("SELECT count(*) FROM updates WHERE update_id = 77 AND outcome = 'invalid'"),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_update_is_processed_once_even_concurrently() {
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    let update = update_message(2002, 77, "/start");
    assert_eq!(app.post(&update).await, 200);
    assert_eq!(app.post(&update).await, 200);
    let mut posts = Vec::new();
    let other = update_message(2003, 78, "/start");
    for _ in 0..16 {
        let client = app.client.clone();
        let url = app.url.clone();
        let body = serde_json::to_vec(&other).unwrap();
        posts.push(tokio::spawn(async move {
            client
                .post(url)
                .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for p in posts {
        assert_eq!(p.await.unwrap(), 200);
    }
    let files = app.files.clone();
    wait_until("the outbox to drain", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
    })
    .await;
    assert_eq!(app.count("SELECT count(*) FROM updates"), 2);
    // A first /start gets two messages: the welcome and the request for an email.
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE method = 'text'"),
        4
    );
    assert_eq!(app.count("SELECT count(*) FROM customers"), 2);
    for chat in [77, 78] {
        let n = fake
            .delivered("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(chat))
            .count();
        assert_eq!(n, 2, "chat {chat} got {n} messages");
    }
    app.stop().await;
}

#[tokio::test]
async fn sigterm_stops_the_binary_cleanly() {
    use support::app::{ChildApp, Files, Options};
    let fake = FakeBot::start().await;
    let files = Files::new();
    let child = ChildApp::start(&files, &fake.api_url(), &Options::default()).await;
    assert_eq!(
        child.post(&update_message(1, 5, "/start")).await.unwrap(),
        200
    );
    fake.wait_for("the greeting", PROMPTLY, |c| {
        c.iter().any(|c| c.is("sendMessage") && c.ok)
    })
    .await;
    let status = tokio::task::spawn_blocking(move || child.terminate())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}
