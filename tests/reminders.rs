//! Reminders, escalation and the close warning end to end (SPEC §6.3): deadlines
//! kept in the database, fired by the timer through the writer, across a restart.

mod support;

use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, Desk, GROUP, HEAD, NIGHT, STAFF, is_text_to};

const ANN: i64 = 4242;
const BOB: i64 = 4343;

const WAITING: &str = "waiting for a specialist for";
const ESCALATED: &str = "Nobody has taken request";

#[tokio::test]
async fn an_unassigned_request_is_reminded_at_each_step_the_last_to_controllers() {
    let desk = Desk::start_with(
        STAFF,
        "[reminders]\nunassigned = [\"2s\", \"3s\", \"4s\"]\nunanswered = []",
    )
    .await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BOB, "bob@example.com").await;
    // Ann's request is taken at once: it is never reminded.
    let taken = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{taken}")).await;
    desk.wait_answer("is yours").await;
    // Bob's waits: a new message at each step in both groups, with a Take button.
    let waiting = desk.request(BOB, "hello?").await;
    desk.wait_text(HEAD, ESCALATED).await;
    desk.drained().await;
    let calls = desk.fake.calls();
    for group in [GROUP, NIGHT] {
        let reminders: Vec<_> = calls
            .iter()
            .filter(|c| is_text_to(c, group, WAITING))
            .collect();
        assert_eq!(reminders.len(), 3, "one per step in {group}");
        for r in &reminders {
            assert!(r.is("sendMessage"), "a new message, not an edit");
            assert!(r.text().unwrap().contains(&format!("#{waiting}")));
            assert_eq!(
                r.buttons(),
                vec![("Take".to_string(), format!("t:{waiting}"))]
            );
        }
        assert_eq!(desk.count_texts(group, ESCALATED), 0);
    }
    assert_eq!(desk.count_texts(HEAD, ESCALATED), 1, "the last step only");
    assert_eq!(desk.count_texts(HEAD, WAITING), 0);
    let about_taken = format!("#{taken} ");
    assert!(
        !calls
            .iter()
            .any(|c| is_text_to(c, GROUP, WAITING) && is_text_to(c, GROUP, &about_taken)),
        "no reminder after a Take"
    );
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM deadlines WHERE communication_id = {taken} AND kind = 'unassigned'"
        )),
        0
    );
    // The steps are spent: the row stays, never due again.
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM deadlines WHERE communication_id = {waiting} AND due_at IS NULL"
        )),
        1
    );
}

#[tokio::test]
async fn reminder_steps_survive_a_restart_none_lost_none_repeated() {
    let desk = Desk::start_with(
        STAFF,
        "[reminders]\nunassigned = [\"1s\", \"6s\", \"10s\"]\nunanswered = []",
    )
    .await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.request(ANN, "help").await;
    desk.wait_text(GROUP, WAITING).await;
    desk.drained().await;
    assert_eq!(desk.count_texts(GROUP, WAITING), 1);
    // The service restarts between the first step and the second.
    let Desk {
        fake, sink, app, ..
    } = desk;
    let app = app.restart().await;
    let desk = Desk::resume(fake, sink, app);
    desk.wait_text(HEAD, ESCALATED).await;
    desk.drained().await;
    assert_eq!(desk.count_texts(GROUP, WAITING), 3, "each step once");
    assert_eq!(desk.count_texts(NIGHT, WAITING), 3);
    assert_eq!(desk.count_texts(HEAD, ESCALATED), 1);
}

#[tokio::test]
async fn an_unanswered_customer_reminds_the_specialist_then_the_controllers() {
    let desk = Desk::start_with(
        STAFF,
        "[reminders]\nunassigned = []\nunanswered = [\"1s\", \"2s\"]",
    )
    .await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    // Ann wrote before the Take: the steps count from the Take.
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.wait_text(HEAD, "an answer from Anna").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(ANNA, "waiting for your answer"), 2);
    assert_eq!(desk.count_texts(HEAD, "an answer from Anna"), 1);
    assert_eq!(desk.count_texts(GROUP, "waiting for your answer"), 0);
    // Anna answers: the steps end.
    desk.say(ANNA, "here I am").await;
    desk.drained().await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM deadlines WHERE communication_id = {id} AND kind = 'unanswered'"
        )),
        0
    );
}

#[tokio::test]
async fn the_customer_is_warned_then_the_request_closes_by_timeout() {
    let desk = Desk::start_with(
        STAFF,
        "[timeouts]\nidle_close = \"4s\"\nclose_warning = \"2s\"\n\
         [reminders]\nunassigned = []\nunanswered = []",
    )
    .await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "Did that help?").await;
    desk.wait_text(ANN, "unless you answer").await;
    desk.wait_text(ANN, "was closed as there was no reply")
        .await;
    desk.drained().await;
    let calls = desk.fake.calls();
    let warned = calls
        .iter()
        .position(|c| is_text_to(c, ANN, "unless you answer"))
        .unwrap();
    let closed = calls
        .iter()
        .position(|c| is_text_to(c, ANN, "was closed as there was no reply"))
        .unwrap();
    assert!(warned < closed, "the warning comes first");
    assert_eq!(desk.count_texts(ANN, "unless you answer"), 1);
    wait_until("the deadlines to go with the close", PROMPTLY, || {
        desk.app.count("SELECT count(*) FROM deadlines") == 0
    })
    .await;
}
