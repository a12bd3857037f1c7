//! A conversation of 500 messages each way while the Bot API answers a fifth of all
//! calls with 429, 500 or not at all: every message arrives exactly once, in order.

mod support;

use support::app::{Options, spawn_app_with};
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
    let copies_before = |chat: i64| support::desk::copied(&desk.fake.calls(), chat).len();
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
    // Each party writes as people do: the next message once the last one arrived
    // (so there is no backlog to merge and every message is a call of its own).
    let talk = |from: i64, to: i64, base: usize| {
        let desk = &desk;
        async move {
            let mut sent = Vec::new();
            for i in 0..EACH_WAY {
                sent.push(desk.say(from, &format!("message {i} from {from}")).await);
                desk.fake
                    .wait_for(
                        "the last message relayed",
                        std::time::Duration::from_secs(60),
                        |calls| support::desk::copied(calls, to).len() > base + i,
                    )
                    .await;
            }
            sent
        }
    };
    let (from_ann, from_anna) = tokio::join!(talk(ANN, ANNA, base_anna), talk(ANNA, ANN, base_ann));
    let deadline = std::time::Duration::from_secs(400);
    let calls = desk
        .fake
        .wait_for("every message relayed", deadline, |calls| {
            let ok_to = |chat: i64| support::desk::copied(calls, chat).len();
            ok_to(ANNA) >= base_anna + EACH_WAY && ok_to(ANN) >= base_ann + EACH_WAY
        })
        .await;
    let faults = calls.iter().filter(|c| !c.ok).count();
    assert!(
        faults > 100,
        "the API was not faulty enough: {faults} faults"
    );
    for (to, sent) in [(ANNA, &from_ann), (ANN, &from_anna)] {
        let copied: Vec<i64> = support::desk::copied(&calls, to)
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| sent.contains(m))
            .collect();
        assert_eq!(&copied, sent, "to {to}: each exactly once, in order");
    }
    desk.fake.clear_rules();
    desk.drained().await;
}
