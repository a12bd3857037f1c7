//! The web console in a real browser (SPEC §8): a headless Chromium (Debian's
//! `chromium` and `chromium-driver`, which `.ci/run` installs) driven with fantoccini
//! against the real service and the fake Bot API. A specialist signs in with the code
//! the bot sent, sees a new request appear in the queue without reloading, opens it,
//! takes it, replies and closes it; the screenshots are the README's pictures.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::json;
use support::app::{PROMPTLY, wait_until};
use support::chrome::Chrome;
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, STAFF, is_text_to};

const ANN: i64 = 4242;

/// Customers with names, so that the screenshots look like a desk's day.
const CUSTOMERS: [(i64, &str, &str, &str); 3] = [
    (
        ANN,
        "Ann",
        "Lee",
        "My order 1187 arrived without the charger",
    ),
    (
        4243,
        "Marco",
        "Rossi",
        "How do I change the delivery address?",
    ),
    (
        4244,
        "Yuki",
        "Tanaka",
        "The invoice for November shows the wrong VAT number",
    ),
];

/// Update ids of their own, far from the ones `Desk` hands out.
static UPDATE: AtomicI64 = AtomicI64::new(1_000_000);

/// A text from `chat` as the person `first last`.
async fn say_as(desk: &Desk, chat: i64, (first, last): (&str, &str), text: &str) {
    let mut update = desk.fake.text_update(chat, text);
    update["update_id"] = json!(UPDATE.fetch_add(1, Ordering::SeqCst));
    update["message"]["from"]["first_name"] = json!(first);
    update["message"]["from"]["last_name"] = json!(last);
    update["message"]["from"]["username"] = json!(first.to_lowercase());
    update["message"]["chat"]["first_name"] = json!(first);
    assert_eq!(desk.app.post(&update).await, 200);
}

/// Onboard the customer and open their request; its id.
async fn customer_asks(desk: &Desk, (chat, first, last, question): (i64, &str, &str, &str)) -> i64 {
    let email = format!("{}@example.com", first.to_lowercase());
    say_as(desk, chat, (first, last), "/start").await;
    desk.wait_text(chat, "email address").await;
    say_as(desk, chat, (first, last), &email).await;
    let code = desk.code_for(&email, 1).await;
    say_as(desk, chat, (first, last), &code).await;
    desk.wait_text(chat, "is confirmed").await;
    say_as(desk, chat, (first, last), question).await;
    let received = desk.wait_text(chat, "is received").await.text().unwrap();
    received
        .split('#')
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .expect("the request's number")
}

/// Sign `staff` in through the pages, as a person would: their id, then the code
/// the bot sent them (their `n`-th).
async fn sign_in(chrome: &Chrome, desk: &Desk, staff: i64, n: usize) {
    chrome
        .goto(&format!("{}/login", desk.app.console_url))
        .await;
    chrome.fill("#who", &staff.to_string()).await;
    chrome
        .click_and_load("form[action='/login'] button[type=submit]")
        .await;
    let code = desk.console_code(staff, n).await;
    chrome.fill("#code", &code).await;
    chrome
        .click_and_load("form[action='/login/code'] button[type=submit]")
        .await;
    assert_eq!(
        chrome.url().await,
        format!("{}/", desk.app.console_url),
        "signed in: the queue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_specialist_signs_in_sees_a_request_arrive_live_replies_and_closes() {
    let desk = Desk::start_with(STAFF, "").await;
    let chrome = Chrome::start().await;

    // A request without a session goes to the sign-in page.
    chrome.goto(&format!("{}/", desk.app.console_url)).await;
    assert!(
        chrome.url().await.ends_with("/login"),
        "{}",
        chrome.url().await
    );

    sign_in(&chrome, &desk, ANNA, 1).await;
    chrome.wait_text("Nobody is waiting.").await;
    // htmx is loaded, and adds no inline <style> (the CSP would refuse it).
    assert_eq!(
        chrome
            .client
            .execute(
                "return [typeof htmx, document.querySelectorAll('style').length]",
                vec![]
            )
            .await
            .unwrap(),
        json!(["object", 0])
    );
    chrome.mark_page().await;

    // A customer writes in Telegram; the open page shows the request by itself.
    let id = customer_asks(&desk, CUSTOMERS[0]).await;
    let row = chrome.element(&format!("#queue tr#c{id}")).await;
    assert!(
        row.text().await.unwrap().contains("waiting"),
        "{}",
        row.text().await.unwrap()
    );
    for customer in &CUSTOMERS[1..] {
        let other = customer_asks(&desk, *customer).await;
        chrome.element(&format!("#queue tr#c{other}")).await;
    }
    assert!(
        chrome.marked().await,
        "the queue was reloaded, not updated in place"
    );
    chrome.screenshot("console-queue.png").await;

    // Open it, take it, reply.
    chrome
        .click_and_load(&format!("#queue tr#c{id} a[href='/c/{id}']"))
        .await;
    chrome
        .wait_text("My order 1187 arrived without the charger")
        .await;
    chrome
        .click_and_load(&format!("form[action='/c/{id}/take'] button"))
        .await;
    chrome.wait_text(&format!("Request #{id} is yours.")).await;
    chrome
        .click_and_load(&format!("#queue tr#c{id} a[href='/c/{id}']"))
        .await;
    chrome.wait_text("With Anna").await;
    let reply = "Sorry about that, Ann: a charger is on its way today.";
    chrome.fill("#text", reply).await;
    chrome
        .click_and_load(&format!("form[action='/c/{id}/reply'] button"))
        .await;
    desk.fake
        .wait_for("the reply to reach the customer", PROMPTLY, |calls| {
            calls
                .iter()
                .any(|c| is_text_to(c, ANN, "charger is on its way"))
        })
        .await;
    chrome.wait_text(reply).await;
    chrome.screenshot("console-communication.png").await;

    // Close it from the page.
    chrome
        .click_and_load(&format!("form[action='/c/{id}/close'] button"))
        .await;
    let files = desk.app.files.clone();
    wait_until("the request to be closed", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM communications WHERE id = {id} AND status = 'closed'"
        )) == 1
    })
    .await;
    chrome
        .goto(&format!("{}/c/{id}", desk.app.console_url))
        .await;
    chrome.wait_text("Closed").await;

    // Ann rates the answer; Boris takes Marco's request in Telegram and answers.
    let survey = desk
        .survey(ANN, id)
        .await
        .message_id()
        .expect("the survey's message id");
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:5")).await;
    desk.wait_answer("Your rating: 5").await;
    let marco = id + 1;
    desk.press(BORIS, GROUP, &format!("t:{marco}")).await;
    desk.wait_answer("is yours").await;
    desk.say(
        BORIS,
        "The address can be changed until the parcel ships: done for you.",
    )
    .await;
    desk.wait_copies(CUSTOMERS[1].0, 1).await;

    // The head of support sees the charts, drawn by the server as SVG.
    let boss = Chrome::start().await;
    sign_in(&boss, &desk, HEAD, 1).await;
    boss.goto(&format!("{}/stats", desk.app.console_url)).await;
    for chart in [
        "stats-requests",
        "stats-first-response",
        "stats-resolution",
        "stats-satisfaction",
    ] {
        boss.element(&format!("svg#{chart}")).await;
    }
    // Today's three requests, and Ann's rating this week.
    assert!(boss.count("svg#stats-requests rect.bar").await >= 1);
    assert!(boss.count("svg#stats-satisfaction rect.bar").await >= 1);
    let table = boss.element("#stats-table").await.text().await.unwrap();
    assert!(table.contains("Anna") && table.contains("Boris"), "{table}");
    boss.screenshot("console-stats.png").await;
}
