//! The web console's toolbox on a communication's page (SPEC §8 with §7): a canned
//! answer and a transfer are the presses of Telegram's buttons (the same rules,
//! notices and audit), and the page's transcript is live.

mod support;

use reqwest::StatusCode;
use support::app::{PROMPTLY, wait_until};
use support::console::*;
use support::desk::{ANNA, BORIS, Desk, GROUP, STAFF};

const BEN: i64 = 4343;

const CANNED: &str = r#"
[[canned]]
key = "hello"
title = "Greeting"
text = "Hello, {customer}! My name is {specialist}, I am looking at request #{request}."
"#;

/// A request of `customer` taken by `who` in Telegram.
async fn taken_by(desk: &Desk, customer: i64, who: i64, text: &str) -> i64 {
    let id = desk.request(customer, text).await;
    desk.press(who, GROUP, &format!("t:{id}")).await;
    desk.wait_text(who, &format!("Request #{id}")).await;
    id
}

fn specialist_of(desk: &Desk, id: i64) -> Option<i64> {
    desk.app
        .files
        .db()
        .query_row(
            "SELECT specialist_id FROM communications WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn a_canned_answer_from_the_console_is_the_specialists_message() {
    let desk = Desk::start_with(&format!("{STAFF}\n{CANNED}"), "").await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Hi there").await;
    let csrf = anna.get("/").await.csrf();

    // Not hers yet: no toolbox, and a post is refused with nothing sent.
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(!page.body.contains("id=\"canned-hello\""), "{}", page.body);
    let early = anna
        .post(
            &format!("/c/{id}/canned"),
            &[("csrf", &csrf), ("key", "hello")],
        )
        .await;
    assert!(early.body.contains("notice alert"), "{}", early.body);

    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    // The fake Bot API's users are all called Test.
    let expected = format!("Hello, Test! My name is Anna, I am looking at request #{id}.");
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(page.body.contains("id=\"canned-hello\""), "{}", page.body);
    assert!(page.body.contains(&expected), "filled in: {}", page.body);

    let unknown = anna
        .post(
            &format!("/c/{id}/canned"),
            &[("csrf", &csrf), ("key", "nope")],
        )
        .await;
    assert!(unknown.body.contains("notice alert"), "{}", unknown.body);
    let sent = anna
        .post(
            &format!("/c/{id}/canned"),
            &[("csrf", &csrf), ("key", "hello")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(
        sent.body.contains("Canned answer hello sent"),
        "{}",
        sent.body
    );
    desk.wait_text(ANN, &expected).await;
    let files = &desk.app.files;
    wait_until("the canned answer logged and counted", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM messages WHERE communication_id = {id}
             AND role = 'specialist' AND kind = 'canned'"
        )) == 1
            && files.count(&format!(
                "SELECT count(*) FROM comm_figures WHERE communication_id = {id}
                 AND first_response_s IS NOT NULL"
            )) == 1
    })
    .await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'canned' AND actor = '{ANNA}'
             AND communication_id = {id} AND details = 'key=hello'"
        )),
        1
    );
    // Only one answer reached the customer: the unknown key sent nothing.
    assert_eq!(desk.count_texts(ANN, &expected), 1);
}

#[tokio::test]
async fn a_transfer_from_the_console_refuses_a_busy_colleague_and_hands_over_to_a_free_one() {
    let desk = Desk::start_with(STAFF, "").await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BEN, "ben@example.com").await;
    let id = taken_by(&desk, ANN, ANNA, "My parcel is late").await;
    let other = taken_by(&desk, BEN, BORIS, "Wrong size").await;

    let page = anna.get(&format!("/c/{id}")).await;
    let csrf = page.csrf();
    assert!(page.body.contains("id=\"transfer-to\""), "{}", page.body);
    assert!(
        page.body.contains("value=\"s:502\" disabled>Boris (busy)"),
        "{}",
        page.body
    );
    // Boris is busy: the core refuses, the request stays with Anna.
    let busy = anna
        .post(
            &format!("/c/{id}/transfer"),
            &[("csrf", &csrf), ("to", "s:502")],
        )
        .await;
    assert!(busy.body.contains("notice alert"), "{}", busy.body);
    assert!(busy.body.contains("Boris is busy"), "{}", busy.body);
    assert_eq!(specialist_of(&desk, id), Some(ANNA));
    for junk in ["", "x", "s:abc", "d:1", "s:501"] {
        let refused = anna
            .post(
                &format!("/c/{id}/transfer"),
                &[("csrf", &csrf), ("to", junk)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::OK, "{junk}");
        assert!(
            refused.body.contains("notice alert"),
            "{junk}: {}",
            refused.body
        );
    }
    assert_eq!(specialist_of(&desk, id), Some(ANNA));
    assert_eq!(audit_count(&desk, "transfer", ANNA), 0);

    // Boris closes his: now free, he gets Anna's request, with the notices.
    desk.press(BORIS, BORIS, &format!("c:{other}")).await;
    wait_until("Boris's request closed", PROMPTLY, || {
        specialist_free(&desk, BORIS)
    })
    .await;
    let done = anna
        .post(
            &format!("/c/{id}/transfer"),
            &[("csrf", &csrf), ("to", "s:502")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body.contains("id=\"queue\""),
        "back to the queue: {}",
        done.body
    );
    assert!(
        done.body
            .contains(&format!("Request #{id} transferred to Boris.")),
        "{}",
        done.body
    );
    assert_eq!(specialist_of(&desk, id), Some(BORIS));
    desk.wait_text(
        BORIS,
        &format!("Request #{id} was transferred to you by Anna"),
    )
    .await;
    desk.wait_text(ANN, "Your request is now handled by Boris")
        .await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'transfer' AND actor = '{ANNA}'
             AND communication_id = {id} AND details = 'to=502'"
        )),
        1
    );
    // No longer hers: her page of it is 403.
    assert_eq!(
        anna.get(&format!("/c/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

fn specialist_free(desk: &Desk, who: i64) -> bool {
    desk.app.count(&format!(
        "SELECT count(*) FROM communications WHERE specialist_id = {who} AND status = 'assigned'"
    )) == 0
}

#[tokio::test]
async fn a_transfer_to_a_departments_queue_from_the_console() {
    let desk = Desk::with_departments().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.say(ANN, "Refund please").await;
    desk.wait_text(ANN, "choose the topic").await;
    desk.say(ANN, "1").await;
    desk.wait_text(GROUP, "Refund please").await;
    let id = desk.app.count("SELECT max(id) FROM communications");
    let csrf = anna.get("/").await.csrf();
    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(
        page.body.contains("value=\"d:2\">Queue of Tech"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("value=\"d:1\""),
        "not its own department"
    );
    let done = anna
        .post(
            &format!("/c/{id}/transfer"),
            &[("csrf", &csrf), ("to", "d:2")],
        )
        .await;
    assert!(done.body.contains("id=\"queue\""), "{}", done.body);
    let (status, department): (String, String) = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT status, department FROM communications WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), department.as_str()),
        ("unassigned", "tech")
    );
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'transfer' AND communication_id = {id}
             AND details = 'department=tech'"
        )),
        1
    );
}

#[tokio::test]
async fn a_communications_page_is_live() {
    let desk = Desk::start_with(STAFF, "").await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    let mut boris = signed_in(&desk, BORIS, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "First words").await;
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(
        page.body.contains(&format!("data-live=\"/c/{id}/events\"")),
        "{}",
        page.body
    );
    let mut stream = anna
        .client
        .get(format!("{}/c/{id}/events", anna.base))
        .header("cookie", anna.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "First words").await;
    assert!(seen.contains("event: transcript"), "{seen}");

    let csrf = page.csrf();
    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.say(ANN, "Second words, without a reload").await;
    read_until(&mut stream, &mut seen, "Second words, without a reload").await;

    // Boris may not see Anna's request, live or not.
    assert_eq!(
        boris.get(&format!("/c/{id}/events")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        boris.get("/c/999/events").await.status,
        StatusCode::NOT_FOUND
    );
}
