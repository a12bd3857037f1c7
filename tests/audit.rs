//! The audit log end to end (SPEC §7.6): a take, a close, a rating and a timeout
//! close each recorded once, with their actor, in the transaction of the change;
//! refused presses recorded not at all; `relaydesk audit` printing and filtering it
//! and `relaydesk export audit` exporting it (itself recorded), beside the running
//! service.

mod support;

use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, BORIS, Desk, GROUP, STAFF};

const ANN: i64 = 4242;

/// The audit log as stored: (actor, action, communication, details), oldest first.
fn stored(desk: &Desk) -> Vec<(String, String, Option<i64>, String)> {
    desk.app
        .files
        .db()
        .prepare("SELECT actor, action, communication_id, details FROM audit ORDER BY at, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn line(
    actor: i64,
    action: &str,
    comm: i64,
    details: &str,
) -> (String, String, Option<i64>, String) {
    (actor.to_string(), action.into(), Some(comm), details.into())
}

/// `relaydesk ARGS…`, which must succeed; its standard output.
fn run(desk: &Desk, args: &[&str]) -> String {
    let out = desk.cli(args);
    assert!(
        out.status.success(),
        "relaydesk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of a CSV print without its header, after checking the header.
fn csv_rows(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("at,actor,action,communication_id,details"),
        "{csv}"
    );
    lines.map(str::to_string).collect()
}

/// Ann's request, taken by Anna (Boris's press on it, and Anna's second, refused),
/// closed by her (a second /close finds nothing), rated 5 by Ann (Boris's press on
/// the survey refused), no comment.
async fn served_and_rated(desk: &Desk) -> i64 {
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "My printer prints blank pages").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.press(BORIS, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("already taken by Anna").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is already yours").await;
    desk.say(ANNA, "/close").await;
    desk.wait_text(ANN, &format!("#{id}</b> is closed")).await;
    desk.say(ANNA, "/close").await;
    desk.wait_text(ANNA, "no active request").await;
    let survey = desk.wait_text(ANN, "How would you rate").await;
    let survey = survey.message_id().expect("the survey's message id");
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:5")).await;
    desk.wait_answer("Your rating: 5").await;
    desk.press_on(BORIS, ANN, survey, &format!("rt:{id}:1"))
        .await;
    desk.wait_answer("This survey is not yours").await;
    // No comment: Skip (which records nothing either).
    let ask = desk.wait_text(ANN, "write a comment").await;
    let ask = ask.message_id().expect("the prompt's message id");
    desk.press_on(ANN, ANN, ask, &format!("sk:{id}")).await;
    desk.fake
        .wait_for("the survey to say no comment", PROMPTLY, |calls| {
            calls.iter().any(|c| {
                c.is("editMessageText")
                    && c.ok
                    && c.text().is_some_and(|t| t.contains("no comment"))
            })
        })
        .await;
    desk.drained().await;
    id
}

#[tokio::test]
async fn take_close_and_rating_are_recorded_once_each_and_printed_as_csv() {
    let desk = Desk::start().await;
    let id = served_and_rated(&desk).await;

    // Exactly one line per action done, with who did it; none for the refusals.
    let expected = [
        line(ANNA, "take", id, ""),
        line(ANNA, "close", id, "reason=specialist"),
        line(ANN, "rating", id, "rating=5 comment=no"),
    ];
    assert_eq!(stored(&desk), expected);
    // Each at the moment of its change.
    let db = desk.app.files.db();
    let at = |action: &str| -> i64 {
        db.query_row("SELECT at FROM audit WHERE action = ?1", [action], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let taken_at: i64 = db
        .query_row(
            "SELECT taken_at FROM assignments WHERE communication_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let (closed_at, rated_at): (i64, i64) = db
        .query_row(
            "SELECT c.closed_at, s.rated_at FROM communications c
             JOIN surveys s ON s.communication_id = c.id WHERE c.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (at("take"), at("close"), at("rating")),
        (taken_at, closed_at, rated_at)
    );

    // `relaydesk audit --format csv`, beside the running service: the same lines,
    // times in ISO 8601 UTC; printing the log records nothing.
    let rows = csv_rows(&run(&desk, &["audit", "--format", "csv"]));
    let iso = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    assert_eq!(
        rows,
        [
            format!("{},{ANNA},take,{id},", iso(taken_at)),
            format!("{},{ANNA},close,{id},reason=specialist", iso(closed_at)),
            format!("{},{ANN},rating,{id},rating=5 comment=no", iso(rated_at)),
        ]
    );
    assert_eq!(stored(&desk), expected);

    // The text form, for people.
    let text = run(&desk, &["audit"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with(&iso(closed_at))
            && lines[1].contains(&format!("{ANNA} "))
            && lines[1].contains(" close ")
            && lines[1].contains(&format!("#{id} "))
            && lines[1].ends_with("reason=specialist"),
        "{text}"
    );

    // `export audit` has the same columns, and is itself recorded (by the
    // system, saying what went where) before it is written: its own line is in it.
    let exported = csv_rows(&desk.export("audit", "csv", &[]));
    assert_eq!(exported.len(), 4, "{exported:?}");
    assert_eq!(exported[..3], rows[..]);
    assert!(
        exported[3].ends_with(",system,export,,kind=audit format=csv to=stdout"),
        "{exported:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&desk.export("ratings", "json", &[])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    let after = stored(&desk);
    assert_eq!(after.len(), 5);
    assert_eq!(
        after[4],
        (
            "system".into(),
            "export".into(),
            None,
            "kind=ratings format=json to=stdout".into()
        )
    );
}

#[tokio::test]
async fn the_command_line_filters_by_actor_communication_and_day() {
    let desk = Desk::start_with(STAFF, "[timeouts]\nidle_close = \"1s\"").await;
    let first = served_and_rated(&desk).await;
    // A second request of Ann's, taken by Boris, closed by the timeout.
    let second = desk.request(ANN, "And the scanner").await;
    desk.press(BORIS, GROUP, &format!("t:{second}")).await;
    desk.wait_answer("is yours").await;
    desk.say(BORIS, "Does it work now?").await;
    desk.wait_text(ANN, "was closed as there was no reply")
        .await;
    desk.drained().await;
    assert_eq!(
        stored(&desk)[3..],
        [
            line(BORIS, "take", second, ""),
            (
                "system".into(),
                "timeout_close".into(),
                Some(second),
                format!("reason=timeout specialist={BORIS}")
            ),
        ]
    );

    let actions = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["audit", "--format", "csv"];
        all.extend_from_slice(args);
        csv_rows(&run(&desk, &all))
            .iter()
            .map(|row| {
                let cells: Vec<&str> = row.split(',').collect();
                format!("{} {} {}", cells[1], cells[2], cells[3])
            })
            .collect()
    };
    let (anna, boris, ann) = (ANNA.to_string(), BORIS.to_string(), ANN.to_string());
    assert_eq!(
        actions(&["--actor", &anna]),
        [
            format!("{ANNA} take {first}"),
            format!("{ANNA} close {first}")
        ]
    );
    assert_eq!(
        actions(&["--actor", &boris]),
        [format!("{BORIS} take {second}")]
    );
    assert_eq!(
        actions(&["--actor", &ann]),
        [format!("{ANN} rating {first}")]
    );
    assert_eq!(
        actions(&["--actor", "system"]),
        [format!("system timeout_close {second}")]
    );
    assert_eq!(
        actions(&["--communication", &second.to_string()]),
        [
            format!("{BORIS} take {second}"),
            format!("system timeout_close {second}")
        ]
    );
    assert_eq!(
        actions(&["--communication", &first.to_string(), "--actor", &anna]),
        [
            format!("{ANNA} take {first}"),
            format!("{ANNA} close {first}")
        ]
    );
    assert!(actions(&["--communication", &second.to_string(), "--actor", &anna]).is_empty());
    let (today, yesterday) = support::desk::today_and_yesterday();
    assert_eq!(actions(&["--since", &today, "--until", &today]).len(), 5);
    assert!(actions(&["--until", &yesterday]).is_empty());
    assert_eq!(actions(&["--since", &yesterday]).len(), 5);
    assert_eq!(
        run(&desk, &["audit", "--until", &yesterday]),
        "no audit entries\n"
    );

    // JSON: an array of objects with the five columns, ids as numbers.
    let json: serde_json::Value = serde_json::from_str(&run(
        &desk,
        &["audit", "--actor", "system", "--format", "json"],
    ))
    .unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["actor"], "system");
    assert_eq!(rows[0]["action"], "timeout_close");
    assert_eq!(rows[0]["communication_id"], second);
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["action", "actor", "at", "communication_id", "details"]
    );

    // `export audit` takes the days too; the line it writes is by the system.
    let exported = csv_rows(&desk.export("audit", "csv", &["--since", &today, "--until", &today]));
    assert_eq!(exported.len(), 6);
    assert!(
        exported[5].ends_with(&format!(
            ",system,export,,kind=audit format=csv since={today} until={today} to=stdout"
        )),
        "{exported:?}"
    );

    // Mistakes are refused with a reason (exit 2), and print nothing.
    for (args, reason) in [
        (vec!["audit", "--actor", "anna"], "Telegram id or `system`"),
        (vec!["audit", "--since", "2026-13-01"], "YYYY-MM-DD"),
        (
            vec!["audit", "--since", &today, "--until", &yesterday],
            "is after --until",
        ),
        (vec!["audit", "--format", "xml"], "xml"),
        (vec!["audit", "--communication", "one"], "one"),
    ] {
        let out = desk.cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(stored(&desk).len(), 6, "refused commands record nothing");
}

#[tokio::test]
async fn presses_at_once_and_a_redelivered_update_record_one_take() {
    let mut staff = String::new();
    for i in 0..10 {
        staff.push_str(&format!(
            "[[specialists]]\nchat_id = {}\nname = \"S{i}\"\n",
            700 + i
        ));
    }
    staff.push_str("[[service_groups]]\nchat_id = -1001\nname = \"Support\"\n");
    let desk = Desk::start_with(&staff, "").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "help").await;
    let mut presses: Vec<_> = (0..10)
        .map(|i| desk.press_update(700 + i, GROUP, &format!("t:{id}")))
        .collect();
    // Telegram delivers the first press twice.
    presses.push(presses[0].clone());
    desk.post_concurrently(presses).await;
    desk.fake
        .wait_for("10 callback answers", PROMPTLY, |calls| {
            calls
                .iter()
                .filter(|c| c.is("answerCallbackQuery") && c.ok)
                .count()
                >= 10
        })
        .await;
    desk.drained().await;
    let winner = desk.app.count(&format!(
        "SELECT specialist_id FROM communications WHERE id = {id}"
    ));
    assert_eq!(stored(&desk), [line(winner, "take", id, "")]);
}

const TOOLBOX: &str = r#"
[[canned]]
key = "hello"
title = "Greeting"
text = "Hello, {customer}!"
"#;

/// A scripted day with the toolbox: take, note, transfer, canned, close, rating,
/// block (and an unblock): one row per action, each with the right actor.
#[tokio::test]
async fn a_scripted_day_gives_one_row_per_action_with_its_actor() {
    let desk = Desk::start_with(&format!("{STAFF}\n{TOOLBOX}"), "").await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Where is my parcel?").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "/note check the courier first").await;
    desk.wait_text(ANNA, "Note on request").await;
    desk.press(ANNA, ANNA, &format!("tt:{id}:{BORIS}")).await;
    desk.wait_text(BORIS, "transferred to you by Anna").await;
    desk.say(BORIS, "/c hello").await;
    desk.wait_text(ANN, "Hello, Test!").await;
    desk.say(BORIS, "/close").await;
    let survey = desk.wait_text(ANN, "How would you rate").await;
    let survey = survey.message_id().expect("the survey's message id");
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:4")).await;
    desk.wait_answer("Your rating: 4").await;
    let ask = desk.wait_text(ANN, "write a comment").await;
    let ask = ask.message_id().expect("the prompt's message id");
    desk.press_on(ANN, ANN, ask, &format!("sk:{id}")).await;
    wait_until("the comment window to be skipped", PROMPTLY, || {
        desk.app
            .files
            .count("SELECT count(*) FROM surveys WHERE awaiting_comment = 1")
            == 0
    })
    .await;
    // A second request, blocked by its specialist; the controller unblocks.
    let second = desk.request(ANN, "Buy my watches").await;
    desk.press(BORIS, GROUP, &format!("t:{second}")).await;
    desk.wait_answer("is yours").await;
    desk.say(BORIS, "/block").await;
    desk.wait_text(BORIS, "is blocked").await;
    desk.say(support::desk::HEAD, &format!("/unblock {ANN}"))
        .await;
    desk.wait_text(support::desk::HEAD, "is unblocked").await;
    desk.drained().await;

    let rows: Vec<(String, String, Option<i64>)> = stored(&desk)
        .into_iter()
        .map(|(actor, action, comm, _)| (actor, action, comm))
        .collect();
    let who = |id: i64| id.to_string();
    assert_eq!(
        rows,
        [
            (who(ANNA), "take".to_string(), Some(id)),
            (who(ANNA), "note".to_string(), Some(id)),
            (who(ANNA), "transfer".to_string(), Some(id)),
            (who(BORIS), "canned".to_string(), Some(id)),
            (who(BORIS), "close".to_string(), Some(id)),
            (who(ANN), "rating".to_string(), Some(id)),
            (who(BORIS), "take".to_string(), Some(second)),
            (who(BORIS), "close".to_string(), Some(second)),
            (who(BORIS), "block".to_string(), Some(second)),
            (who(support::desk::HEAD), "unblock".to_string(), None),
        ]
    );
    let details: Vec<String> = stored(&desk).into_iter().map(|r| r.3).collect();
    assert_eq!(details[2], format!("to={BORIS}"));
    assert_eq!(details[3], "key=hello");
    assert_eq!(details[7], "reason=blocked");
    assert_eq!(details[8], format!("customer={ANN}"));
    // The note's text is not in the log.
    assert!(!details[1].contains("courier"), "{}", details[1]);
    let csv = csv_rows(&run(&desk, &["audit", "--format", "csv"]));
    assert_eq!(csv.len(), 10, "{csv:?}");
    assert!(csv[2].contains(",transfer,"), "{}", csv[2]);
}
