//! The service menus and commands, for each role.

mod support;

use std::collections::BTreeSet;

use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD};

const ANN: i64 = 4242;
const BOB: i64 = 4343;

#[tokio::test]
async fn command_lists_are_registered_per_role() {
    let desk = Desk::start().await;
    let calls = desk
        .fake
        .wait_for("the command lists", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| c.is("setMyCommands") && c.ok)
                .count()
                == 5
        })
        .await;
    let lists: Vec<_> = calls.iter().filter(|c| c.is("setMyCommands")).collect();
    let scope = |c: &&support::fake_bot::Call| c.params["scope"].clone();
    let names = |c: &&support::fake_bot::Call| -> Vec<String> {
        c.params["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["command"].as_str().unwrap().to_string())
            .collect()
    };
    let default = lists
        .iter()
        .find(|c| scope(c)["type"] == "default" && c.params.get("language_code").is_none())
        .unwrap();
    assert_eq!(names(default), ["start", "service"]);
    // Customers are answered in their language (`texts.per_customer`): those whose
    // Telegram speaks Russian get the menu in Russian on this English desk.
    let russian = lists
        .iter()
        .find(|c| scope(c)["type"] == "default" && c.params["language_code"] == "ru")
        .expect("the customers' menu in Russian");
    assert_eq!(names(russian), ["start", "service"]);
    assert_ne!(
        russian.params["commands"][0]["description"],
        default.params["commands"][0]["description"]
    );
    for specialist in [ANNA, BORIS] {
        let l = lists
            .iter()
            .find(|c| scope(c)["chat_id"] == specialist)
            .unwrap();
        assert_eq!(
            names(l),
            [
                "service",
                "current",
                "close",
                "release",
                "unassigned",
                "users",
                "history",
                "stats",
                "transfer",
                "note",
                "c",
                "block"
            ]
        );
    }
    let head = lists.iter().find(|c| scope(c)["chat_id"] == HEAD).unwrap();
    assert_eq!(names(head), ["start", "stats", "block", "unblock"]);
    // Unchanged roles: nothing is sent again after a restart.
    let Desk {
        fake, sink, app, ..
    } = desk;
    let app = app.restart().await;
    let desk = Desk::resume(fake, sink, app);
    desk.say(ANNA, "/start").await;
    desk.wait_text(ANNA, "Hello, Anna").await;
    assert_eq!(desk.fake.calls_of("setMyCommands").len(), 5);
}

#[tokio::test]
async fn specialists_get_the_menu_and_customers_learn_nothing() {
    let desk = Desk::start().await;
    desk.say(ANNA, "/service").await;
    let menu = desk.wait_text(ANNA, "Specialist menu").await;
    let data: Vec<String> = menu.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(
        data,
        [
            "m:cur", "m:una", "m:rel", "m:cls", "u:0", "h:0", "m:trf", "m:can"
        ]
    );
    desk.onboard(ANN, "ann@example.com").await;
    for command in ["/users", "/history", "/unassigned", "/close", "/current"] {
        desk.say(ANN, command).await;
    }
    wait_until("five refusals", PROMPTLY, || {
        desk.count_texts(ANN, "I do not know this command") == 5
    })
    .await;
    desk.press(ANN, ANN, "u:0").await;
    desk.wait_answer("Only support specialists").await;
    desk.drained().await;
    assert!(
        !desk
            .fake
            .texts_to(ANN)
            .iter()
            .any(|t| t.contains("Customers") || t.contains("id <code>")),
        "a customer saw a list"
    );
}

#[tokio::test]
async fn current_release_close_and_the_queue() {
    let desk = Desk::start().await;
    desk.press(ANNA, ANNA, "m:cur").await;
    desk.wait_text(ANNA, "no active request").await;
    desk.say(ANNA, "/unassigned").await;
    desk.wait_text(ANNA, "The queue is empty").await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BOB, "bob@example.com").await;
    let first = desk.request(ANN, "first in line").await;
    let second = desk.request(BOB, "second in line").await;
    desk.press(ANNA, ANNA, "m:una").await;
    let a = desk.wait_text(ANNA, "first in line").await;
    let b = desk.wait_text(ANNA, "second in line").await;
    assert!(a.message_id() < b.message_id(), "oldest first");
    assert!(a.text().unwrap().contains("waiting 0 min"));
    assert_eq!(a.buttons()[0].1, format!("t:{first}"));
    assert_eq!(b.buttons()[0].1, format!("t:{second}"));
    // Take from the list, then the menu's current / release / close.
    desk.press(ANNA, ANNA, &format!("t:{first}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "/current").await;
    let card = desk
        .fake
        .wait_for("the card twice", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| support::desk::is_text_to(c, ANNA, &format!("Request #{first}")))
                .count()
                == 2
        })
        .await;
    let last = card
        .iter()
        .rev()
        .find(|c| support::desk::is_text_to(c, ANNA, "Request #"))
        .unwrap();
    assert_eq!(last.buttons()[0].1, format!("r:{first}"));
    desk.press(ANNA, ANNA, "m:rel").await;
    desk.wait_text(ANNA, "is back in the queue").await;
    desk.press(BORIS, GROUP, &format!("t:{second}")).await;
    desk.wait_answer("is yours").await;
    desk.press(BORIS, BORIS, "m:cls").await;
    desk.wait_text(BOB, "is closed").await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM communications WHERE status = 'closed'"),
        1
    );
}

#[tokio::test]
async fn users_are_paginated_and_each_appears_exactly_once() {
    let desk = Desk::start().await;
    {
        let db = desk.app.files.db();
        for i in 0..250i64 {
            db.execute(
                "INSERT INTO customers (id, first_name, state, created_at, updated_at) VALUES (?1, ?2, 'verified', 0, 0)",
                rusqlite::params![10_000 + i * 7, format!("Customer {i}")],
            )
            .unwrap();
        }
    }
    desk.say(ANNA, "/users").await;
    let mut page = desk.wait_text(ANNA, "Customers").await;
    let mut seen: Vec<i64> = Vec::new();
    let ids_in = |text: &str| -> Vec<i64> {
        text.split("id <code>")
            .skip(1)
            .map(|s| s.split('<').next().unwrap().parse().unwrap())
            .collect()
    };
    let message_id = page.message_id().unwrap();
    let mut pages = 1;
    loop {
        seen.extend(ids_in(&page.text().unwrap()));
        let Some((_, next)) = page
            .buttons()
            .into_iter()
            .find(|(label, _)| label.contains("Next"))
        else {
            break;
        };
        let before = desk.fake.calls_of("editMessageText").len();
        desk.press_on(ANNA, ANNA, message_id, &next).await;
        let edits = desk
            .fake
            .wait_for("the next page", PROMPTLY, |calls| {
                calls
                    .iter()
                    .filter(|c| c.is("editMessageText") && c.ok)
                    .count()
                    > before
            })
            .await;
        page = edits
            .into_iter()
            .rfind(|c| c.is("editMessageText") && c.ok)
            .unwrap();
        assert_eq!(
            page.message_id(),
            Some(message_id),
            "the list turns in place"
        );
        pages += 1;
    }
    assert_eq!(pages, 13);
    assert_eq!(seen.len(), 250);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), 250, "every customer exactly once");
    // Back one page from the last.
    let (_, prev) = page
        .buttons()
        .into_iter()
        .find(|(l, _)| l.contains("Prev"))
        .unwrap();
    desk.press_on(ANNA, ANNA, message_id, &prev).await;
    let back = desk
        .fake
        .wait_for("the previous page", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| c.is("editMessageText") && c.ok)
                .count()
                == 13
        })
        .await;
    let back = back.into_iter().rfind(|c| c.is("editMessageText")).unwrap();
    assert_eq!(ids_in(&back.text().unwrap()), seen[220..240].to_vec());
    // A page that no longer exists.
    desk.press_on(ANNA, ANNA, message_id, "U:10000").await;
    desk.wait_answer("no longer exists").await;
}

#[tokio::test]
async fn history_shows_the_open_communication_and_the_archive() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let first = desk.request(ANN, "the first problem").await;
    desk.press(ANNA, GROUP, &format!("t:{first}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "/close").await;
    desk.wait_text(ANN, "is closed").await;
    // No open communication: buttons for the archive.
    desk.say(BORIS, "/history").await;
    let picker = desk.wait_text(BORIS, "pick a customer").await;
    assert_eq!(picker.buttons()[0].1, format!("hc:{ANN}"));
    desk.press(BORIS, BORIS, &format!("hc:{ANN}")).await;
    let card = desk.wait_text(BORIS, "archived: 1").await;
    let data: Vec<String> = card.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, [format!("hl:{ANN}"), format!("ha:{ANN}:0")]);
    desk.press(BORIS, BORIS, &format!("hl:{ANN}")).await;
    let shown = desk
        .wait_text(BORIS, &format!("Communication #{first}"))
        .await;
    assert!(shown.text().unwrap().contains("the first problem"));
    assert!(
        shown.params.get("parse_mode").is_none(),
        "transcripts are plain text"
    );
    desk.press(BORIS, BORIS, &format!("ha:{ANN}:0")).await;
    let list = desk.wait_text(BORIS, "pick a request").await;
    assert_eq!(list.buttons()[0].1, format!("as:{first}"));
    // With an open communication: its history, and a button for earlier ones.
    let second = desk.request(ANN, "a second problem").await;
    desk.press(BORIS, BORIS, &format!("hc:{ANN}")).await;
    let open = desk
        .wait_text(BORIS, &format!("Communication #{second}"))
        .await;
    assert!(
        open.text().unwrap().contains("a second problem"),
        "{}",
        open.text().unwrap()
    );
    assert_eq!(open.buttons()[0].1, format!("ha:{ANN}:0"));
    // Forged or stale archive buttons.
    desk.press(BORIS, BORIS, "as:999").await;
    desk.wait_answer("There is no such request").await;
    desk.press(BORIS, BORIS, "az:999").await;
    wait_until("two refusals", PROMPTLY, || {
        desk.fake
            .calls_of("answerCallbackQuery")
            .iter()
            .filter(|c| {
                c.str_param("text")
                    .is_some_and(|t| t.contains("no such request"))
            })
            .count()
            == 2
    })
    .await;
    assert_eq!(desk.app.count("SELECT count(*) FROM zip_requests"), 0);
}
