//! `relaydesk export` end to end (SPEC §9): a scripted day — onboarding, a request
//! with a note, a canned answer, a file, a close and a rating, and a second
//! customer whose name starts a formula — exported as each kind in both formats,
//! beside the running service; the CSV read with a CSV reader, its header as the
//! SPEC lists it, the JSON an array of objects with the same columns and rows.

mod support;

use serde_json::{Value, json};
use support::desk::{ANNA, Desk, GROUP, STAFF, document};

const ANN: i64 = 4242;
const EVE: i64 = 4343;
const EVES_NAME: &str = "=HYPERLINK(\"http://evil.example\")";

const TOOLBOX: &str = r#"
[[canned]]
key = "hello"
title = "Greeting"
text = "Hello, {customer}!"
"#;

const COLUMNS: [(&str, &[&str]); 5] = [
    (
        "customers",
        &[
            "telegram_id",
            "name",
            "username",
            "email",
            "verified",
            "language",
            "state",
            "first_seen",
        ],
    ),
    (
        "communications",
        &[
            "id",
            "customer_id",
            "department",
            "status",
            "opened_at",
            "taken_at",
            "first_response_at",
            "closed_at",
            "close_reason",
            "specialist_id",
            "time_to_take_s",
            "first_response_s",
            "resolution_s",
            "customer_messages",
            "specialist_messages",
            "transfers",
            "rating",
        ],
    ),
    (
        "messages",
        &[
            "communication_id",
            "at",
            "role",
            "sender_id",
            "kind",
            "text",
            "file",
        ],
    ),
    (
        "ratings",
        &[
            "communication_id",
            "customer_id",
            "specialist_id",
            "rating",
            "comment",
            "rated_at",
        ],
    ),
    (
        "audit",
        &["at", "actor", "action", "communication_id", "details"],
    ),
];

/// A CSV export read with a CSV reader: its header and its rows.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A JSON export: an array of objects, each with exactly `columns` as its keys, in
/// that order (one object per line).
fn read_json(text: &str, columns: &[&str]) -> Vec<serde_json::Map<String, Value>> {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut sorted = columns.to_vec();
    sorted.sort_unstable();
    let rows: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row = row.as_object().unwrap().clone();
            let keys: Vec<&str> = row.keys().map(String::as_str).collect();
            assert_eq!(keys, sorted, "{text}");
            row
        })
        .collect();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let at: Vec<usize> = columns
            .iter()
            .map(|c| line.find(&format!("\"{c}\":")).unwrap())
            .collect();
        assert!(at.is_sorted(), "{line}");
    }
    rows
}

/// The day: Ann's request, taken by Anna, with a note, a canned answer, an answer,
/// a document from Ann, closed and rated 4; Eve's request, unassigned, her name
/// and her text starting like formulas. Returns Ann's communication.
async fn scripted_day(desk: &Desk) -> i64 {
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Where is my parcel?").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "/note check the courier first").await;
    desk.wait_text(ANNA, "Note on request").await;
    desk.say(ANNA, "/c hello").await;
    desk.wait_text(ANN, "Hello, Test!").await;
    desk.say(ANNA, "It is on its way").await;
    desk.send(ANN, document("doc-1", "receipt.pdf")).await;
    desk.wait_copies(ANNA, 1).await;
    desk.say(ANNA, "/close").await;
    let survey = desk.wait_text(ANN, "How would you rate").await;
    let survey = survey.message_id().expect("the survey's message id");
    desk.press_on(ANN, ANN, survey, &format!("rt:{id}:4")).await;
    desk.wait_answer("Your rating: 4").await;

    desk.onboard(EVE, "eve@example.com").await;
    desk.send(
        EVE,
        json!({
            "text": "-1 refund, please",
            "from": {"id": EVE, "is_bot": false, "first_name": EVES_NAME, "username": "eve", "language_code": "ru"}
        }),
    )
    .await;
    // Her Telegram speaks Russian: so does the desk to her (SPEC §9).
    desk.wait_text(EVE, "принято").await;
    desk.drained().await;
    id
}

#[tokio::test]
async fn a_scripted_day_is_exported_as_every_kind_in_both_formats() {
    let desk = Desk::start_with(&format!("{STAFF}\n{TOOLBOX}"), "").await;
    let id = scripted_day(&desk).await;
    let eves: i64 = desk.app.count(&format!(
        "SELECT id FROM communications WHERE customer_id = {EVE}"
    ));

    let mut csv = std::collections::HashMap::new();
    let mut exports = 0;
    for (what, columns) in COLUMNS {
        let text = desk.export(what, "csv", &[]);
        let (header, rows) = read_csv(&text);
        assert_eq!(header, columns, "{what}");
        let json = read_json(&desk.export(what, "json", &[]), columns);
        exports += 2;
        // The audit log grew by the JSON export's own line meanwhile.
        let expected = if what == "audit" {
            rows.len() + 1
        } else {
            rows.len()
        };
        assert_eq!(json.len(), expected, "{what}");
        csv.insert(what, (rows, json));
    }

    // customers: both, verified, their state; Eve's name defused in CSV only.
    let (rows, json) = &csv["customers"];
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0][..7],
        [
            ANN.to_string(),
            "Test".into(),
            format!("user{ANN}"),
            "ann@example.com".into(),
            "true".into(),
            "en".into(),
            "verified".into()
        ]
    );
    assert!(
        rows[0][7].ends_with('Z') && rows[0][7].contains('T'),
        "{rows:?}"
    );
    assert_eq!(rows[1][1], format!("'{EVES_NAME}"));
    assert_eq!(rows[1][4..7], ["true", "ru", "verified"]);
    assert_eq!(json[1]["name"], EVES_NAME);
    assert_eq!(json[1]["verified"], true);
    assert_eq!(json[1]["telegram_id"], EVE);

    // communications: Ann's closed by the specialist and rated, Eve's waiting.
    let (rows, json) = &csv["communications"];
    assert_eq!(rows.len(), 2, "{rows:?}");
    let ann = &rows[0];
    assert_eq!(ann[0], id.to_string());
    assert_eq!(ann[1], ANN.to_string());
    assert_eq!(ann[2], "");
    assert_eq!(ann[3], "closed");
    assert_eq!(ann[8], "specialist");
    assert_eq!(ann[9], ANNA.to_string());
    assert_eq!(ann[16], "4");
    assert_eq!(
        rows[1][..4],
        [
            eves.to_string(),
            EVE.to_string(),
            "".into(),
            "unassigned".into()
        ]
    );
    assert_eq!(rows[1][7], "");
    assert_eq!(json[0]["rating"], 4);
    assert_eq!(json[1]["closed_at"], Value::Null);

    // messages: the customer's, the note, the canned answer, the answer, the file.
    let (rows, json) = &csv["messages"];
    let of_ann: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .filter(|r| r[0] == id.to_string())
        .map(|r| {
            (
                r[2].as_str(),
                r[3].as_str(),
                r[4].as_str(),
                r[5].as_str(),
                r[6].as_str(),
            )
        })
        .collect();
    let (ann_id, anna_id) = (ANN.to_string(), ANNA.to_string());
    let file = of_ann
        .iter()
        .find(|m| m.2 == "document")
        .map(|m| m.4.to_string())
        .expect("the document");
    assert!(
        file.starts_with(&format!("{ANN}/{id}/files/")) && file.ends_with("receipt.pdf"),
        "{file}"
    );
    assert_eq!(
        of_ann,
        [
            (
                "customer",
                ann_id.as_str(),
                "text",
                "Where is my parcel?",
                ""
            ),
            (
                "specialist",
                anna_id.as_str(),
                "note",
                "check the courier first",
                ""
            ),
            ("specialist", anna_id.as_str(), "canned", "Hello, Test!", ""),
            (
                "specialist",
                anna_id.as_str(),
                "text",
                "It is on its way",
                ""
            ),
            ("customer", ann_id.as_str(), "document", "", file.as_str()),
        ]
    );
    let eve: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == eves.to_string()).collect();
    assert_eq!(eve.len(), 1, "{rows:?}");
    assert_eq!(eve[0][5], "'-1 refund, please");
    assert!(
        json.iter()
            .any(|m| m["text"] == "-1 refund, please" && m["sender_id"] == EVE)
    );
    assert!(rows.iter().all(|r| r[1].ends_with('Z')), "{rows:?}");

    // ratings: one.
    let (rows, _) = &csv["ratings"];
    assert_eq!(
        rows,
        &[vec![
            id.to_string(),
            ANN.to_string(),
            ANNA.to_string(),
            "4".into(),
            "".into(),
            rows[0][5].clone()
        ]]
    );

    // audit: the day's actions, then every export so far, by the system.
    let (rows, json) = &csv["audit"];
    let actions: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(actions[..5], ["take", "note", "canned", "close", "rating"]);
    assert_eq!(actions[5..], ["export"; 9]);
    assert_eq!(rows[5][4], "kind=customers format=csv to=stdout");
    assert_eq!(rows[8][4], "kind=communications format=json to=stdout");
    assert_eq!(
        json.last().unwrap()["details"],
        "kind=audit format=json to=stdout"
    );
    assert_eq!(json.last().unwrap()["actor"], "system");

    // --since / --until on each row's own time; the until day included.
    let (today, yesterday) = support::desk::today_and_yesterday();
    for (what, columns) in COLUMNS {
        let old = desk.export(what, "json", &["--until", &yesterday]);
        assert_eq!(old, "[]\n", "{what}");
        let (header, rows) = read_csv(&desk.export(what, "csv", &["--until", &yesterday]));
        assert_eq!(header, columns, "{what}");
        assert!(rows.is_empty(), "{what}");
        let (_, rows) =
            read_csv(&desk.export(what, "csv", &["--since", &today, "--until", &today]));
        // The audit log: the day's 5 actions and every export, this one included.
        let expected = if what == "audit" {
            5 + exports + 3
        } else {
            csv[what].0.len()
        };
        assert_eq!(rows.len(), expected, "{what}");
        exports += 3;
    }

    // --out FILE: the same as stdout, the line saying where to.
    let out = desk.app.files.dir.path().join("messages.csv");
    let run = desk.cli(&["export", "messages", "--out", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        desk.export("messages", "csv", &[])
    );
    let last: String = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT details FROM audit WHERE action = 'export' ORDER BY id DESC LIMIT 1 OFFSET 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        last,
        format!("kind=messages format=csv to={}", out.display())
    );
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM audit WHERE action = 'export'"),
        i64::try_from(exports + 2).unwrap()
    );
}

#[tokio::test]
async fn the_state_of_a_customer_shows_a_block_by_the_staff_and_onboarding() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Buy my watches").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.say(ANNA, "/block").await;
    desk.wait_text(ANNA, "is blocked").await;
    // Eve stopped after /start.
    desk.say(EVE, "/start").await;
    desk.wait_text(EVE, "email address").await;
    desk.drained().await;
    let (_, rows) = read_csv(&desk.export("customers", "csv", &[]));
    let states: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str(), r[6].as_str()))
        .collect();
    let (ann, eve) = (ANN.to_string(), EVE.to_string());
    assert_eq!(
        states,
        [
            (ann.as_str(), "true", "blocked"),
            (eve.as_str(), "false", "awaiting_email")
        ]
    );
}
