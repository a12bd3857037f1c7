//! Telegram in the wild end to end (SPEC §10): a service group upgraded to a
//! supergroup, the bot removed from a group, a customer who blocks the bot, a
//! specialist who never started it, a message the Bot API will not copy.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};
use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, NIGHT, copied, sticker};
use support::fake_bot::{Action, Call, Rule, update_group_migrated, update_my_chat_member};

const ANN: i64 = 4242;
/// The supergroup the Support group became.
const SUPER: i64 = -1_007_770_001;

/// Update ids of the updates these tests build themselves.
static NEXT: AtomicI64 = AtomicI64::new(500_000);

fn next_id() -> i64 {
    NEXT.fetch_add(1, Ordering::SeqCst)
}

async fn post(desk: &Desk, update: &Value) {
    assert_eq!(desk.app.post(update).await, 200, "posting {update}");
}

/// Every call to `chat`, answered or refused.
fn calls_to(desk: &Desk, chat: i64) -> Vec<Call> {
    desk.fake
        .calls()
        .into_iter()
        .filter(|c| c.chat_id() == Some(chat))
        .collect()
}

/// The announcement of request `id` delivered to `chat` (with its Take button).
async fn announced(desk: &Desk, chat: i64, id: i64) -> Call {
    let call = desk.wait_text(chat, &format!("Request #{id}")).await;
    assert!(
        call.buttons()
            .iter()
            .any(|(_, data)| *data == format!("t:{id}")),
        "{:?}",
        call.buttons()
    );
    call
}

/// Ann's request, taken by `who`.
async fn taken_by(desk: &Desk, customer: i64, who: i64, text: &str) -> i64 {
    let id = desk.request(customer, text).await;
    desk.press(who, GROUP, &format!("t:{id}")).await;
    desk.wait_text(who, &format!("Request #{id}")).await;
    id
}

fn moves(desk: &Desk) -> i64 {
    desk.app.count(&format!(
        "SELECT count(*) FROM chat_moves WHERE old_chat = {GROUP} AND new_chat = {SUPER}"
    ))
}

#[tokio::test]
async fn a_group_upgraded_under_way_gets_the_refused_call_and_every_later_one() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    // Telegram refuses every call to the old id from now on.
    desk.fake
        .push_rule(Rule::new(Action::MigrateToChat(SUPER)).chat(GROUP));
    let first = desk.request(ANN, "My invoice is wrong").await;
    // The refused announcement went to the new id, Take button and all.
    announced(&desk, SUPER, first).await;
    assert_eq!(moves(&desk), 1);
    // The controller is told which entry of the configuration to change.
    let told = desk.wait_text(HEAD, "became the supergroup").await;
    let text = told.text().unwrap();
    assert!(text.contains(&SUPER.to_string()), "{text}");
    assert!(text.contains("service_groups[0].chat_id"), "{text}");
    // The other group is not concerned.
    announced(&desk, NIGHT, first).await;

    // A Take from the new group is a Take from that group: the notice goes there.
    desk.press(ANNA, SUPER, &format!("t:{first}")).await;
    desk.wait_text(ANNA, &format!("Request #{first}")).await;
    desk.wait_text(SUPER, &format!("Request #{first} was taken by Anna"))
        .await;
    desk.drained().await;

    // Later messages go to the new id directly.
    let to_old = calls_to(&desk, GROUP).len();
    desk.onboard(4343, "bob@example.com").await;
    let second = desk.request(4343, "And mine").await;
    announced(&desk, SUPER, second).await;
    desk.drained().await;
    assert_eq!(calls_to(&desk, GROUP).len(), to_old, "{}", desk.fake.dump());
    // Told once.
    assert_eq!(desk.count_texts(HEAD, "became the supergroup"), 1);

    // Also after a restart: the move is kept in the database.
    let Desk {
        fake, sink, app, ..
    } = desk;
    let app = app.restart().await;
    let desk = Desk::resume(fake, sink, app);
    desk.onboard(4444, "cid@example.com").await;
    let third = desk.request(4444, "Third one").await;
    announced(&desk, SUPER, third).await;
    desk.drained().await;
    assert_eq!(calls_to(&desk, GROUP).len(), to_old);
    assert_eq!(desk.count_texts(HEAD, "became the supergroup"), 1);
}

#[tokio::test]
async fn a_group_upgraded_is_followed_from_its_service_messages() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.drained().await;
    let to_old = calls_to(&desk, GROUP).len();
    // Telegram reports the move in both groups; the second report changes nothing.
    post(
        &desk,
        &update_group_migrated(next_id(), GROUP, SUPER, false),
    )
    .await;
    post(&desk, &update_group_migrated(next_id(), GROUP, SUPER, true)).await;
    let told = desk.wait_text(HEAD, "became the supergroup").await;
    assert!(told.text().unwrap().contains("service_groups[0].chat_id"));
    assert_eq!(moves(&desk), 1);

    let id = desk.request(ANN, "Hello").await;
    announced(&desk, SUPER, id).await;
    announced(&desk, NIGHT, id).await;
    desk.drained().await;
    assert_eq!(calls_to(&desk, GROUP).len(), to_old, "{}", desk.fake.dump());
    assert_eq!(desk.count_texts(HEAD, "became the supergroup"), 1);

    // A move of a chat the desk does not know is nobody's business.
    post(
        &desk,
        &update_group_migrated(next_id(), -4711, -1_004_711, false),
    )
    .await;
    desk.drained().await;
    assert_eq!(desk.app.count("SELECT count(*) FROM chat_moves"), 1);
    assert_eq!(desk.count_texts(HEAD, "became the supergroup"), 1);
}

#[tokio::test]
async fn the_bot_removed_from_a_service_group_alerts_the_controllers_and_so_does_its_return() {
    let desk = Desk::start().await;
    post(
        &desk,
        &update_my_chat_member(next_id(), GROUP, "member", "left"),
    )
    .await;
    let alert = desk
        .wait_text(HEAD, "was removed from the service group")
        .await;
    assert!(alert.text().unwrap().contains(&GROUP.to_string()));
    post(
        &desk,
        &update_my_chat_member(next_id(), GROUP, "left", "member"),
    )
    .await;
    desk.wait_text(HEAD, "is back in the service group").await;
    // Kicked counts as removed; a promotion is no news.
    post(
        &desk,
        &update_my_chat_member(next_id(), NIGHT, "administrator", "kicked"),
    )
    .await;
    desk.wait_text(HEAD, &format!("service group <code>{NIGHT}</code>"))
        .await;
    post(
        &desk,
        &update_my_chat_member(next_id(), GROUP, "member", "administrator"),
    )
    .await;
    // A chat the desk does not know: nothing, and no failure.
    post(
        &desk,
        &update_my_chat_member(next_id(), -999, "member", "left"),
    )
    .await;
    desk.drained().await;
    assert_eq!(desk.count_texts(HEAD, "removed from the service group"), 2);
    assert_eq!(desk.count_texts(HEAD, "is back in the service group"), 1);
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM updates WHERE outcome = 'failed'"),
        0
    );
}

fn blocked(desk: &Desk, customer: i64) -> bool {
    desk.app.count(&format!(
        "SELECT count(*) FROM customers WHERE id = {customer} AND blocked_at IS NOT NULL"
    )) == 1
}

#[tokio::test]
async fn a_customer_who_blocks_the_bot_is_marked_their_specialist_told_once_and_nothing_sent() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let _id = taken_by(&desk, ANN, ANNA, "Help please").await;
    desk.drained().await;

    post(
        &desk,
        &update_my_chat_member(next_id(), ANN, "member", "kicked"),
    )
    .await;
    desk.wait_text(ANNA, "the customer has blocked the bot")
        .await;
    assert!(blocked(&desk, ANN));
    desk.drained().await;
    let to_ann = calls_to(&desk, ANN).len();
    desk.say(ANNA, "Are you there?").await;
    desk.say(ANNA, "Hello?").await;
    desk.drained().await;
    assert_eq!(calls_to(&desk, ANN).len(), to_ann, "{}", desk.fake.dump());
    assert_eq!(desk.count_texts(ANNA, "blocked the bot"), 1);

    // Unblocked: cleared, the specialist told, messages reach the customer again.
    post(
        &desk,
        &update_my_chat_member(next_id(), ANN, "kicked", "member"),
    )
    .await;
    desk.wait_text(ANNA, "unblocked the bot").await;
    assert!(!blocked(&desk, ANN));
    desk.say(ANNA, "Welcome back").await;
    desk.wait_copies(ANN, 1).await;
}

#[tokio::test]
async fn a_send_refused_as_blocked_marks_the_customer_and_stops_the_sends() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let _id = taken_by(&desk, ANN, ANNA, "Help please").await;
    desk.drained().await;
    desk.fake.push_rule(
        Rule::new(Action::Forbidden(
            "Forbidden: bot was blocked by the user".into(),
        ))
        .chat(ANN),
    );
    desk.say(ANNA, "Here is the answer").await;
    desk.wait_text(ANNA, "the customer has blocked the bot")
        .await;
    assert!(blocked(&desk, ANN));
    desk.drained().await;
    let to_ann = calls_to(&desk, ANN).len();
    desk.say(ANNA, "Still there?").await;
    desk.drained().await;
    assert_eq!(calls_to(&desk, ANN).len(), to_ann, "{}", desk.fake.dump());
    assert_eq!(desk.count_texts(ANNA, "blocked the bot"), 1);
    // Refused calls are not retried.
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM outbox WHERE status = 'failed' AND attempts > 1"),
        0
    );

    // Their next message clears the mark.
    desk.fake.clear_rules();
    desk.say(ANN, "Sorry, I'm back").await;
    desk.wait_copies(ANNA, 2).await;
    wait_until("the mark to be cleared", PROMPTLY, || !blocked(&desk, ANN)).await;
}

#[tokio::test]
async fn a_take_by_a_specialist_who_never_started_the_bot_is_undone() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.fake.push_rule(
        Rule::new(Action::Forbidden(
            "Forbidden: bot can't initiate conversation with a user".into(),
        ))
        .chat(BORIS),
    );
    let id = desk.request(ANN, "Who can help?").await;
    desk.press(BORIS, GROUP, &format!("t:{id}")).await;
    // The group and the controller learn why, and the request is back in the queue.
    for chat in [GROUP, NIGHT, HEAD] {
        desk.wait_text(chat, "write /start to the bot first").await;
    }
    wait_until("the Take to be undone", PROMPTLY, || {
        desk.app.count(&format!(
            "SELECT count(*) FROM communications WHERE id = {id} AND status = 'unassigned' AND specialist_id IS NULL"
        )) == 1
    })
    .await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'release' AND actor = 'system'
             AND communication_id = {id} AND details LIKE '%reason=unreachable%'"
        )),
        1
    );
    desk.wait_text(ANN, "is back in the queue").await;
    // Announced again with its Take button, which another specialist can press.
    wait_until("a new announcement", PROMPTLY, || {
        desk.fake
            .calls()
            .iter()
            .filter(|c| {
                c.ok && c.chat_id() == Some(GROUP)
                    && c.buttons().iter().any(|(_, d)| *d == format!("t:{id}"))
            })
            .count()
            >= 2
    })
    .await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.wait_text(GROUP, &format!("Request #{id} was taken by Anna"))
        .await;
    desk.drained().await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM communications WHERE specialist_id = {ANNA} AND status = 'assigned'"
        )),
        1
    );
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM communications WHERE specialist_id = {BORIS}"
        )),
        0
    );
    // Anna talks to the customer as usual.
    desk.say(ANNA, "I can").await;
    desk.wait_copies(ANN, 1).await;
}

#[tokio::test]
async fn a_message_the_bot_api_will_not_copy_becomes_a_notice_naming_its_kind() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let _id = taken_by(&desk, ANN, ANNA, "Look at this").await;
    desk.drained().await;
    let copies_before = copied(&desk.fake.calls(), ANNA).len();

    // A kind the relay knows cannot be copied: not even tried.
    desk.send(
        ANN,
        json!({"paid_media": {"star_count": 5, "paid_media": [{"type": "preview"}]}}),
    )
    .await;
    desk.wait_text(
        ANNA,
        "The customer sent a message (💰 paid media) that can't be forwarded",
    )
    .await;

    // A copy refused by Telegram: the notice names what it was.
    desk.fake.push_rule(
        Rule::new(Action::BadRequest(
            "Bad Request: message can't be copied".into(),
        ))
        .method("copyMessage")
        .chat(ANNA)
        .times(1),
    );
    desk.send(ANN, sticker("stk-1")).await;
    desk.wait_text(
        ANNA,
        "The customer sent a message (🏷 sticker) that can't be forwarded",
    )
    .await;
    desk.drained().await;
    assert_eq!(copied(&desk.fake.calls(), ANNA).len(), copies_before);

    // The other way round: the customer is told, the specialist learns why.
    desk.send(ANNA, json!({"invoice": {"title": "T", "description": "D", "start_parameter": "s", "currency": "XTR", "total_amount": 1}}))
        .await;
    desk.wait_text(
        ANN,
        "The specialist sent a message (🧾 invoice) that can't be forwarded",
    )
    .await;
}

#[tokio::test]
async fn an_edit_of_a_card_left_in_the_old_group_fails_once_and_is_not_repeated() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "First words").await;
    announced(&desk, GROUP, id).await;
    desk.drained().await;
    desk.fake
        .push_rule(Rule::new(Action::MigrateToChat(SUPER)).chat(GROUP));
    // The customer writes more: the card in the old group would be edited.
    desk.say(ANN, "More words").await;
    desk.wait_text(HEAD, "became the supergroup").await;
    desk.drained().await;
    let edits = |chat| {
        desk.fake
            .calls_of("editMessageText")
            .iter()
            .filter(|c| c.chat_id() == Some(chat))
            .count()
    };
    assert_eq!(edits(GROUP), 1, "{}", desk.fake.dump());
    // Not sent to the new chat either: it does not have that message.
    assert_eq!(edits(SUPER), 0);
    assert_eq!(moves(&desk), 1);
    // The card's Take button still works, pressed wherever the message now is.
    desk.press(ANNA, SUPER, &format!("t:{id}")).await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.wait_text(SUPER, &format!("Request #{id} was taken by Anna"))
        .await;
    // The dead card is edited no more.
    desk.drained().await;
    assert_eq!(edits(GROUP), 1, "{}", desk.fake.dump());
}
