//! The durable outbox against a misbehaving Bot API: 429, 5xx, 403, crashes, and
//! Telegram's per-chat rate.

mod support;

use std::time::Duration;

use support::app::{ChildApp, Files, Options, PROMPTLY, spawn_app, spawn_app_with, wait_until};
use support::fake_bot::{Action, FakeBot, Rule, update_message};

#[tokio::test]
async fn retry_after_delays_the_chat_and_the_message_arrives_once() {
    let fake = FakeBot::start().await;
    fake.push_rule(
        Rule::new(Action::RetryAfter(2))
            .method("sendMessage")
            .times(1),
    );
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1, 7, "/start")).await, 200);
    fake.wait_for("delivery after the 429", PROMPTLY, |c| {
        c.iter().any(|c| c.is("sendMessage") && c.ok)
    })
    .await;
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls[0].status, 429);
    assert!(calls[1].ok);
    assert_eq!(
        calls[0].params, calls[1].params,
        "the same message is repeated"
    );
    let waited = calls[1].at - calls[0].at;
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    let files = app.files.clone();
    wait_until("both messages of the welcome to be sent", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE method = 'text' AND status = 'sent'") == 2
    })
    .await;
    // Each message arrived once.
    assert_eq!(fake.delivered("sendMessage").len(), 2);
    assert_eq!(fake.calls_of("sendMessage").len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let fake = FakeBot::start().await;
    fake.push_rule(
        Rule::new(Action::ServerError)
            .method("sendMessage")
            .times(3),
    );
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1, 8, "/start")).await, 200);
    fake.wait_for("delivery after three 500s", PROMPTLY, |c| {
        c.iter().any(|c| c.is("sendMessage") && c.ok)
    })
    .await;
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.iter().filter(|c| c.status == 500).count(), 3);
    // The backoff grows: the third wait is longer than the first.
    let first = calls[1].at - calls[0].at;
    let third = calls[3].at - calls[2].at;
    assert!(third > first, "waits {first:?} then {third:?}");
    let files = app.files.clone();
    wait_until("the deliveries to be recorded", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE method = 'text' AND status = 'sent'") == 2
    })
    .await;
    assert_eq!(
        app.count("SELECT attempts FROM outbox WHERE method = 'text' ORDER BY id LIMIT 1"),
        4
    );
    assert_eq!(
        app.count("SELECT attempts FROM outbox WHERE method = 'text' ORDER BY id LIMIT 1 OFFSET 1"),
        1
    );
    assert_eq!(fake.delivered("sendMessage").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_hanging_call_times_out_and_is_retried() {
    let fake = FakeBot::start().await;
    fake.push_rule(Rule::new(Action::Hang).method("sendMessage").times(1));
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1, 10, "/start")).await, 200);
    fake.wait_for("delivery after a hang", PROMPTLY, |c| {
        c.iter().filter(|c| c.is("sendMessage") && c.ok).count() == 2
    })
    .await;
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls[0].status, 0, "the first call hung");
    assert_eq!(calls[0].params, calls[1].params);
    app.stop().await;
}

#[tokio::test]
async fn forbidden_is_permanent_and_recorded() {
    let fake = FakeBot::start().await;
    fake.push_rule(
        Rule::new(Action::Forbidden(
            "Forbidden: bot was blocked by the user".into(),
        ))
        .method("sendMessage")
        .chat(9),
    );
    let app = spawn_app(&fake).await;
    assert_eq!(app.post(&update_message(1, 9, "/start")).await, 200);
    let files = app.files.clone();
    wait_until("the calls to be marked failed", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE status = 'failed'") == 2
    })
    .await;
    let error: String = app
        .files
        .db()
        .query_row(
            "SELECT last_error FROM outbox WHERE method = 'text' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(error.contains("blocked by the user"), "{error}");
    // Later messages to other chats still flow, and the refused one is not retried.
    assert_eq!(app.post(&update_message(2, 11, "/start")).await, 200);
    fake.wait_for("the other chat's greeting", PROMPTLY, |c| {
        c.iter()
            .any(|c| c.is("sendMessage") && c.chat_id() == Some(11) && c.ok)
    })
    .await;
    let to_nine = fake
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(9))
        .count();
    assert_eq!(to_nine, 2, "each of the two messages tried once");
    app.stop().await;
}

#[tokio::test]
async fn pending_calls_survive_a_kill_and_are_delivered_once() {
    let fake = FakeBot::start().await;
    // Telegram is down: every send fails, so the calls stay pending.
    fake.push_rule(Rule::new(Action::ServerError).method("sendMessage"));
    let files = Files::new();
    let options = Options::default();
    let child = ChildApp::start(&files, &fake.api_url(), &options).await;
    let chats: Vec<i64> = (501..=505).collect();
    for (i, chat) in chats.iter().enumerate() {
        let status = child
            .post(&update_message(100 + i as i64, *chat, "/start"))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    fake.wait_for("every chat to have been tried", PROMPTLY, |calls| {
        chats.iter().all(|chat| {
            calls
                .iter()
                .any(|c| c.is("sendMessage") && c.chat_id() == Some(*chat))
        })
    })
    .await;
    child.kill();
    assert_eq!(
        files.count("SELECT count(*) FROM outbox WHERE method = 'text' AND status = 'pending'"),
        10
    );

    // Telegram is back; the service restarts on the same database.
    fake.clear_rules();
    let child = ChildApp::start(&files, &fake.api_url(), &options).await;
    wait_until("the outbox to drain after the restart", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
    })
    .await;
    for chat in &chats {
        let delivered = fake
            .delivered("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(*chat))
            .count();
        assert_eq!(delivered, 2, "chat {chat}");
    }
    drop(child);
}

#[tokio::test]
async fn a_burst_to_one_chat_is_spread_at_one_per_second() {
    let fake = FakeBot::start().await;
    let app = spawn_app_with(
        &fake,
        Options {
            real_limits: true,
            ..Options::default()
        },
    )
    .await;
    for i in 0..100 {
        assert_eq!(
            app.post(&update_message(10_000 + i, 31, "/start")).await,
            200
        );
    }
    let calls = fake
        .wait_for(
            "100 messages to chat 31",
            Duration::from_secs(180),
            |calls| calls.iter().filter(|c| c.is("sendMessage") && c.ok).count() == 100,
        )
        .await;
    let times: Vec<_> = calls
        .iter()
        .filter(|c| c.is("sendMessage") && c.ok)
        .map(|c| c.at)
        .collect();
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        // 1/s per chat; the tolerance covers network jitter on loopback.
        assert!(
            gap >= Duration::from_millis(900),
            "two messages {gap:?} apart"
        );
    }
    let span = times[99] - times[0];
    assert!(span >= Duration::from_secs(97), "100 messages in {span:?}");
    app.stop().await;
}
