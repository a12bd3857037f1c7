//! A conversation of 500 messages each way while the Bot API answers a fifth of all
//! calls with 429, 500 or not at all: every message arrives exactly once, in order.

mod support;

use support::app::{Options, PROMPTLY, spawn_app_with};
use support::desk::{ANNA, Desk, GROUP, STAFF};
use support::fake_bot::{Action, FakeBot, Rule};
use support::smtp_sink::SmtpSink;

const ANN: i64 = 4242;
const EACH_WAY: usize = 500;

#[tokio::test]
async fn five_hundred_each_way_through_a_faulty_api() {
    let fake = FakeBot::start().await;
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(
        &fake,
        Options {
            smtp_port: sink.port,
            // A hang costs one client timeout.
            request_timeout: "500ms".into(),
            poll_timeout: "0s".into(),
            extra: STAFF.to_string(),
            ..Options::default()
        },
    )
    .await;
    let desk = Desk::resume(fake, sink, app);
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "let us talk a lot").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.drained().await;
    let copies_before = |chat: i64| {
        desk.fake
            .delivered("copyMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(chat))
            .count()
    };
    let (base_anna, base_ann) = (copies_before(ANNA), copies_before(ANN));

    desk.fake.push_rule(
        Rule::new(Action::ServerError)
            .one_of(vec![
                Action::RetryAfter(1),
                Action::ServerError,
                Action::Hang,
            ])
            .chance(20, 2026),
    );
    let mut from_ann = Vec::new();
    let mut from_anna = Vec::new();
    for i in 0..EACH_WAY {
        from_ann.push(desk.say(ANN, &format!("customer says {i}")).await);
        from_anna.push(desk.say(ANNA, &format!("specialist says {i}")).await);
    }
    let deadline = std::time::Duration::from_secs(400);
    let calls = desk
        .fake
        .wait_for("every message relayed", deadline, |calls| {
            let ok_to = |chat: i64| {
                calls
                    .iter()
                    .filter(|c| c.is("copyMessage") && c.ok && c.chat_id() == Some(chat))
                    .count()
            };
            ok_to(ANNA) >= base_anna + EACH_WAY && ok_to(ANN) >= base_ann + EACH_WAY
        })
        .await;
    let faults = calls.iter().filter(|c| !c.ok).count();
    assert!(
        faults > 100,
        "the API was not faulty enough: {faults} faults"
    );
    for (to, sent) in [(ANNA, &from_ann), (ANN, &from_anna)] {
        let copied: Vec<i64> = calls
            .iter()
            .filter(|c| c.is("copyMessage") && c.ok && c.chat_id() == Some(to))
            .filter_map(|c| c.int_param("message_id"))
            .filter(|m| sent.contains(m))
            .collect();
        assert_eq!(&copied, sent, "to {to}: each exactly once, in order");
    }
    desk.fake.clear_rules();
    desk.drained().await;
    let _ = PROMPTLY;
}
