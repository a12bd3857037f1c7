//! The specialist's toolbox end to end (SPEC §7): transfer to a colleague or a
//! department's queue, departments, internal notes, canned answers, blocking.

mod support;

use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, NIGHT, STAFF, copied, is_text_to};

const ANN: i64 = 4242;
const BOB: i64 = 4343;

/// Ann's request taken by Anna.
async fn taken_by(desk: &Desk, customer: i64, who: i64, text: &str) -> i64 {
    let id = desk.request(customer, text).await;
    desk.press(who, GROUP, &format!("t:{id}")).await;
    desk.wait_text(who, &format!("Request #{id}")).await;
    id
}

/// Everything the bot sent to `chat` so far, as text.
fn everything_to(desk: &Desk, chat: i64) -> String {
    desk.fake
        .calls()
        .iter()
        .filter(|c| c.chat_id() == Some(chat))
        .map(|c| format!("{} {}", c.method, c.params))
        .collect::<Vec<_>>()
        .join("\n")
}

fn specialist_of(desk: &Desk, id: i64) -> Option<i64> {
    desk.comm_value("specialist_id", id)
}

#[tokio::test]
async fn a_transfer_hands_the_conversation_and_its_notes_to_the_colleague() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = taken_by(&desk, ANN, ANNA, "My invoice is wrong").await;
    desk.say(ANNA, "Let me check").await;
    desk.wait_copies(ANN, 1).await;
    desk.say(ANNA, "/note VIP customer, double-check the VAT")
        .await;
    desk.wait_text(ANNA, &format!("Note on request #{id} saved"))
        .await;

    desk.say(ANNA, "/transfer").await;
    let list = desk
        .wait_text(ANNA, &format!("Transfer request #{id} to"))
        .await;
    assert!(
        list.buttons()
            .contains(&("Boris".to_string(), format!("tt:{id}:{BORIS}"))),
        "{:?}",
        list.buttons()
    );
    desk.press(ANNA, ANNA, &format!("tt:{id}:{BORIS}")).await;
    desk.wait_text(BORIS, "transferred to you by Anna").await;
    desk.wait_text(BORIS, "VIP customer, double-check the VAT")
        .await;
    // The card, then the history: the customer's message and Anna's answer copied.
    let copies = desk.wait_copies(BORIS, 2).await;
    assert_eq!(copies.len(), 2, "{copies:?}");
    desk.wait_text(ANN, "now handled by Boris").await;
    for chat in [GROUP, NIGHT, HEAD] {
        desk.wait_text(chat, "Anna → Boris").await;
    }
    assert_eq!(specialist_of(&desk, id), Some(BORIS));

    // The customer's next message reaches Boris only; Anna's is not relayed.
    let to_anna_before = copied(&desk.fake.calls(), ANNA).len();
    desk.say(ANN, "Thanks, waiting").await;
    desk.wait_copies(BORIS, 3).await;
    desk.say(ANNA, "Still here?").await;
    desk.wait_text(ANNA, "no active request").await;
    desk.drained().await;
    assert_eq!(copied(&desk.fake.calls(), ANNA).len(), to_anna_before);
    assert_eq!(
        copied(&desk.fake.calls(), ANN).len(),
        1,
        "only Anna's first answer"
    );

    // The note never reached the customer, and the transcript marks it as a note.
    assert!(!everything_to(&desk, ANN).contains("VIP"));
    let transcript = desk
        .app
        .files
        .archive_dir
        .join(ANN.to_string())
        .join(id.to_string())
        .join("transcript.txt");
    let what = format!("{} to hold the note", transcript.display());
    wait_until(&what, PROMPTLY, || {
        std::fs::read_to_string(&transcript).is_ok_and(|t| t.contains("VIP customer"))
    })
    .await;
    let text = std::fs::read_to_string(&transcript).unwrap();
    let note = text.lines().find(|l| l.contains("VIP customer")).unwrap();
    assert!(note.contains("note  Anna"), "{note}");

    // The transfer is counted in the figures (SPEC §6.1), as exported.
    let csv = desk.export("communications", "csv", &[]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "transfers").unwrap();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        (row[0], row[column]),
        (id.to_string().as_str(), "1"),
        "{csv}"
    );
}

#[tokio::test]
async fn a_transfer_to_a_busy_colleague_is_refused_and_nothing_changes() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BOB, "bob@example.com").await;
    let first = taken_by(&desk, ANN, ANNA, "first").await;
    let second = taken_by(&desk, BOB, BORIS, "second").await;
    desk.press(ANNA, ANNA, &format!("tt:{first}:{BORIS}")).await;
    desk.wait_answer("Boris is busy").await;
    desk.drained().await;
    assert_eq!(specialist_of(&desk, first), Some(ANNA));
    assert_eq!(specialist_of(&desk, second), Some(BORIS));
    assert_eq!(desk.count_texts(ANN, "now handled by"), 0);
    // The list marks him busy.
    desk.say(ANNA, "/transfer").await;
    let list = desk.wait_text(ANNA, "Transfer request").await;
    assert_eq!(list.buttons()[0].0, "Boris (busy)");
}

#[tokio::test]
async fn concurrent_transfers_and_takes_keep_every_invariant() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BOB, "bob@example.com").await;
    let held = taken_by(&desk, ANN, ANNA, "held by Anna").await;
    let queued = desk.request(BOB, "in the queue").await;
    // Anna hands hers to Boris while Boris (and Anna) grab the queued one.
    let mut updates = Vec::new();
    for i in 0..10 {
        updates.push(match i % 3 {
            0 => desk.press_update(ANNA, ANNA, &format!("tt:{held}:{BORIS}")),
            1 => desk.press_update(BORIS, GROUP, &format!("t:{queued}")),
            _ => desk.press_update(ANNA, GROUP, &format!("t:{queued}")),
        });
    }
    desk.post_concurrently(updates).await;
    desk.drained().await;
    let files = &desk.app.files;
    // One active communication per specialist; assigned ⇔ a specialist.
    assert_eq!(
        files.count(
            "SELECT count(*) FROM (SELECT specialist_id FROM communications
             WHERE status = 'assigned' GROUP BY specialist_id HAVING count(*) > 1)"
        ),
        0
    );
    assert_eq!(
        files.count(
            "SELECT count(*) FROM communications WHERE
             (status = 'assigned') <> (specialist_id IS NOT NULL)"
        ),
        0
    );
    // Boris won one of the two: Anna's request by transfer (and Anna, free again,
    // may have taken the queued one), or the queued one by Take (and Anna kept hers).
    let (a, b) = (specialist_of(&desk, held), specialist_of(&desk, queued));
    assert!(
        matches!(
            (a, b),
            (Some(BORIS), None) | (Some(BORIS), Some(ANNA)) | (Some(ANNA), Some(BORIS))
        ),
        "{a:?} {b:?}"
    );
    // Each open assignment row matches its communication.
    assert_eq!(
        files.count(
            "SELECT count(*) FROM assignments a JOIN communications c ON c.id = a.communication_id
             WHERE a.released_at IS NULL AND (c.status <> 'assigned' OR c.specialist_id <> a.specialist_id)"
        ),
        0
    );
}

/// Wait for the department question to `customer`; its buttons.
async fn department_question(desk: &Desk, customer: i64, nth: usize) -> Vec<(String, String)> {
    let calls = desk
        .fake
        .wait_for("the department question", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| is_text_to(c, customer, "choose the topic"))
                .count()
                >= nth
        })
        .await;
    calls
        .iter()
        .filter(|c| is_text_to(c, customer, "choose the topic"))
        .nth(nth - 1)
        .unwrap()
        .buttons()
}

fn request_of(desk: &Desk, customer: i64) -> i64 {
    desk.app
        .files
        .db()
        .query_row(
            "SELECT id FROM communications WHERE customer_id = ?1 AND status <> 'closed'",
            [customer],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn a_customer_picks_a_department_and_only_it_hears_of_the_request() {
    let desk = Desk::with_departments().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.say(ANN, "My server is down").await;
    let buttons = department_question(&desk, ANN, 1).await;
    let id = request_of(&desk, ANN);
    assert_eq!(
        buttons,
        [
            ("1. Billing".to_string(), format!("dp:{id}:1")),
            ("2. Tech".to_string(), format!("dp:{id}:2"))
        ]
    );
    desk.drained().await;
    assert_eq!(desk.count_texts(GROUP, "My server is down"), 0);
    assert_eq!(desk.count_texts(NIGHT, "My server is down"), 0);
    desk.press(ANN, ANN, &format!("dp:{id}:2")).await;
    let announcement = desk.wait_text(NIGHT, "My server is down").await;
    assert!(announcement.text().unwrap().contains("Tech"));
    desk.wait_text(HEAD, "My server is down").await;
    desk.wait_text(ANN, "is received").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(GROUP, "My server is down"), 0);

    // Anna (billing) is refused; Boris (tech) takes it.
    desk.press(ANNA, NIGHT, &format!("t:{id}")).await;
    desk.wait_answer("Tech department").await;
    assert_eq!(specialist_of(&desk, id), None);
    desk.press(BORIS, NIGHT, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;

    // Typing the number works the same.
    desk.onboard(BOB, "bob@example.com").await;
    desk.say(BOB, "Wrong invoice").await;
    department_question(&desk, BOB, 1).await;
    desk.say(BOB, "1").await;
    desk.wait_text(GROUP, "Wrong invoice").await;
    desk.wait_text(BOB, "is received").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(NIGHT, "Wrong invoice"), 0);
    let bobs = request_of(&desk, BOB);
    assert_eq!(desk.comm_value::<String>("department", bobs), "billing");

    // A controller's /stats has each department: its people's figures and its queue.
    desk.say(HEAD, "/stats").await;
    let stats = desk.wait_text(HEAD, "By department").await.text().unwrap();
    let line = |name: &str| {
        stats
            .lines()
            .find(|l| l.contains(name) && l.contains("queue"))
            .unwrap_or_else(|| panic!("no line for {name} in {stats}"))
            .to_string()
    };
    assert!(line("Billing").contains("queue 1,"), "{stats}");
    assert!(
        line("Tech").contains("taken 1") && line("Tech").contains("queue 0,"),
        "{stats}"
    );
}

#[tokio::test]
async fn a_transfer_to_another_departments_queue_announces_it_there_only() {
    let desk = Desk::with_departments().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.say(ANN, "Refund please").await;
    let id = {
        department_question(&desk, ANN, 1).await;
        request_of(&desk, ANN)
    };
    desk.say(ANN, "2").await;
    desk.wait_text(NIGHT, "Refund please").await;
    desk.press(BORIS, NIGHT, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(BORIS, "/transfer").await;
    let list = desk.wait_text(BORIS, "Transfer request").await;
    assert!(
        list.buttons()
            .contains(&("To the queue: Billing".to_string(), format!("tq:{id}:1"))),
        "{:?}",
        list.buttons()
    );
    let night_before = desk.count_texts(NIGHT, "Refund please");
    desk.press(BORIS, BORIS, &format!("tq:{id}:1")).await;
    let announcement = desk.wait_text(GROUP, "Refund please").await;
    assert!(
        announcement
            .buttons()
            .contains(&("Take".to_string(), format!("t:{id}"))),
        "{:?}",
        announcement.buttons()
    );
    desk.wait_text(ANN, "passed to the Billing team").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(NIGHT, "Refund please"), night_before);
    // Boris is outside billing now: refused; Anna takes it.
    desk.press(BORIS, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("Billing department").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    assert_eq!(specialist_of(&desk, id), Some(ANNA));
}

const CANNED: &str = r#"
[[canned]]
key = "hello"
title = "Greeting"
text = "Hello, {customer}! My name is {specialist}, I am looking at request #{request}."
"#;

#[tokio::test]
async fn a_canned_answer_reaches_the_customer_as_the_specialists_message() {
    let desk = Desk::start_with(&format!("{STAFF}\n{CANNED}"), "").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = taken_by(&desk, ANN, ANNA, "Hi there").await;
    desk.say(ANNA, "/c nope").await;
    let list = desk.wait_text(ANNA, "no canned answer").await;
    assert_eq!(
        list.buttons(),
        [("Greeting · hello".to_string(), "cn:hello".to_string())]
    );
    desk.say(ANNA, "/c hello").await;
    // The fake Bot API's users are all called Test.
    let expected = format!("Hello, Test! My name is Anna, I am looking at request #{id}.");
    desk.wait_text(ANN, &expected).await;
    desk.wait_text(ANNA, "Canned answer “hello” sent").await;
    // Logged and counted as the specialist's message, archived.
    let files = &desk.app.files;
    wait_until("the first response to be recorded", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM comm_figures WHERE communication_id = {id}
             AND specialist_messages = 1 AND first_response_s IS NOT NULL"
        )) == 1
    })
    .await;
    let transcript = files
        .archive_dir
        .join(ANN.to_string())
        .join(id.to_string())
        .join("transcript.txt");
    wait_until("the transcript to hold the answer", PROMPTLY, || {
        std::fs::read_to_string(&transcript).is_ok_and(|t| t.contains(&expected))
    })
    .await;
    let text = std::fs::read_to_string(&transcript).unwrap();
    let line = text.lines().find(|l| l.contains(&expected)).unwrap();
    assert!(line.contains("specialist  Anna"), "{line}");
}

#[tokio::test]
async fn a_blocked_customer_is_kept_but_not_heard_until_unblocked() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = taken_by(&desk, ANN, ANNA, "Buy cheap watches").await;
    desk.say(ANNA, "/block").await;
    desk.wait_text(ANNA, &format!("Customer <code>{ANN}</code> is blocked"))
        .await;
    desk.wait_text(ANN, "You have been blocked").await;
    desk.drained().await;
    let files = &desk.app.files;
    assert_eq!(desk.comm_value::<String>("close_reason", id), "blocked");
    assert_eq!(
        files.count("SELECT count(*) FROM surveys"),
        0,
        "no survey after a block"
    );
    let calls_before = desk.fake.calls().len();
    for i in 0..10 {
        desk.say(ANN, &format!("spam {i}")).await;
    }
    wait_until("ten blocked messages to be stored", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM blocked_messages WHERE customer_id = {ANN}"
        )) == 10
    })
    .await;
    let blocked = files
        .archive_dir
        .join(ANN.to_string())
        .join("blocked")
        .join("transcript.txt");
    wait_until("the blocked messages to be archived", PROMPTLY, || {
        std::fs::read_to_string(&blocked).is_ok_and(|t| t.lines().count() == 10)
    })
    .await;
    desk.drained().await;
    let after: Vec<_> = desk.fake.calls().into_iter().skip(calls_before).collect();
    assert!(
        after
            .iter()
            .all(|c| !c.is("sendMessage") && !c.is("copyMessage")),
        "nothing announced, relayed or told again: {after:?}"
    );
    assert_eq!(desk.count_texts(ANN, "You have been blocked"), 1);
    assert_eq!(
        files.count("SELECT count(*) FROM communications WHERE status <> 'closed'"),
        0
    );
    // /users shows the state.
    desk.say(BORIS, "/users").await;
    desk.wait_text(BORIS, ", blocked").await;

    // A specialist cannot unblock; a controller can, and Ann is heard again.
    desk.say(ANNA, &format!("/unblock {ANN}")).await;
    desk.wait_text(ANNA, "Only controllers").await;
    desk.say(HEAD, &format!("/unblock {ANN}")).await;
    desk.wait_text(HEAD, &format!("Customer <code>{ANN}</code> is unblocked"))
        .await;
    let next = desk.request(ANN, "Sorry, a real question").await;
    assert!(next > id);
    desk.wait_text(GROUP, "Sorry, a real question").await;

    // A controller blocks by id, too.
    desk.say(HEAD, &format!("/block {ANN}")).await;
    desk.wait_text(HEAD, &format!("Customer <code>{ANN}</code> is blocked"))
        .await;
    wait_until("the request to be closed by the block", PROMPTLY, || {
        files.count(&format!(
            "SELECT count(*) FROM communications WHERE id = {next} AND close_reason = 'blocked'"
        )) == 1
    })
    .await;
}
