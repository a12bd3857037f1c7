//! Response-time figures (SPEC §6.1) and `/stats` (§6.4), end to end: the figures
//! recorded per communication as it happens, and what specialists and controllers
//! see of them.

mod support;

use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD};

const CUSTOMERS: [i64; 3] = [4242, 4343, 4444];

/// A customer's request, taken by Anna, answered, and closed.
async fn served(desk: &Desk, customer: i64, n: usize) -> i64 {
    let id = desk.request(customer, &format!("help me, {n}")).await;
    desk.say(customer, "more details").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_text(ANNA, "<b>History</b>").await;
    desk.say(ANNA, &format!("here is the answer {n}")).await;
    desk.say(customer, "thanks").await;
    desk.say(ANNA, "you're welcome").await;
    desk.wait_copies(customer, 2).await;
    desk.say(ANNA, "/close").await;
    desk.wait_text(customer, &format!("#{id}</b> is closed"))
        .await;
    id
}

#[tokio::test]
async fn figures_are_recorded_and_stats_show_them_to_each_role() {
    let desk = Desk::start().await;
    for (n, customer) in CUSTOMERS.iter().enumerate() {
        desk.onboard(*customer, &format!("c{n}@example.com")).await;
        served(&desk, *customer, n).await;
    }
    // Two of the three rate the help: a 4 and a 2.
    desk.press(CUSTOMERS[0], CUSTOMERS[0], "rt:1:4").await;
    desk.wait_answer("Your rating: 4").await;
    desk.press(CUSTOMERS[1], CUSTOMERS[1], "rt:2:2").await;
    desk.wait_answer("Your rating: 2").await;
    desk.drained().await;

    // The figures in the database: three communications, each with its counts and
    // Anna credited with the first response.
    let files = &desk.app.files;
    assert_eq!(
        files.count(&format!(
            "SELECT count(*) FROM comm_figures WHERE first_response_by = {ANNA}
               AND customer_messages = 3 AND specialist_messages = 2 AND waits = 2
               AND resolution_s IS NOT NULL AND time_to_take_s IS NOT NULL
               AND first_response_s >= time_to_take_s AND resolution_s >= first_response_s"
        )),
        3
    );

    // Anna's own stats: taken 3, closed 3, first-response figures from the
    // recorded ones.
    desk.say(ANNA, "/stats").await;
    let stats = desk.wait_text(ANNA, "Today:").await;
    let text = stats.text().unwrap_or_default().to_string();
    assert!(text.contains("taken 3 · closed 3"), "{text}");
    assert!(text.contains("score 50 % (2)"), "{text}");
    let median = files.count(
        "SELECT first_response_s FROM comm_figures ORDER BY first_response_s LIMIT 1 OFFSET 1",
    );
    assert!(
        text.contains(&format!("median {median} s")),
        "median {median} s expected: {text}"
    );
    assert!(text.contains("no current request"), "{text}");
    assert_eq!(
        stats.buttons(),
        vec![("30 days".to_string(), "st:30".to_string())]
    );

    // The 30-day button edits the same message in place.
    let message_id = stats.message_id().expect("sent");
    desk.press_on(ANNA, ANNA, message_id, "st:30").await;
    let edited = desk
        .fake
        .wait_for("the stats for 30 days", desk.timeout(), |calls| {
            calls.iter().any(|c| {
                c.is("editMessageText")
                    && c.params["message_id"] == message_id
                    && c.text().is_some_and(|t| t.contains("Last 30 days"))
            })
        })
        .await;
    assert!(
        edited
            .iter()
            .any(|c| c.is("editMessageText") && c.text().is_some_and(|t| t.contains("taken 3")))
    );

    // Boris took nothing; the controller sees both, the team's totals and the queue.
    desk.say(BORIS, "/stats").await;
    let boris = desk.wait_text(BORIS, "Today:").await;
    assert!(
        boris
            .text()
            .unwrap_or_default()
            .contains("taken 0 · closed 0")
    );
    desk.say(HEAD, "/stats").await;
    let team = desk.wait_text(HEAD, "The team").await;
    let text = team.text().unwrap_or_default().to_string();
    assert!(text.contains("<b>Anna</b>: taken 3 · closed 3"), "{text}");
    assert!(text.contains("<b>Boris</b>: taken 0 · closed 0"), "{text}");
    assert!(text.contains("Total:</b> taken 3 · closed 3"), "{text}");
    assert!(text.contains("Queue now:</b> 0 waiting"), "{text}");

    // The export of communications: the columns of SPEC §9 in order, times in
    // ISO 8601 UTC, the figures as recorded (and as /stats showed them).
    let csv = desk.export("communications", "csv", &[]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,customer_id,department,status,opened_at,taken_at,first_response_at,closed_at,\
             close_reason,specialist_id,time_to_take_s,first_response_s,resolution_s,\
             customer_messages,specialist_messages,transfers,rating"
        )
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    let mut exported_first: Vec<i64> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(row[0], id.to_string());
        assert_eq!(row[1], CUSTOMERS[i].to_string());
        assert_eq!((row[2].as_str(), row[3].as_str()), ("", "closed"));
        for t in [4, 5, 6, 7] {
            assert!(
                row[t].len() == 20 && row[t].ends_with('Z') && row[t].as_bytes()[10] == b'T',
                "{row:?}"
            );
        }
        assert_eq!(row[8], "specialist");
        assert_eq!(row[9], ANNA.to_string());
        let recorded = files.count(&format!(
            "SELECT first_response_s FROM comm_figures WHERE communication_id = {id}"
        ));
        assert_eq!(row[11], recorded.to_string(), "{row:?}");
        exported_first.push(row[11].parse().unwrap());
        assert_eq!((row[13].as_str(), row[14].as_str()), ("3", "2"));
        assert_eq!(row[15], "0");
    }
    assert_eq!(
        rows.iter().map(|r| r[16].as_str()).collect::<Vec<_>>(),
        ["4", "2", ""]
    );
    exported_first.sort_unstable();
    assert_eq!(exported_first[1], median, "the median /stats showed");

    // The histograms of /metrics hold the three first responses and resolutions.
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", desk.app.admin_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in ["first_response_seconds", "resolution_seconds"] {
        assert!(
            metrics.contains(&format!("# TYPE relaydesk_{name} histogram")),
            "{metrics}"
        );
        assert!(
            metrics.contains(&format!("relaydesk_{name}_count 3")),
            "{metrics}"
        );
        assert!(
            metrics.contains(&format!("relaydesk_{name}_bucket{{le=\"+Inf\"}} 3")),
            "{metrics}"
        );
    }

    assert!(
        metrics.contains("relaydesk_ratings_recorded_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("relaydesk_reminders_sent_total 0"),
        "{metrics}"
    );

    // A customer has no /stats.
    desk.say(CUSTOMERS[0], "/stats").await;
    desk.wait_text(CUSTOMERS[0], "do not know this command")
        .await;
}

#[tokio::test]
async fn the_daily_report_reaches_the_controllers_once_a_day_across_a_restart() {
    // A report time already past today: the day's report goes at start.
    let desk = Desk::start_with(support::desk::STAFF, "[reports]\ndaily_at = \"00:00\"\n").await;
    let report = desk.wait_text(HEAD, "The day's figures").await;
    let text = report.text().unwrap_or_default().to_string();
    assert!(text.contains("<b>Anna</b>: taken 0"), "{text}");
    assert!(text.contains("<b>Boris</b>: taken 0"), "{text}");
    // Only controllers get it.
    assert_eq!(desk.count_texts(GROUP, "The day's figures"), 0);
    assert_eq!(desk.count_texts(ANNA, "The day's figures"), 0);
    desk.drained().await;

    let Desk {
        fake, sink, app, ..
    } = desk;
    let app = app.restart().await;
    let desk = Desk::resume(fake, sink, app);
    // Something after the restart that goes through the service, then nothing more.
    desk.say(HEAD, "/stats").await;
    desk.wait_text(HEAD, "The team, last 7 days").await;
    desk.drained().await;
    assert_eq!(desk.count_texts(HEAD, "The day's figures"), 1);
}
