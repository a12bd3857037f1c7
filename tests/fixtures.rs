//! Every real update payload in tests/fixtures/telegram-updates (a copy of the shared
//! fixtures) is accepted (2xx) and the service stays healthy afterwards.

mod support;

use std::path::PathBuf;

use support::app::{PROMPTLY, spawn_app};
use support::fake_bot::{FakeBot, update_message};

fn fixtures() -> Vec<(String, serde_json::Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/telegram-updates");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                value,
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn every_fixture_is_accepted_and_the_service_stays_healthy() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 100,
        "expected the 105 shared fixtures, found {}",
        fixtures.len()
    );
    let fake = FakeBot::start().await;
    let app = spawn_app(&fake).await;
    for (i, (name, mut update)) in fixtures.into_iter().enumerate() {
        // Fixtures may share ids; give each its own so that each is really handled.
        update["update_id"] = serde_json::json!(1_000 + i);
        let status = app.post(&update).await;
        assert!((200..300).contains(&status), "{name}: HTTP {status}");
    }
    let total = app.count("SELECT count(*) FROM updates");
    assert!(total >= 100, "only {total} fixtures recorded");
    assert_eq!(
        app.count("SELECT count(*) FROM updates WHERE outcome = 'failed'"),
        0
    );
    // Still healthy: a /start is answered.
    assert_eq!(app.post(&update_message(99_999, 4242, "/start")).await, 200);
    fake.wait_for("a greeting after the fixtures", PROMPTLY, |calls| {
        calls
            .iter()
            .any(|c| c.is("sendMessage") && c.chat_id() == Some(4242) && c.ok)
    })
    .await;
    app.stop().await;
}
