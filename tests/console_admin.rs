//! The web console's pages for controllers (SPEC §8): stats with charts drawn on the
//! server, export downloads, canned answers management; and signing in by
//! @username.

mod support;

use reqwest::StatusCode;
use support::app::{PROMPTLY, wait_until};
use support::console::*;
use support::desk::{ANNA, Desk, GROUP, HEAD, STAFF};

const CANNED: &str = r#"
[[canned]]
key = "hello"
title = "Greeting"
text = "Hello, {customer}!"
"#;

/// A request of Ann's taken, answered and closed by Anna in Telegram, rated 5.
async fn one_rated_request(desk: &Desk) -> i64 {
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Where is my parcel?").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.say(ANNA, "It arrives tomorrow").await;
    desk.press(ANNA, ANNA, &format!("c:{id}")).await;
    desk.wait_text(ANN, "How would you rate").await;
    desk.press(ANN, ANN, &format!("rt:{id}:5")).await;
    wait_until("the rating recorded", PROMPTLY, || {
        desk.app
            .count("SELECT count(*) FROM surveys WHERE rating = 5")
            == 1
    })
    .await;
    id
}

#[tokio::test]
async fn stats_draw_four_charts_and_the_table_for_controllers_only() {
    let desk = Desk::start_with(STAFF, "").await;
    one_rated_request(&desk).await;
    let mut head = signed_in(&desk, HEAD, 1).await;
    let page = head.get("/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for id in [
        "stats-requests",
        "stats-first-response",
        "stats-resolution",
        "stats-satisfaction",
    ] {
        assert!(
            page.body.contains(&format!("<svg id=\"{id}\"")),
            "{id}: {}",
            page.body
        );
    }
    assert_eq!(page.body.matches("<svg ").count(), 4);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        page.body
            .contains(&format!("<title>{today}: 1 requests</title>")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("100 % rated 4 or 5 (1 ratings)"),
        "{}",
        page.body
    );
    // 30 days by default: 30 bars of requests.
    let requests = &page.body[page.body.find("id=\"stats-requests\"").unwrap()..];
    let requests = &requests[..requests.find("</svg>").unwrap()];
    assert_eq!(requests.matches("<rect").count(), 30);
    assert!(page.body.contains("id=\"stats-table\""));
    assert!(
        page.body.contains("<td>Anna</td><td>1</td><td>1</td>"),
        "{}",
        page.body
    );

    let ninety = head.get("/stats?days=90").await;
    assert_eq!(ninety.status, StatusCode::OK);
    assert!(
        ninety.body.contains("value=\"90\" selected"),
        "{}",
        ninety.body
    );
    for junk in ["/stats?days=5", "/stats?days=x", "/stats?department=nope"] {
        assert_eq!(
            head.get(junk).await.status,
            StatusCode::BAD_REQUEST,
            "{junk}"
        );
    }
    let mut anna = signed_in(&desk, ANNA, 1).await;
    assert_eq!(anna.get("/stats").await.status, StatusCode::FORBIDDEN);
    assert!(!anna.get("/").await.body.contains("href=\"/stats\""));
}

#[tokio::test]
async fn with_departments_the_stats_are_per_department() {
    let desk = Desk::with_departments().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.say(ANN, "Refund please").await;
    desk.wait_text(ANN, "choose the topic").await;
    desk.say(ANN, "1").await;
    desk.wait_text(GROUP, "Refund please").await;
    let mut head = signed_in(&desk, HEAD, 1).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let billing = head.get("/stats?department=billing").await;
    assert_eq!(billing.status, StatusCode::OK);
    assert!(billing.body.contains(&format!("{today}: 1 requests")));
    assert!(billing.body.contains("value=\"billing\" selected"));
    assert!(billing.body.contains("<td>Anna</td>") && !billing.body.contains("<td>Boris</td>"));
    let tech = head.get("/stats?department=tech").await;
    assert!(
        tech.body.contains(&format!("{today}: 0 requests")),
        "{}",
        tech.body
    );
}

#[tokio::test]
async fn a_controller_downloads_exports_and_each_is_audited() {
    let desk = Desk::start_with(STAFF, "").await;
    let id = one_rated_request(&desk).await;
    let mut head = signed_in(&desk, HEAD, 1).await;
    let page = head.get("/export").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"export-kind\""));
    let csrf = page.csrf();

    let response = head
        .client
        .post(format!("{}/export", head.base))
        .header("cookie", head.cookie_header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "communications"),
            ("format", "csv"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"relaydesk-communications-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["id", "customer_id", "department", "status"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], id.to_string());
    assert_eq!(&rows[0][3], "closed");
    assert_eq!(rows[0].get(16), Some("5"), "its rating");
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'export' AND actor = '{HEAD}'
             AND details LIKE 'kind=communications format=csv%to=console'"
        )),
        1
    );

    // JSON, between two days: an array; a range before anything: empty.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let json = head
        .post(
            "/export",
            &[
                ("csrf", &csrf),
                ("kind", "ratings"),
                ("format", "json"),
                ("since", &today),
                ("until", &today),
            ],
        )
        .await;
    assert_eq!(json.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v[0]["rating"], 5);
    let old = head
        .post(
            "/export",
            &[
                ("csrf", &csrf),
                ("kind", "messages"),
                ("until", "2001-01-01"),
            ],
        )
        .await;
    assert_eq!(
        old.body.lines().count(),
        1,
        "the header alone: {}",
        old.body
    );
    for bad in [
        vec![("kind", "secrets")],
        vec![("kind", "audit"), ("format", "xml")],
        vec![("kind", "audit"), ("since", "yesterday")],
        vec![
            ("kind", "audit"),
            ("since", "2026-12-02"),
            ("until", "2026-12-01"),
        ],
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(bad.iter().copied());
        assert_eq!(
            head.post("/export", &fields).await.status,
            StatusCode::BAD_REQUEST,
            "{bad:?}"
        );
    }
    assert_eq!(
        head.post("/export", &[("kind", "audit")]).await.status,
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM audit WHERE action = 'export'"),
        3
    );

    let mut anna = signed_in(&desk, ANNA, 1).await;
    assert_eq!(anna.get("/export").await.status, StatusCode::FORBIDDEN);
    let anna_csrf = anna.get("/").await.csrf();
    assert_eq!(
        anna.post("/export", &[("csrf", &anna_csrf), ("kind", "customers")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn canned_answers_edited_in_the_console_are_used_at_once() {
    let desk = Desk::start_with(&format!("{STAFF}\n{CANNED}"), "").await;
    let mut head = signed_in(&desk, HEAD, 1).await;
    let page = head.get("/canned").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("from the configuration"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let add = |key: &'static str, title: &'static str, text: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("key", key.into()),
            ("title", title.into()),
            ("text", text.into()),
        ]
    };
    let post = async |head: &mut Browser, fields: [(&str, String); 4]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        head.post("/canned", &fields).await
    };
    for (fields, why) in [
        (add("Bad Key", "T", "x"), "Key: may hold only"),
        (add("hello", "T", "x"), "is set in the configuration"),
        (add("bye", "", "x"), "Title"),
        (
            add("bye", "Goodbye", "Bye, {custmer}!"),
            "did you mean {customer}?",
        ),
    ] {
        let refused = post(&mut head, fields).await;
        assert!(refused.body.contains("notice alert"), "{}", refused.body);
        assert!(
            refused.body.contains(&why.replace('\'', "&#39;")),
            "{why}: {}",
            refused.body
        );
    }
    assert_eq!(desk.app.count("SELECT count(*) FROM canned_answers"), 0);
    let saved = post(&mut head, add("bye", "Goodbye", "Bye, {customer}!")).await;
    assert!(
        saved.body.contains("Canned answer bye saved"),
        "{}",
        saved.body
    );

    // Telegram's /c uses it at once, and so does the console.
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Thanks, that is all").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.say(ANNA, "/c bye").await;
    desk.wait_text(ANN, "Bye, Test!").await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(page.body.contains("id=\"canned-bye\""), "{}", page.body);
    assert_eq!(anna.get("/canned").await.status, StatusCode::FORBIDDEN);

    let edited = post(&mut head, add("bye", "Goodbye", "See you, {customer}.")).await;
    assert!(
        edited.body.contains("See you, {customer}."),
        "{}",
        edited.body
    );
    desk.say(ANNA, "/c bye").await;
    desk.wait_text(ANN, "See you, Test.").await;

    let removed = head.post("/canned/bye/delete", &[("csrf", &csrf)]).await;
    assert!(
        removed.body.contains("Canned answer bye removed"),
        "{}",
        removed.body
    );
    let again = head.post("/canned/bye/delete", &[("csrf", &csrf)]).await;
    assert!(again.body.contains("notice alert"));
    desk.say(ANNA, "/c bye").await;
    desk.wait_text(ANNA, "no canned answer").await;
}

#[tokio::test]
async fn staff_sign_in_by_the_username_telegram_last_showed() {
    let desk = Desk::start_with(STAFF, "").await;
    // Before Anna was seen in Telegram, her username is nobody's.
    let mut browser = Browser::new(&desk);
    let early = ask_code(&mut browser, "@user501").await;
    assert!(early.body.contains("6-digit code"));
    desk.say(ANNA, "/stats").await;
    wait_until("Anna's username seen", PROMPTLY, || {
        desk.app.count(
            "SELECT count(*) FROM staff_usernames WHERE staff_id = 501 AND username = 'user501'",
        ) == 1
    })
    .await;
    assert_eq!(desk.app.count("SELECT count(*) FROM console_codes"), 0);

    let step = ask_code(&mut browser, "@User501").await;
    let code = nth_code(&desk, ANNA, 1).await;
    let done = try_code(&mut browser, &step, "@User501", &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(browser.get("/").await.status, StatusCode::OK);

    // Unknown names get the same page and send nothing.
    let mut other = Browser::new(&desk);
    let unknown = ask_code(&mut other, "@nobody_here").await;
    let known = ask_code(&mut other, "@user501").await;
    let same = |page: &Page, who: &str| {
        page.body
            .replace(&format!("value=\"{who}\""), "value=\"ID\"")
    };
    assert_eq!(same(&unknown, "@nobody_here"), same(&known, "@user501"));
    // A customer's username is not a way in either.
    desk.onboard(ANN, "ann@example.com").await;
    ask_code(&mut other, &format!("@user{ANN}")).await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM outbox WHERE chat_id = {ANN} AND params LIKE '%{CODE_TEXT}%'"
        )),
        0
    );
}
