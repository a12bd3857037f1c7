//! The web console end to end (SPEC §8), over real sockets against the real service
//! and the fake Bot API: signing in with a code from the bot, sessions, CSRF, the
//! security headers, the live queue, and a Take from the web racing one from
//! Telegram.

mod support;

use reqwest::StatusCode;
use support::app::{PROMPTLY, wait_until};
use support::console::*;
use support::desk::{ANNA, BORIS, Desk, GROUP, HEAD, STAFF};

#[tokio::test]
async fn a_code_from_the_bot_signs_in_once_and_logout_ends_the_session() {
    let desk = start().await;
    let mut browser = Browser::new(&desk);

    // No session: to the sign-in page.
    let queue = browser.get("/").await;
    assert_eq!(queue.status, StatusCode::SEE_OTHER);
    assert_eq!(queue.location(), Some("/login"));

    let step = ask_code(&mut browser, "501").await;
    assert!(step.body.contains("6-digit code"), "{}", step.body);
    let code = nth_code(&desk, ANNA, 1).await;
    for other in [BORIS, HEAD, GROUP] {
        assert_eq!(
            desk.count_texts(other, CODE_TEXT),
            0,
            "the code went to {other}"
        );
    }

    let done = try_code(&mut browser, &step, "501", &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let session = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("relaydesk_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let token = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("relaydesk_session=")
        .to_string();
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM console_sessions WHERE staff_id = 501 AND token_hash <> '{token}'"
        )),
        1,
        "the token is stored hashed"
    );
    assert_eq!(audit_count(&desk, "login", ANNA), 1);

    let queue = browser.get("/").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.body.contains("Queue") && queue.body.contains("Anna"),
        "{}",
        queue.body
    );

    // A used code fails, in another browser too.
    let mut other = Browser::new(&desk);
    let login = other.get("/login").await;
    let csrf = login.csrf();
    let again = other
        .post(
            "/login/code",
            &[("csrf", &csrf), ("who", "501"), ("code", &code)],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("wrong or no longer valid"),
        "{}",
        again.body
    );
    assert!(other.get("/").await.location() == Some("/login"));

    // The code's text is scrubbed from the outbox once sent.
    let files = desk.app.files.clone();
    wait_until("the code's outbox row to be sent", PROMPTLY, || {
        files.count("SELECT count(*) FROM outbox WHERE coalesce_key = 'console-code:501' AND status = 'sent'") == 1
    })
    .await;
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM outbox WHERE params LIKE '%{code}%' OR result LIKE '%{code}%'"
        )),
        0
    );

    // Logout: a POST without the CSRF token is refused; with it the session ends.
    let refused = browser.post("/logout", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let csrf = queue.csrf();
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/login"));
    // Even with the old cookie again, the session is gone.
    browser.cookies.insert("relaydesk_session".into(), token);
    assert_eq!(browser.get("/").await.location(), Some("/login"));
    assert_eq!(audit_count(&desk, "logout", ANNA), 1);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code_and_a_new_one_works() {
    let desk = start().await;
    let mut browser = Browser::new(&desk);
    let step = ask_code(&mut browser, "502").await;
    let code = nth_code(&desk, BORIS, 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let page = try_code(&mut browser, &step, "502", wrong).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("wrong or no longer valid"));
    }
    let locked = try_code(&mut browser, &step, "502", &code).await;
    assert_eq!(
        locked.status,
        StatusCode::OK,
        "the right code after five wrong ones"
    );
    assert!(locked.body.contains("wrong or no longer valid"));
    assert_eq!(audit_count(&desk, "login_failed", BORIS), 6);
    assert_eq!(
        desk.app.count(
            "SELECT count(*) FROM audit WHERE action = 'login_failed' AND details = 'reason=locked'"
        ),
        1
    );
    assert_eq!(audit_count(&desk, "login", BORIS), 0);

    // A new code (asked from the page of step two) works.
    let csrf = locked.csrf();
    let step = browser
        .post("/login", &[("csrf", &csrf), ("who", "502")])
        .await;
    let code = nth_code(&desk, BORIS, 2).await;
    let done = try_code(&mut browser, &step, "502", &code).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_id_gets_the_same_page_and_no_message() {
    let desk = start().await;
    let mut browser = Browser::new(&desk);
    let unknown = ask_code(&mut browser, "777").await;
    let customer = ask_code(&mut browser, &ANN.to_string()).await;
    let known = ask_code(&mut browser, "501").await;
    let same = |page: &Page, who: &str| {
        page.body
            .replace(&format!("value=\"{who}\""), "value=\"ID\"")
    };
    assert_eq!(same(&unknown, "777"), same(&known, "501"));
    assert_eq!(same(&customer, &ANN.to_string()), same(&known, "501"));
    nth_code(&desk, ANNA, 1).await;
    // Each request was committed before its page: nothing was ever queued for them.
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM outbox WHERE chat_id IN (777, 4242)"),
        0
    );
    assert_eq!(desk.app.count("SELECT count(*) FROM console_codes"), 1);
    // A code typed for an unknown id is refused like a wrong one.
    let page = try_code(&mut browser, &unknown, "777", "123456").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("wrong or no longer valid"));
    assert!(desk.fake.calls().iter().all(|c| c.chat_id() != Some(777)));
}

#[tokio::test]
async fn posts_need_the_csrf_token_and_every_answer_has_the_security_headers() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Hello").await;

    // No token, a wrong one, and another session's: 403, and nothing taken.
    let mut boris = signed_in(&desk, BORIS, 1).await;
    let boris_csrf = boris.get("/").await.csrf();
    let take = format!("/c/{id}/take");
    assert_eq!(anna.post(&take, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        anna.post(&take, &[("csrf", "nope")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        anna.post(&take, &[("csrf", &boris_csrf)]).await.status,
        StatusCode::FORBIDDEN
    );
    // Before a session: the sign-in forms' own token.
    let mut stranger = Browser::new(&desk);
    assert_eq!(
        stranger.post("/login", &[("who", "501")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM communications WHERE id = {id} AND status = 'unassigned'"
        )),
        1
    );
    // Junk from a browser is answered, never a crash.
    assert_eq!(
        anna.post("/c/abc/take", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = anna.get("/").await.csrf();
    assert_eq!(
        anna.post("/c/99999999999999999999/take", &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    for path in ["/login", "/", "/nope", "/assets/htmx.min.js"] {
        for page in [stranger.get(path).await, anna.get(path).await] {
            let h = &page.headers;
            assert_eq!(h["content-security-policy"], "default-src 'self'", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        }
    }
    let htmx = anna.get("/assets/htmx.min.js").await;
    assert!(htmx.body.contains("htmx"), "vendored htmx is served");
}

/// Read the event stream until an event's data contains `needle`.
#[tokio::test]
async fn the_queue_is_live_and_its_stream_ends_when_the_service_stops() {
    let desk = start().await;
    let browser = signed_in(&desk, ANNA, 1).await;
    let mut stream = browser
        .client
        .get(format!("{}/events", browser.base))
        .header("cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "Nobody is waiting").await;

    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "My parcel is late").await;
    read_until(&mut stream, &mut seen, &format!("id=\"c{id}\"")).await;
    assert!(seen.contains("event: queue"), "{seen}");

    // Without a session there is no stream.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/events", browser.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    // Stopping the service ends the stream (and the stop does not wait for it).
    let Desk { app, .. } = desk;
    app.stop().await;
    let ended = tokio::time::timeout(PROMPTLY, async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream outlived the service");
}

#[tokio::test]
async fn a_console_take_and_a_telegram_take_at_once_give_one_winner() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Which of you?").await;
    let csrf = anna.get("/").await.csrf();
    let take = format!("/c/{id}/take");
    let fields = [("csrf", csrf.as_str())];
    let data = format!("t:{id}");
    let (page, ()) = tokio::join!(anna.post(&take, &fields), desk.press(BORIS, GROUP, &data),);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let winner: i64 = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT specialist_id FROM communications WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(winner == ANNA || winner == BORIS, "{winner}");
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'take' AND communication_id = {id}"
        )),
        1
    );
    assert_eq!(audit_count(&desk, "take", winner), 1);
    // The winner gets the customer card in Telegram, whichever front end they used.
    desk.wait_text(winner, &format!("Request #{id}")).await;
    if winner == ANNA {
        assert!(page.body.contains("(you)"), "{}", page.body);
    } else {
        // The console shows the core's refusal, as Telegram would answer the press.
        assert!(
            page.body.contains("class=\"notice alert\"")
                && page.body.contains("already taken by Boris"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains(&format!("id=\"c{id}\"")),
            "not hers to see now"
        );
    }
}

#[tokio::test]
async fn a_reply_from_the_console_reaches_the_customer_and_counts_as_the_first_response() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    let mut boris = signed_in(&desk, BORIS, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Where is my <b>parcel</b>?").await;

    // Unassigned: both may look; the transcript has the customer's message, escaped.
    let page = anna.get(&format!("/c/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Where is my &#60;b&#62;parcel&#60;/b&#62;?"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>parcel"), "escaped");
    assert!(
        !page.body.contains("name=\"text\""),
        "no reply form before the Take"
    );

    // Take from the communication's page, then reply.
    let csrf = page.csrf();
    let taken = anna
        .post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    assert_eq!(taken.status, StatusCode::OK);
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(page.body.contains("name=\"text\""), "{}", page.body);
    let sent = anna
        .post(
            &format!("/c/{id}/reply"),
            &[
                ("csrf", &csrf),
                ("text", "It left the warehouse today & arrives <soon>"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.body.contains("Sent to the customer."), "{}", sent.body);
    assert!(
        sent.body
            .contains("It left the warehouse today &#38; arrives &#60;soon&#62;"),
        "in the transcript: {}",
        sent.body
    );

    // The customer gets it as the specialist's message; the specialist sees it in Telegram.
    let to_ann = desk.wait_text(ANN, "It left the warehouse today").await;
    // Sent as HTML, escaped: Telegram shows the customer exactly what was typed.
    assert_eq!(
        to_ann.text().unwrap(),
        "It left the warehouse today &amp; arrives &lt;soon&gt;"
    );
    assert_eq!(to_ann.str_param("parse_mode").as_deref(), Some("HTML"));
    desk.wait_text(ANNA, "You wrote from the web console").await;
    let (role, kind, sender): (String, String, i64) = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT role, kind, sender_id FROM messages WHERE communication_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (role.as_str(), kind.as_str(), sender),
        ("specialist", "web", ANNA)
    );
    let (by, count): (Option<i64>, i64) = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT first_response_by, specialist_messages FROM comm_figures WHERE communication_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((by, count), (Some(ANNA), 1));
    assert_eq!(audit_count(&desk, "take", ANNA), 1);
    // One audit line for the console's reply, and only for it.
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'reply' AND actor = '{ANNA}' \
             AND communication_id = {id} AND details = 'via=console'"
        )),
        1
    );
    // A reply written in Telegram is logged, not audited.
    desk.say(ANNA, "And a word from Telegram").await;
    wait_until("the Telegram reply logged", PROMPTLY, || {
        desk.app.count(&format!(
            "SELECT count(*) FROM messages WHERE communication_id = {id} AND role = 'specialist'"
        )) == 2
    })
    .await;
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM audit WHERE action = 'reply'"),
        1
    );

    // Not Boris's: he may not see it now, nor reply to it.
    assert_eq!(
        boris.get(&format!("/c/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let boris_csrf = boris.get("/").await.csrf();
    let refused = boris
        .post(
            &format!("/c/{id}/reply"),
            &[("csrf", &boris_csrf), ("text", "Hi from Boris")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM outbox WHERE params LIKE '%Hi from Boris%'"),
        0
    );
    // The controller sees every communication.
    let mut head = signed_in(&desk, HEAD, 1).await;
    let seen = head.get(&format!("/c/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("With Anna"), "{}", seen.body);
    for junk in ["/c/abc", "/c/0", "/c/99999999999999999999", "/c/999"] {
        assert_eq!(head.get(junk).await.status, StatusCode::NOT_FOUND, "{junk}");
    }
}

#[tokio::test]
async fn over_https_the_console_serves_tls_and_the_cookie_is_secure() {
    let desk = Desk::start_with(
        STAFF,
        "[console]\ntls_cert = \"@CERT@\"\ntls_key = \"@KEY@\"\n",
    )
    .await;
    assert!(desk.app.console_url.starts_with("https://"));
    let mut browser = Browser::new(&desk);
    browser.client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(desk.app.files.cert_pem.as_bytes()).unwrap(),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = browser.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.set_cookies().iter().all(|c| c.contains("Secure")));
    let step = ask_code(&mut browser, "501").await;
    let code = nth_code(&desk, ANNA, 1).await;
    let done = try_code(&mut browser, &step, "501", &code).await;
    let session = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("relaydesk_session="))
        .expect("a session cookie");
    assert!(
        session.contains("Secure")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_an_https_proxy_the_cookie_is_secure_too() {
    let desk = Desk::start_with(
        STAFF,
        "[console]\npublic_url = \"https://desk.example.com\"\n",
    )
    .await;
    let mut browser = Browser::new(&desk);
    let step = ask_code(&mut browser, "501").await;
    let code = nth_code(&desk, ANNA, 1).await;
    let done = try_code(&mut browser, &step, "501", &code).await;
    assert!(
        done.set_cookies()
            .iter()
            .any(|c| c.starts_with("relaydesk_session=") && c.contains("Secure"))
    );
}

#[tokio::test]
async fn release_and_close_from_the_console_are_the_buttons_of_telegram() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Please cancel my order").await;
    let csrf = anna.get("/").await.csrf();
    let status = |desk: &Desk| -> String {
        desk.app
            .files
            .db()
            .query_row(
                "SELECT status FROM communications WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };

    // Not hers yet: refused by the core, nothing changes.
    let refused = anna
        .post(&format!("/c/{id}/close"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.body.contains("notice alert"), "{}", refused.body);
    assert_eq!(status(&desk), "unassigned");

    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    let released = anna
        .post(&format!("/c/{id}/release"), &[("csrf", &csrf)])
        .await;
    assert!(released.body.contains("Released"), "{}", released.body);
    assert_eq!(status(&desk), "unassigned");
    assert_eq!(audit_count(&desk, "release", ANNA), 1);

    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    let closed = anna
        .post(&format!("/c/{id}/close"), &[("csrf", &csrf)])
        .await;
    assert!(closed.body.contains("Closed"), "{}", closed.body);
    assert_eq!(status(&desk), "closed");
    assert_eq!(
        desk.app.count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'close' AND actor = '{ANNA}' AND communication_id = {id}"
        )),
        1
    );
    // The customer is asked for a rating, as after a close in Telegram.
    desk.wait_text(ANN, "How would you rate").await;
}

#[tokio::test]
async fn a_note_from_the_console_stays_internal_and_is_audited() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "Refund please").await;
    let csrf = anna.get("/").await.csrf();
    let early = anna
        .post(
            &format!("/c/{id}/note"),
            &[("csrf", &csrf), ("text", "too early")],
        )
        .await;
    assert!(early.body.contains("notice alert"), "{}", early.body);
    anna.post(&format!("/c/{id}/take"), &[("csrf", &csrf)])
        .await;
    let page = anna
        .post(
            &format!("/c/{id}/note"),
            &[("csrf", &csrf), ("text", "VIP, check the VAT")],
        )
        .await;
    assert!(page.body.contains("Note saved"), "{}", page.body);
    assert!(page.body.contains("(internal note)") && page.body.contains("VIP, check the VAT"));
    desk.wait_text(ANNA, &format!("Note on request #{id} saved"))
        .await;
    assert_eq!(audit_count(&desk, "note", ANNA), 1);
    assert!(
        desk.fake
            .calls()
            .iter()
            .filter(|c| c.chat_id() == Some(ANN))
            .all(|c| !c.params.to_string().contains("VIP")),
        "a note never reaches the customer"
    );
    assert_eq!(
        desk.app
            .count("SELECT count(*) FROM messages WHERE text = 'too early'"),
        0
    );
}

/// A raw request for `path` exactly as written (no client normalises it): the
/// status code.
async fn raw_status(browser: &Browser, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = browser.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        browser.cookie_header()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[tokio::test]
async fn a_communications_files_are_served_and_nothing_else() {
    use support::desk::{document, photo};
    const BOB: i64 = 4343;
    let desk = start().await;
    let photo_bytes: Vec<u8> = (0..5_000u32).map(|i| (i * 7 % 256) as u8).collect();
    desk.fake.add_file("photo-1", photo_bytes.clone());
    desk.fake
        .add_file("doc-1", b"Bob's private contract".to_vec());
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(BOB, "bob@example.com").await;
    let id = desk.request(ANN, "The screen is cracked").await;
    let other = desk.request(BOB, "My contract").await;
    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_text(ANNA, &format!("Request #{id}")).await;
    desk.press(BORIS, GROUP, &format!("t:{other}")).await;
    desk.wait_text(BORIS, &format!("Request #{other}")).await;
    desk.send(ANN, photo("photo-1", Some("see"), None)).await;
    desk.send(BOB, document("doc-1", "contract.pdf")).await;
    let files = desk.app.files.clone();
    wait_until("both files saved", PROMPTLY, || {
        files.count("SELECT count(*) FROM archive_files WHERE status = 'saved'") == 2
    })
    .await;
    let name_of = |comm: i64| -> String {
        desk.app
            .files
            .db()
            .query_row(
                "SELECT saved_name FROM archive_files WHERE communication_id = ?1",
                [comm],
                |r| r.get(0),
            )
            .unwrap()
    };
    let (photo_name, contract) = (name_of(id), name_of(other));

    // The page shows the photo inline, and the file is served as it was saved.
    let page = anna.get(&format!("/c/{id}")).await;
    assert!(
        page.body
            .contains(&format!("<img src=\"/c/{id}/files/{photo_name}\"")),
        "{}",
        page.body
    );
    let response = anna
        .client
        .get(format!("{}/c/{id}/files/{photo_name}", anna.base))
        .header("cookie", anna.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().to_vec(), photo_bytes);

    // Another communication's file, under this one or its own (Boris's): never.
    assert_eq!(
        anna.get(&format!("/c/{id}/files/{contract}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anna.get(&format!("/c/{other}/files/{contract}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Ways out of the folder, as a browser or a hand-made request sends them.
    let key = "relaydesk.key";
    for path in [
        format!("/c/{id}/files/../../../../db/{key}"),
        format!("/c/{id}/files/..%2F..%2F..%2F..%2Fdb%2F{key}"),
        format!("/c/{id}/files/%2e%2e%2f%2e%2e%2f{key}"),
        format!("/c/{id}/files/..%5c..%5c{key}"),
        format!("/c/{id}/files/.."),
        format!("/c/{id}/files/%2e%2e"),
        format!("/c/{id}/files/{photo_name}%00.txt"),
        format!("/c/{id}/files/"),
        format!("/c/{id}/files/%ff%fe"),
    ] {
        let status = raw_status(&anna, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    // Signed out: no file at all.
    let mut stranger = Browser::new(&desk);
    assert_eq!(
        stranger
            .get(&format!("/c/{id}/files/{photo_name}"))
            .await
            .location(),
        Some("/login")
    );
}

#[tokio::test]
async fn the_audit_log_is_for_controllers_only() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    assert_eq!(anna.get("/audit").await.status, StatusCode::FORBIDDEN);
    assert!(!anna.get("/").await.body.contains("href=\"/audit\""));
    let mut head = signed_in(&desk, HEAD, 1).await;
    let page = head.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Anna (501)") && page.body.contains("login"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Head of support (900)"), "{}", page.body);
    assert!(!page.body.contains("Older"), "one page");
    assert_eq!(
        head.get("/audit?before=x").await.status,
        StatusCode::BAD_REQUEST
    );
    let older = head.get("/audit?before=1").await;
    assert!(
        older.body.contains("Nothing recorded yet"),
        "{}",
        older.body
    );
    let mut stranger = Browser::new(&desk);
    assert_eq!(stranger.get("/audit").await.location(), Some("/login"));
}

#[tokio::test]
async fn customers_are_searched_and_show_their_requests() {
    let desk = start().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.onboard(4343, "bob@example.com").await;
    let id = desk.request(ANN, "Hello").await;
    let all = anna.get("/customers").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("/customers/4242") && all.body.contains("/customers/4343"));
    let found = anna.get("/customers?q=ANN%40example").await;
    assert!(found.body.contains("ann@example.com"), "{}", found.body);
    assert!(!found.body.contains("bob@example.com"), "{}", found.body);
    let by_id = anna.get("/customers?q=4343").await;
    assert!(by_id.body.contains("bob@example.com") && !by_id.body.contains("ann@example.com"));
    let none = anna.get("/customers?q=%25").await;
    assert!(none.body.contains("No customer found"), "{}", none.body);
    let one = anna.get("/customers/4242").await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(
        one.body.contains(&format!("href=\"/c/{id}\"")),
        "{}",
        one.body
    );
    assert_eq!(
        anna.get("/customers/abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(anna.get("/customers/1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        anna.get("/customers?after=x").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn with_departments_a_specialist_queues_only_their_departments() {
    let desk = Desk::with_departments().await;
    let mut anna = signed_in(&desk, ANNA, 1).await;
    let mut boris = signed_in(&desk, BORIS, 1).await;
    let mut head = signed_in(&desk, HEAD, 1).await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.say(ANN, "My server is down").await;
    desk.wait_text(ANN, "choose the topic").await;
    let id: i64 = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT id FROM communications WHERE customer_id = ?1",
            [ANN],
            |r| r.get(0),
        )
        .unwrap();
    // Still choosing: in nobody's queue.
    assert!(!head.get("/").await.body.contains(&format!("id=\"c{id}\"")));
    desk.press(ANN, ANN, &format!("dp:{id}:2")).await;
    desk.wait_text(ANN, "is received").await;
    let row = format!("id=\"c{id}\"");
    assert!(
        boris.get("/").await.body.contains(&row),
        "Tech's specialist"
    );
    assert!(head.get("/").await.body.contains(&row), "the controller");
    assert!(
        !anna.get("/").await.body.contains(&row),
        "Billing's specialist"
    );
}
