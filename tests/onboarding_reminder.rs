//! A stalled onboarding end to end (SPEC §9, `auth.remind_after`): a customer asked
//! for their email or code who goes silent gets one reminder saying what is still
//! needed, and then goes on where they stopped; a new stall after an answer may
//! remind again; nothing with `0s`, nothing for one who answers in time; a reminder
//! that fell due while the service was down goes once after the start.

mod support;

use support::app::{PROMPTLY, wait_until};
use support::desk::{Desk, STAFF};

const ANN: i64 = 4242;
const EMAIL_REMINDER: &str = "We are still waiting for your email address";
const CODE_REMINDER: &str =
    "We are still waiting for the 6-digit code sent to <b>ann@example.com</b>";

fn due(desk: &Desk, chat: i64) -> Option<i64> {
    desk.app
        .files
        .db()
        .query_row(
            "SELECT onboarding_remind_at FROM customers WHERE id = ?1",
            [chat],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn a_silent_customer_is_reminded_once_per_stall_then_finishes_onboarding() {
    let desk = Desk::start_with(STAFF, "[auth]\nremind_after = \"1s\"\n").await;
    desk.say(ANN, "/start").await;
    desk.wait_text(ANN, "Please send your email address").await;
    desk.wait_text(ANN, EMAIL_REMINDER).await;
    // Reminded once: nothing more is due, and nothing more comes.
    let files = desk.app.files.clone();
    wait_until("the reminder to be spent", PROMPTLY, || {
        files.count("SELECT count(*) FROM customers WHERE onboarding_remind_at IS NOT NULL") == 0
    })
    .await;
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, EMAIL_REMINDER), 1);

    // She goes on where she stopped: the email, then (a new stall) the code.
    desk.say(ANN, "ann@example.com").await;
    desk.wait_text(ANN, "We sent a 6-digit code").await;
    let reminder = desk.wait_text(ANN, CODE_REMINDER).await;
    assert_eq!(reminder.buttons().len(), 2, "resend and change the address");
    let code = desk.code_for("ann@example.com", 1).await;
    desk.say(ANN, &code).await;
    desk.wait_text(ANN, "is confirmed").await;
    assert_eq!(due(&desk, ANN), None);
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, EMAIL_REMINDER), 1);
    assert_eq!(desk.count_texts(ANN, CODE_REMINDER), 1);
}

#[tokio::test]
async fn no_reminder_with_0s_nor_for_one_who_answers_in_time() {
    let off = Desk::start_with(STAFF, "[auth]\nremind_after = \"0s\"\n").await;
    off.say(ANN, "/start").await;
    off.wait_text(ANN, "Please send your email address").await;
    off.drained().await;
    assert_eq!(due(&off, ANN), None);

    let desk = Desk::start_with(STAFF, "[auth]\nremind_after = \"1h\"\n").await;
    desk.say(ANN, "/start").await;
    desk.wait_text(ANN, "Please send your email address").await;
    let asked = due(&desk, ANN).expect("a reminder due");
    let hour_from_now = relaydesk::now_ms() + 3_600_000;
    assert!(
        (hour_from_now - 60_000..=hour_from_now).contains(&asked),
        "{asked}"
    );
    desk.onboard(ANN, "ann@example.com").await;
    assert_eq!(due(&desk, ANN), None);
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, "still waiting"), 0);
}

#[tokio::test]
async fn a_reminder_due_while_the_service_was_down_goes_once_after_the_start() {
    let desk = Desk::start_with(STAFF, "[auth]\nremind_after = \"1h\"\n").await;
    desk.say(ANN, "/start").await;
    desk.wait_text(ANN, "Please send your email address").await;
    desk.drained().await;
    // As if the service had been down for longer than remind_after (the timer
    // sleeps for the hour meanwhile): the reminder is due at the start.
    let files = desk.app.files.clone();
    files
        .db()
        .execute(
            "UPDATE customers SET onboarding_remind_at = 1 WHERE id = ?1",
            [ANN],
        )
        .unwrap();
    let Desk {
        fake, sink, app, ..
    } = desk;
    let desk = Desk::resume(fake, sink, app.restart().await);
    desk.wait_text(ANN, EMAIL_REMINDER).await;
    wait_until("the reminder to be spent", PROMPTLY, || {
        files.count("SELECT count(*) FROM customers WHERE onboarding_remind_at IS NOT NULL") == 0
    })
    .await;
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, EMAIL_REMINDER), 1);
    // Then she goes on as before.
    desk.say(ANN, "ann@example.com").await;
    desk.wait_text(ANN, "We sent a 6-digit code").await;
}
