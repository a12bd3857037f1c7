//! The conversation lifecycle end to end: HTTPS webhook in, fake Bot API and SMTP
//! sink out, the real SQLite file in between.

mod support;

use serde_json::json;
use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, NIGHT, STAFF, document, photo, sticker};
use support::fake_bot::{Action, Rule};

const ANN: i64 = 4242;

#[tokio::test]
async fn full_happy_path() {
    let desk = Desk::start().await;
    // Onboarding.
    desk.onboard(ANN, "ann@example.com").await;
    for watcher in [GROUP, NIGHT, HEAD] {
        desk.wait_text(watcher, "New customer verified").await;
    }
    // The request is announced with a Take button everywhere.
    let first = desk.say(ANN, "My printer prints only blank pages").await;
    desk.wait_text(ANN, "#1").await;
    for watcher in [GROUP, NIGHT, HEAD] {
        let a = desk.wait_text(watcher, "Request #1").await;
        assert!(a.text().unwrap().contains("blank pages"));
        if watcher == HEAD {
            assert!(a.buttons().is_empty(), "the controller only watches");
        } else {
            assert_eq!(a.buttons(), vec![("Take".to_string(), "t:1".to_string())]);
        }
    }
    // Anna takes it.
    desk.press(ANNA, GROUP, "t:1").await;
    desk.wait_answer("#1 is yours").await;
    let card = desk.wait_text(ANNA, "Request #1").await;
    assert!(card.text().unwrap().contains("ann@example.com"));
    let history = desk.wait_calls("copyMessages", ANNA, 1).await;
    assert_eq!(history[0].params["message_ids"], json!([first]));
    desk.wait_text(ANN, "Anna is handling your request").await;
    desk.wait_text(GROUP, "taken by Anna").await;
    desk.drained().await;
    let edited = desk
        .fake
        .calls()
        .into_iter()
        .rfind(|c| c.is("editMessageText") && c.chat_id() == Some(GROUP) && c.ok)
        .expect("the announcement is edited");
    assert!(edited.reply_markup().is_none(), "the Take button is gone");

    // Five messages each way: text, photo, document, album of three, sticker.
    for (from, to) in [(ANN, ANNA), (ANNA, ANN)] {
        let before = support::desk::copied(&desk.fake.calls(), to).len();
        let mut sent = vec![desk.say(from, "hello there").await];
        sent.push(
            desk.send(from, photo(&format!("ph{from}"), Some("a photo"), None))
                .await,
        );
        sent.push(
            desk.send(from, document(&format!("doc{from}"), "report.pdf"))
                .await,
        );
        let group = format!("album{from}");
        let mut album = Vec::new();
        for i in 0..3 {
            album.push(
                desk.send(from, photo(&format!("al{from}{i}"), None, Some(&group)))
                    .await,
            );
        }
        sent.push(desk.send(from, sticker(&format!("st{from}"))).await);
        let copies = desk.wait_copies(to, before + 7).await;
        let copied: Vec<i64> = copies[before..].iter().map(|(_, m)| *m).collect();
        let mut expected = sent.clone();
        expected.extend(&album);
        let mut sorted = copied.clone();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "every message copied once");
        assert!(copies[before..].iter().all(|(f, _)| *f == from));
        // The album goes as one copyMessages of exactly its three parts.
        let album_call = desk
            .fake
            .calls()
            .into_iter()
            .filter(|c| c.is("copyMessages") && c.ok && c.chat_id() == Some(to))
            .find(|c| c.params["message_ids"] == json!(album));
        assert!(album_call.is_some(), "the album is relayed as an album");
    }
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM messages WHERE communication_id = 1"),
        15
    );

    // An edit is relayed as a notice replying to the copy.
    let original = desk.say(ANN, "the model is X100").await;
    desk.drained().await;
    let copy_id = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT copy_msg FROM message_map WHERE orig_chat = ?1 AND orig_msg = ?2",
            [ANN, original],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    desk.edit(ANN, original, "the model is X200").await;
    let notice = desk.wait_text(ANNA, "X200").await;
    assert!(notice.text().unwrap().contains("edited"));
    assert_eq!(notice.params["reply_parameters"]["message_id"], copy_id);

    // Close; the next message opens #2.
    desk.say(ANNA, "/close").await;
    desk.wait_text(ANN, "#1</b> is closed").await;
    desk.wait_text(ANNA, "#1</b> is closed").await;
    desk.wait_text(GROUP, "Request #1 was closed").await;
    desk.wait_text(HEAD, "Request #1 was closed").await;
    desk.say(ANN, "another question").await;
    desk.wait_text(ANN, "#2").await;
    desk.wait_text(GROUP, "Request #2").await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM communications WHERE status = 'closed'"),
        1
    );
}

#[tokio::test]
async fn wrong_expired_and_early_codes_are_refused() {
    let desk = Desk::start().await;
    desk.say(ANN, "/start").await;
    // Invalid addresses get a reason.
    desk.say(ANN, "ann.example.com").await;
    desk.wait_text(ANN, "has no “@”").await;
    desk.say(ANN, "ann@localhost").await;
    desk.wait_text(ANN, "domain with a dot").await;
    desk.say(ANN, "a@b@example.com").await;
    desk.wait_text(ANN, "exactly one “@”").await;
    assert!(desk.sink.messages().is_empty());

    desk.say(ANN, "ann@example.com").await;
    let code = desk.code_for("ann@example.com", 1).await;
    // A resend before the cool-down is refused.
    desk.press(ANN, ANN, "rs").await;
    desk.wait_answer("You can ask for a new code in").await;
    // Five wrong codes: then even the right one is refused.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        desk.say(ANN, wrong).await;
    }
    desk.wait_text(ANN, "Tries left: 1").await;
    desk.wait_text(ANN, "Too many wrong tries").await;
    desk.say(ANN, &code).await;
    wait_until("the refusal of the right code", PROMPTLY, || {
        desk.count_texts(ANN, "Too many wrong tries") == 2
    })
    .await;
    assert_eq!(desk.count_texts(ANN, "is confirmed"), 0);
    desk.drained().await;
    assert_eq!(desk.sink.messages().len(), 1, "no second code was sent");
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_works() {
    let desk = Desk::start_with(STAFF, "[auth]\nresend_cooldown = \"0s\"").await;
    desk.say(ANN, "/start").await;
    desk.say(ANN, "ann@example.com").await;
    let code = desk.code_for("ann@example.com", 1).await;
    // Let the code expire.
    desk.app
        .files
        .db()
        .execute("UPDATE auth_codes SET expires_at = 0", [])
        .unwrap();
    desk.say(ANN, &code).await;
    desk.wait_text(ANN, "has expired").await;
    desk.press(ANN, ANN, "rs").await;
    let second = desk.code_for("ann@example.com", 2).await;
    desk.say(ANN, &second).await;
    desk.wait_text(ANN, "is confirmed").await;
}

#[tokio::test]
async fn the_email_can_be_changed_during_onboarding_only() {
    let desk = Desk::start_with(STAFF, "[auth]\nresend_cooldown = \"0s\"").await;
    desk.say(ANN, "/start").await;
    desk.say(ANN, "typo@exmaple.com").await;
    desk.code_for("typo@exmaple.com", 1).await;
    desk.say(ANN, "/service").await;
    let menu = desk.wait_text(ANN, "Menu").await;
    assert_eq!(menu.buttons()[0].1, "e");
    desk.press(ANN, ANN, "e").await;
    desk.wait_calls("sendMessage", ANN, 5).await;
    desk.say(ANN, "ann@example.com").await;
    let code = desk.code_for("ann@example.com", 1).await;
    desk.say(ANN, &code).await;
    desk.wait_text(ANN, "<b>ann@example.com</b> is confirmed")
        .await;
    desk.press(ANN, ANN, "e").await;
    desk.wait_answer("can no longer be changed").await;
    let email: String = desk
        .app
        .files
        .db()
        .query_row("SELECT email FROM customers WHERE id = ?1", [ANN], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(email, "ann@example.com");
}

#[tokio::test]
async fn an_smtp_failure_is_reported_and_the_customer_may_retry() {
    let desk = Desk::start_with(STAFF, "[auth]\nresend_cooldown = \"0s\"").await;
    desk.say(ANN, "/start").await;
    desk.sink.set_failing(true);
    desk.say(ANN, "ann@example.com").await;
    desk.wait_text(ANN, "could not be sent").await;
    desk.sink.set_failing(false);
    desk.press(ANN, ANN, "rs").await;
    let code = desk.code_for("ann@example.com", 1).await;
    desk.say(ANN, &code).await;
    desk.wait_text(ANN, "is confirmed").await;
}

#[tokio::test]
async fn twenty_specialists_press_take_at_once_and_one_wins() {
    let mut staff = String::new();
    for i in 0..20 {
        staff.push_str(&format!(
            "[[specialists]]\nchat_id = {}\nname = \"S{i}\"\n",
            700 + i
        ));
    }
    staff.push_str("[[service_groups]]\nchat_id = -1001\nname = \"Support\"\n");
    let desk = Desk::start_with(&staff, "").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    let presses: Vec<_> = (0..20)
        .map(|i| desk.press_update(700 + i, GROUP, &format!("t:{id}")))
        .collect();
    let mut posts = Vec::new();
    for update in presses {
        let client = desk.app.client.clone();
        let url = desk.app.url.clone();
        posts.push(tokio::spawn(async move {
            client
                .post(url)
                .header("X-Telegram-Bot-Api-Secret-Token", support::app::SECRET)
                .json(&update)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for p in posts {
        assert_eq!(p.await.unwrap(), 200);
    }
    let answers = desk
        .fake
        .wait_for("20 callback answers", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| c.is("answerCallbackQuery") && c.ok)
                .count()
                == 20
        })
        .await;
    let texts: Vec<String> = answers
        .iter()
        .filter(|c| c.is("answerCallbackQuery"))
        .filter_map(|c| c.str_param("text"))
        .collect();
    assert_eq!(
        texts.iter().filter(|t| t.contains("is yours")).count(),
        1,
        "{texts:?}"
    );
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.contains("already taken by"))
            .count(),
        19,
        "{texts:?}"
    );
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM communications WHERE status = 'assigned'"),
        1
    );
    assert_eq!(desk.app.count("SELECT count(*) FROM assignments"), 1);
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM updates WHERE outcome = 'failed'"),
        0,
        "no update failed"
    );
}

#[tokio::test]
async fn a_busy_specialist_cannot_take_a_second_and_outsiders_cannot_take() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(4343, "bob@example.com").await;
    let first = desk.request(ANN, "first").await;
    let second = desk.request(4343, "second").await;
    desk.press(ANNA, GROUP, &format!("t:{first}")).await;
    desk.wait_answer("is yours").await;
    desk.press(ANNA, GROUP, &format!("t:{second}")).await;
    desk.wait_answer(&format!("Finish request #{first} first"))
        .await;
    desk.press(ANN, GROUP, &format!("t:{second}")).await;
    desk.wait_answer("Only support specialists").await;
    // A forged button for a communication that does not exist.
    desk.press(BORIS, GROUP, "t:999").await;
    desk.wait_answer("#999 is no longer open").await;
    desk.press(BORIS, GROUP, &"x".repeat(70)).await;
    desk.wait_answer("no longer valid").await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM communications WHERE status = 'assigned'"),
        1
    );
}

#[tokio::test]
async fn release_reannounces_and_another_specialist_sees_the_whole_history() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "first words").await;
    desk.drained().await;
    // While unassigned, the announcement is kept current.
    desk.say(ANN, "and more words").await;
    let edits = desk.wait_calls("editMessageText", GROUP, 1).await;
    let text = edits[0].text().unwrap();
    assert!(
        text.contains("first words") && text.contains("and more words"),
        "{text}"
    );
    assert_eq!(edits[0].buttons()[0].1, format!("t:{id}"));
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    let from_anna = desk.say(ANNA, "Anna here, checking").await;
    let from_ann = desk.say(ANN, "thanks").await;
    desk.drained().await;
    desk.press(ANNA, ANNA, &format!("r:{id}")).await;
    desk.wait_text(ANNA, "is back in the queue").await;
    desk.wait_text(ANN, "back in the queue").await;
    // A fresh announcement with a Take button.
    let again = desk
        .fake
        .wait_for("a new announcement", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| {
                    c.is("sendMessage") && c.chat_id() == Some(GROUP) && !c.buttons().is_empty()
                })
                .count()
                == 2
        })
        .await;
    let fresh = again
        .iter()
        .rfind(|c| c.is("sendMessage") && c.chat_id() == Some(GROUP) && !c.buttons().is_empty())
        .unwrap();
    assert!(fresh.text().unwrap().contains("Anna here"));
    desk.press(BORIS, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.wait_text(BORIS, "first words").await;
    desk.wait_text(BORIS, "Anna here, checking").await;
    let copies = desk.wait_calls("copyMessages", BORIS, 3).await;
    let sources: Vec<(i64, serde_json::Value)> = copies
        .iter()
        .map(|c| {
            (
                c.params["from_chat_id"].as_i64().unwrap(),
                c.params["message_ids"].clone(),
            )
        })
        .collect();
    assert!(sources.contains(&(ANNA, json!([from_anna]))), "{sources:?}");
    assert!(
        sources
            .iter()
            .any(|(chat, ids)| *chat == ANN && ids.as_array().unwrap().contains(&json!(from_ann)))
    );
    desk.wait_text(ANN, "Boris is handling your request").await;
}

#[tokio::test]
async fn timeout_close_survives_a_restart_and_happens_once() {
    let desk = Desk::start_with(STAFF, "[timeouts]\nidle_close = \"3s\"").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "Did that help?").await;
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM deadlines WHERE kind = 'idle_close'"),
        1
    );
    // The service restarts before the deadline.
    let Desk {
        fake, sink, app, ..
    } = desk;
    let app = app.restart().await;
    let desk = Desk::resume(fake, sink, app);
    desk.wait_text(ANN, "was closed as there was no reply")
        .await;
    desk.wait_text(ANNA, "did not answer in time").await;
    desk.wait_text(GROUP, "closed by timeout").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(ANN, "was closed as there was no reply"), 1);
    let reason: String = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT close_reason FROM communications WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, "timeout");
}

#[tokio::test]
async fn a_customer_reply_cancels_the_timeout() {
    let desk = Desk::start_with(STAFF, "[timeouts]\nidle_close = \"1h\"").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "Did that help?").await;
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM deadlines WHERE kind = 'idle_close'"),
        1
    );
    desk.say(ANN, "not yet").await;
    desk.drained().await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM deadlines WHERE kind = 'idle_close'"),
        0
    );
}

/// A text from Ann under a name full of markup.
async fn say_as_tricky(desk: &Desk, update_id: i64, text: &str) -> i64 {
    let mut update = desk.fake.text_update(ANN, text);
    update["update_id"] = json!(update_id);
    update["message"]["from"]["first_name"] = json!("<b>Ann</b> & co");
    assert_eq!(desk.app.post(&update).await, 200);
    update["message"]["message_id"].as_i64().unwrap()
}

#[tokio::test]
async fn markup_in_names_and_messages_arrives_escaped_and_intact() {
    let desk = Desk::start().await;
    say_as_tricky(&desk, 10_000, "/start").await;
    desk.wait_text(ANN, "&lt;b&gt;Ann&lt;/b&gt; &amp; co").await;
    say_as_tricky(&desk, 10_001, "ann@example.com").await;
    let code = desk.code_for("ann@example.com", 1).await;
    say_as_tricky(&desk, 10_002, &code).await;
    desk.wait_text(ANN, "is confirmed").await;
    let tricky = "</code> & <b>bold?</b> <a href=\"x\">";
    let msg = say_as_tricky(&desk, 10_003, tricky).await;
    // The fake Bot API rejects HTML it cannot parse: delivered means well-formed.
    let a = desk
        .wait_text(GROUP, "&lt;/code&gt; &amp; &lt;b&gt;bold?&lt;/b&gt;")
        .await;
    assert!(
        a.text()
            .unwrap()
            .contains("&lt;b&gt;Ann&lt;/b&gt; &amp; co")
    );
    desk.press(ANNA, GROUP, "t:1").await;
    let history = desk.wait_calls("copyMessages", ANNA, 1).await;
    assert_eq!(history[0].params["message_ids"], json!([msg]));
    let card = desk.wait_text(ANNA, "Request #1").await;
    assert!(
        card.text()
            .unwrap()
            .contains("&lt;b&gt;Ann&lt;/b&gt; &amp; co")
    );
    desk.drained().await;
    let failed = desk
        .fake
        .calls()
        .into_iter()
        .filter(|c| !c.ok && c.status != 0)
        .map(|c| format!("{} {}", c.method, c.response))
        .collect::<Vec<_>>();
    assert!(failed.is_empty(), "refused calls: {failed:?}");
}

#[tokio::test]
async fn a_blocked_customer_is_reported_and_not_retried() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.drained().await;
    desk.fake.push_rule(
        Rule::new(Action::Forbidden(
            "Forbidden: bot was blocked by the user".into(),
        ))
        .method("copyMessage")
        .chat(ANN),
    );
    desk.say(ANNA, "are you there?").await;
    desk.wait_text(ANNA, "blocked the bot").await;
    desk.drained().await;
    let tries = desk
        .fake
        .calls_of("copyMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(ANN))
        .count();
    assert_eq!(tries, 1);
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM customers WHERE blocked_at IS NOT NULL"),
        1
    );
}

#[tokio::test]
async fn a_specialist_with_nothing_active_gets_an_explanation() {
    let desk = Desk::start().await;
    desk.say(ANNA, "hello?").await;
    desk.wait_text(ANNA, "no active request").await;
    desk.say(ANNA, "/close").await;
    wait_until("two explanations", PROMPTLY, || {
        desk.count_texts(ANNA, "no active request") == 2
    })
    .await;
    assert_eq!(
        desk.app.count("SELECT count(*) FROM customers"),
        0,
        "staff are not customers"
    );
}

#[tokio::test]
async fn replies_keep_their_context() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    let question = desk.say(ANNA, "Which model?").await;
    desk.drained().await;
    let copy_in_customer_chat = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT copy_msg FROM message_map WHERE orig_chat = ?1 AND orig_msg = ?2",
            [ANNA, question],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    desk.reply(ANN, copy_in_customer_chat, "X100").await;
    let calls = desk
        .fake
        .wait_for("the reply relayed", PROMPTLY, |calls| {
            calls
                .iter()
                .any(|c| c.is("copyMessage") && c.ok && c.chat_id() == Some(ANNA))
        })
        .await;
    let last = calls
        .iter()
        .rfind(|c| c.is("copyMessage") && c.ok && c.chat_id() == Some(ANNA))
        .unwrap();
    assert_eq!(last.params["reply_parameters"]["message_id"], question);
}
