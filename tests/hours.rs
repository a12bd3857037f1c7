//! Working hours end to end (SPEC §6.2): a request opened outside them gets one
//! auto-reply saying when the team is back, and is still queued and announced.

mod support;

use support::app::PROMPTLY;
use support::desk::{Desk, GROUP, STAFF};

const ANN: i64 = 4343;

#[tokio::test]
async fn a_request_outside_working_hours_gets_one_auto_reply_and_is_announced() {
    // Open every day, but yesterday, today and tomorrow (UTC) are holidays: closed
    // now, even across midnight; back the day after tomorrow at 00:00.
    let today = chrono::Utc::now().date_naive();
    let days: Vec<String> = (-1..=1)
        .map(|d| format!("\"{}\"", today + chrono::Duration::days(d)))
        .collect();
    let week: String = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|day| format!("{day} = \"00:00-24:00\"\n"))
    .collect();
    let extra = format!(
        "[hours]\ntime_zone = \"UTC\"\n{week}holidays = [{}]\n",
        days.join(", ")
    );
    let desk = Desk::start_with(STAFF, &extra).await;
    desk.onboard(ANN, "ann@example.com").await;

    let id = desk.request(ANN, "Nobody is there?").await;
    let reply = desk.wait_text(ANN, "outside working hours").await;
    let text = reply.text().unwrap_or_default();
    assert!(text.contains("00:00 (UTC)"), "{text}");
    desk.wait_text(GROUP, &format!("Request #{id}")).await;

    // A second message to the same communication: no second auto-reply.
    desk.say(ANN, "Hello?").await;
    desk.fake
        .wait_for("the announcement edited with it", PROMPTLY, |calls| {
            calls.iter().any(|c| {
                c.is("editMessageText")
                    && c.ok
                    && c.chat_id() == Some(GROUP)
                    && c.text().is_some_and(|t| t.contains("Hello?"))
            })
        })
        .await;
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, "outside working hours"), 1);
}
