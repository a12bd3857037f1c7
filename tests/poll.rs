//! Long polling: updates served by getUpdates are processed once across a restart,
//! and the offset is persisted.

mod support;

use support::app::{Files, PROMPTLY, spawn_poll};
use support::fake_bot::{FakeBot, update_message};

#[tokio::test]
async fn polled_updates_are_processed_once_across_a_restart() {
    let fake = FakeBot::start().await;
    for (id, chat) in [(500, 61), (501, 62), (502, 63)] {
        fake.push_update(update_message(id, chat, "/start"));
    }
    let files = Files::new();
    let poll = spawn_poll(&fake, files.clone()).await;
    fake.wait_for("the three welcomes", PROMPTLY, |calls| {
        calls.iter().filter(|c| c.is("sendMessage") && c.ok).count() == 6
    })
    .await;
    assert!(
        !fake.calls_of("deleteWebhook").is_empty(),
        "the webhook is removed before polling"
    );
    let files = poll.stop().await;
    let offset: String = files
        .db()
        .query_row(
            "SELECT value FROM meta WHERE key = 'poll_offset'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(offset, "503");

    let before_restart = fake.calls().len();
    fake.push_update(update_message(503, 64, "/start"));
    let poll = spawn_poll(&fake, files.clone()).await;
    fake.wait_for("the fourth welcome", PROMPTLY, |calls| {
        calls.iter().filter(|c| c.is("sendMessage") && c.ok).count() == 8
    })
    .await;
    let first_poll = fake.calls()[before_restart..]
        .iter()
        .find(|c| c.is("getUpdates"))
        .cloned()
        .expect("a getUpdates after the restart");
    assert_eq!(
        first_poll.params["offset"], 503,
        "the restart resumes at the saved offset"
    );
    poll.stop().await;
    for chat in [61, 62, 63, 64] {
        let n = fake
            .delivered("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(chat))
            .count();
        assert_eq!(n, 2, "chat {chat}");
    }
    assert_eq!(
        files.count("SELECT count(*) FROM updates WHERE source = 'poll'"),
        4
    );
}
