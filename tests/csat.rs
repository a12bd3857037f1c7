//! Satisfaction surveys end to end (SPEC §6.5) and `relaydesk export ratings` (§9):
//! the survey after a close, a rating, its comment or Skip, refusals, the export.

mod support;

use serde_json::json;
use support::app::PROMPTLY;
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, STAFF};
use support::fake_bot::Call;

const ANN: i64 = 4242;
const STRANGER: i64 = 7777;

/// Wait for an edit in `chat` whose text contains `needle`.
async fn wait_edit(desk: &Desk, chat: i64, needle: &str) -> Call {
    let matches = |c: &Call| {
        c.is("editMessageText")
            && c.ok
            && c.chat_id() == Some(chat)
            && c.text().is_some_and(|t| t.contains(needle))
    };
    let calls = desk
        .fake
        .wait_for(
            &format!("an edit in {chat} with {needle:?}"),
            PROMPTLY,
            |calls| calls.iter().any(matches),
        )
        .await;
    calls.into_iter().find(|c| matches(c)).unwrap()
}

/// The survey of communication `id`, once delivered: its message id.
async fn survey_of(desk: &Desk, id: i64) -> i64 {
    let call = desk.survey(ANN, id).await;
    let buttons = call.buttons();
    assert_eq!(buttons.len(), 5);
    for (i, (label, data)) in buttons.iter().enumerate() {
        assert!(label.contains(&(i + 1).to_string()), "{label}");
        assert_eq!(data, &format!("rt:{id}:{}", i + 1));
    }
    call.message_id().expect("the survey's message id")
}

/// Ann's request taken by Anna.
async fn taken(desk: &Desk, text: &str) -> i64 {
    let id = desk.request(ANN, text).await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    id
}

fn export(desk: &Desk, format: &str, extra: &[&str]) -> String {
    desk.export("ratings", format, extra)
}

#[tokio::test]
async fn a_rating_and_its_comment_after_a_close_are_seen_and_exported() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = taken(&desk, "My printer prints blank pages").await;
    desk.say(ANNA, "/close").await;
    let survey = survey_of(&desk, id).await;

    // Someone else's press is refused, with a reason.
    desk.press_on(STRANGER, ANN, survey, &format!("rt:{id}:1"))
        .await;
    desk.wait_answer("This survey is not yours").await;
    desk.press_on(BORIS, ANN, survey, &format!("rt:{id}:1"))
        .await;
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM surveys WHERE rating IS NOT NULL"),
        0
    );

    // Ann rates 5: recorded, shown on the question, a comment asked.
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:5")).await;
    desk.wait_answer("Your rating: 5").await;
    let edit = wait_edit(&desk, ANN, "Your rating: ★★★★★ 5/5").await;
    assert_eq!(edit.int_param("message_id"), Some(survey));
    let ask = desk.wait_text(ANN, "write a comment").await;
    assert_eq!(
        ask.buttons(),
        vec![("Skip".to_string(), format!("sk:{id}"))]
    );
    for staff in [ANNA, GROUP, HEAD] {
        desk.wait_text(staff, &format!("#{id} was rated ★★★★★ 5/5 by Test"))
            .await;
    }

    // Her next text is the comment, not a new request.
    desk.say(ANN, "Quick and kind, thanks!").await;
    desk.wait_text(ANN, "Thank you for your feedback").await;
    for staff in [ANNA, GROUP] {
        let notice = desk.wait_text(staff, "Quick and kind, thanks!").await;
        assert!(notice.text().unwrap().contains("(5/5) from Test"));
    }
    assert_eq!(desk.app.count("SELECT count(*) FROM communications"), 1);
    let (rating, comment): (i64, String) = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT rating, comment FROM surveys WHERE communication_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rating, comment.as_str()), (5, "Quick and kind, thanks!"));

    // After that, messages open requests as usual.
    let next = desk.request(ANN, "Another problem").await;
    assert_eq!(next, id + 1);

    // The export, while the service runs.
    let csv = export(&desk, "csv", &[]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("communication_id,customer_id,specialist_id,rating,comment,rated_at")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!("{id},{ANN},{ANNA},5,\"Quick and kind, thanks!\",")),
        "{row}"
    );
    assert!(
        row.ends_with('Z') && row.len() - row.rfind(',').unwrap() == 21,
        "{row}"
    );
    assert_eq!(lines.next(), None);
    let json: serde_json::Value = serde_json::from_str(&export(&desk, "json", &[])).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows[0].as_object().unwrap();
    let keys: Vec<&str> = row.keys().map(String::as_str).collect();
    let mut expected = [
        "communication_id",
        "customer_id",
        "specialist_id",
        "rating",
        "comment",
        "rated_at",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(row["communication_id"], json!(id));
    assert_eq!(row["customer_id"], json!(ANN));
    assert_eq!(row["specialist_id"], json!(ANNA));
    assert_eq!(row["rating"], json!(5));
    assert_eq!(row["comment"], json!("Quick and kind, thanks!"));
    // A day long past has none.
    let none = export(
        &desk,
        "json",
        &["--since", "2001-01-01", "--until", "2001-01-02"],
    );
    assert_eq!(none.trim(), "[]");
}

#[tokio::test]
async fn after_a_timeout_close_a_rating_then_skip_lets_messages_open_requests() {
    let desk = Desk::start_with(STAFF, "[timeouts]\nidle_close = \"1s\"").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = taken(&desk, "help").await;
    desk.say(ANNA, "Did that help?").await;
    desk.wait_text(ANN, "was closed as there was no reply")
        .await;
    let survey = survey_of(&desk, id).await;
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:2")).await;
    wait_edit(&desk, ANN, "Your rating: ★★☆☆☆ 2/5").await;
    let ask = desk.wait_text(ANN, "write a comment").await;
    let prompt = ask.message_id().unwrap();
    desk.wait_text(GROUP, &format!("#{id} was rated ★★☆☆☆ 2/5"))
        .await;
    // A second press within the window changes the rating.
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:3")).await;
    desk.wait_text(ANNA, "changed the rating to ★★★☆☆ 3/5")
        .await;
    desk.press_on(ANN, ANN, prompt, &format!("sk:{id}")).await;
    wait_edit(&desk, ANN, "no comment").await;
    desk.drained().await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM surveys WHERE communication_id = {id}
             AND rating = 3 AND comment IS NULL AND awaiting_comment = 0"
        )),
        1
    );
    let next = desk.request(ANN, "One more thing").await;
    assert_eq!(next, id + 1);
    let csv = export(&desk, "csv", &[]);
    assert_eq!(csv.lines().count(), 2);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{id},{ANN},{ANNA},3,,"))
    );
}
