//! Hostile input: broken JSON, absurd texts, forged buttons, spoofed senders, a
//! flood of requests with a wrong secret, ids out of order. The service stays up,
//! answers, and loses nothing.

mod support;

use serde_json::json;
use support::app::{PROMPTLY, SECRET, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP};
use support::fake_bot::{update_group_message, update_message};

const ANN: i64 = 4242;

#[tokio::test]
async fn broken_payloads_are_recorded_and_acknowledged() {
    let desk = Desk::start().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"update_id": 5, "message": {"text": "hi""#.to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        br#""just a string""#.to_vec(),
        br#"{"update_id": "abc"}"#.to_vec(),
        br#"{"update_id": 1.5, "message": {}}"#.to_vec(),
        vec![0xff, 0xfe, 0x00, 0x41],
        deep.into_bytes(),
    ];
    let n = bodies.len() as i64;
    for body in bodies {
        assert_eq!(desk.app.post_raw(body, Some(SECRET)).await, 200);
    }
    assert_eq!(desk.app.count("SELECT count(*) FROM rejected_updates"), n);
    // Still healthy.
    desk.say(ANN, "/start").await;
    desk.wait_text(ANN, "email address").await;
}

#[tokio::test]
async fn combining_characters_and_emoji_fill_a_whole_message() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let mut text = String::new();
    while text.chars().count() < 4090 {
        text.push_str("e\u{301}\u{302}😀👍🏽");
    }
    let text: String = text.chars().take(4096).collect();
    let id = desk.request(ANN, &text).await;
    desk.wait_text(GROUP, &format!("Request #{id}")).await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANN, &text).await;
    desk.wait_copies(ANNA, 2).await;
    desk.drained().await;
    let refused: Vec<String> = desk
        .fake
        .calls()
        .iter()
        .filter(|c| !c.ok && c.status != 0)
        .map(|c| format!("{} {}", c.method, c.response))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    let stored: String = desk
        .app
        .files
        .db()
        .query_row("SELECT text FROM messages ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, text, "stored intact");
}

#[tokio::test]
async fn forged_buttons_and_spoofed_senders_change_nothing() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    // Boris forges Anna's buttons.
    desk.press(BORIS, BORIS, &format!("c:{id}")).await;
    desk.wait_answer(&format!("#{id} is not yours")).await;
    desk.press(BORIS, BORIS, &format!("r:{id}")).await;
    // A message in the group that claims to come from Anna: groups are not listened to.
    let spoof = update_group_message(90_001, GROUP, ANNA, "/close");
    assert_eq!(desk.app.post(&spoof).await, 200);
    // The customer presses a specialist's button.
    desk.press(ANN, ANN, &format!("c:{id}")).await;
    desk.wait_answer("Only support specialists").await;
    desk.drained().await;
    assert_eq!(
        desk.app.count(
            "SELECT count(*) FROM communications WHERE status = 'assigned' AND specialist_id = 501"
        ),
        1
    );
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM updates WHERE update_id = 90001 AND outcome = 'ignored'"),
        1
    );
}

#[tokio::test]
async fn a_flood_with_a_wrong_secret_is_refused_and_stores_nothing() {
    let desk = Desk::start().await;
    let body = serde_json::to_vec(&update_message(7, ANN, "/start")).unwrap();
    let mut tasks = Vec::new();
    for worker in 0..32 {
        let client = desk.app.client.clone();
        let url = desk.app.url.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut refused = 0;
            for i in 0..(10_000 / 32 + 1) {
                if worker * 313 + i >= 10_000 {
                    break;
                }
                let status = client
                    .post(&url)
                    .header("X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(status, 401);
                refused += 1;
            }
            refused
        }));
    }
    let mut refused = 0;
    for t in tasks {
        refused += t.await.unwrap();
    }
    assert!(refused >= 10_000, "{refused}");
    assert_eq!(desk.app.count("SELECT count(*) FROM updates"), 0);
    assert_eq!(desk.app.count("SELECT count(*) FROM rejected_updates"), 0);
    assert_eq!(desk.app.count("SELECT count(*) FROM customers"), 0);
    // The right secret still gets through.
    assert_eq!(desk.app.post(&update_message(7, ANN, "/start")).await, 200);
    desk.wait_text(ANN, "email address").await;
}

#[tokio::test]
async fn update_ids_out_of_order_and_repeated_are_each_handled_once() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "first").await;
    desk.drained().await;
    for update_id in [50_050, 50_010, 50_030, 50_010, 50_050, 50_020, 50_030] {
        let mut u = update_message(update_id, ANN, &format!("text {update_id}"));
        u["message"]["message_id"] = json!(update_id);
        assert_eq!(desk.app.post(&u).await, 200);
    }
    wait_until("four messages logged", PROMPTLY, || {
        desk.app
            .count("SELECT count(*) FROM messages WHERE text LIKE 'text %'")
            == 4
    })
    .await;
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM messages WHERE text LIKE 'text %'"),
        4
    );
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM messages WHERE communication_id = {id}"
        )),
        5
    );
}
