mod support;

use std::time::{Duration, Instant};

use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Email, Tokio1Executor};
use serde_json::{Value, json};
use support::fake_bot::{
    self, Action, BOT_ID, FakeBot, Rule, TOKEN, update_callback_query, update_document,
    update_message,
};
use support::smtp_sink::SmtpSink;
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
    Update, UpdateKind,
};
use teloxide::{ApiError, RequestError};

const WAIT: Duration = Duration::from_secs(5);

fn bot(fake: &FakeBot) -> Bot {
    Bot::new(TOKEN).set_api_url(reqwest::Url::parse(&fake.url).unwrap())
}

fn method_url(fake: &FakeBot, method: &str) -> String {
    format!("{}/bot{TOKEN}/{method}", fake.url)
}

async fn raw(fake: &FakeBot, method: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(method_url(fake, method))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[tokio::test]
async fn teloxide_send_copy_and_edit_parse() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);

    let m1 = bot.send_message(ChatId(42), "hi").await.unwrap();
    assert_eq!(m1.id, MessageId(1));
    assert_eq!(m1.chat.id, ChatId(42));
    assert_eq!(m1.text(), Some("hi"));
    assert_eq!(m1.from.as_ref().map(|u| u.id.0 as i64), Some(BOT_ID));
    let m2 = bot.send_message(ChatId(42), "second").await.unwrap();
    assert_eq!(m2.id, MessageId(2));

    // Group chat, own counter, inline keyboard echoed back.
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Take", "t:1")]]);
    let g = bot
        .send_message(ChatId(-100500), "<b>new</b> request #1")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb.clone())
        .await
        .unwrap();
    assert_eq!(g.id, MessageId(1));
    assert_eq!(g.text(), Some("new request #1"));
    assert!(g.reply_markup().is_some());

    let copied = bot
        .copy_message(ChatId(-100500), ChatId(42), m1.id)
        .await
        .unwrap();
    assert_eq!(copied, MessageId(2));
    let many = bot
        .copy_messages(ChatId(7), ChatId(42), vec![m1.id, m2.id])
        .await
        .unwrap();
    assert_eq!(many, vec![MessageId(1), MessageId(2)]);
    let fwd = bot
        .forward_message(ChatId(7), ChatId(42), m2.id)
        .await
        .unwrap();
    assert_eq!(fwd.id, MessageId(3));
    assert_eq!(fwd.text(), Some("second"));

    // Replies carry the original.
    let r = bot
        .send_message(ChatId(42), "reply")
        .reply_parameters(teloxide::types::ReplyParameters::new(m1.id))
        .await
        .unwrap();
    assert_eq!(r.reply_to_message().and_then(|m| m.text()), Some("hi"));

    // Edits: keep the id, "not modified" when nothing changes, drop the keyboard.
    let e = bot
        .edit_message_text(ChatId(-100500), g.id, "taken by Ann")
        .await
        .unwrap();
    assert_eq!(e.id, g.id);
    assert_eq!(e.text(), Some("taken by Ann"));
    assert!(e.reply_markup().is_none());
    let err = bot
        .edit_message_text(ChatId(-100500), g.id, "taken by Ann")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );
    let e = bot
        .edit_message_reply_markup(ChatId(-100500), g.id)
        .reply_markup(kb)
        .await
        .unwrap();
    assert!(e.reply_markup().is_some());
    let err = bot
        .edit_message_text(ChatId(-100500), MessageId(999), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{err:?}"
    );

    // Recorded as sent by teloxide.
    let sends = fake.calls_of("sendMessage");
    assert_eq!(sends.len(), 4);
    assert_eq!(sends[0].method, "SendMessage");
    assert_eq!(sends[0].chat_id(), Some(42));
    assert_eq!(sends[0].text().as_deref(), Some("hi"));
    assert_eq!(sends[0].message_id(), Some(1));
    assert_eq!(sends[2].buttons(), vec![("Take".into(), "t:1".into())]);
    assert_eq!(fake.delivered("editMessageText").len(), 1);
    assert_eq!(fake.calls_of("editmessagetext").len(), 3);
    assert_eq!(fake.texts_to(42), vec!["hi", "second", "reply"]);
}

#[tokio::test]
async fn teloxide_media_sends_parse() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    let chat = ChatId(42);
    let file = || InputFile::memory(b"file-bytes".to_vec()).file_name("report.pdf");

    let d = bot
        .send_document(chat, file())
        .caption("the report")
        .await
        .unwrap();
    let doc = d.document().expect("document");
    assert_eq!(doc.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(d.caption(), Some("the report"));
    // The uploaded file is downloadable through getFile.
    assert_eq!(
        fake.file_bytes(&doc.file.id.0).as_deref(),
        Some(&b"file-bytes"[..])
    );
    let call = &fake.calls_of("sendDocument")[0];
    assert_eq!(
        call.file("document").map(|f| f.2.clone()),
        Some(b"file-bytes".to_vec())
    );
    assert_eq!(call.text().as_deref(), Some("the report"));

    assert!(
        bot.send_photo(chat, file())
            .await
            .unwrap()
            .photo()
            .is_some()
    );
    assert!(
        bot.send_video(chat, file())
            .await
            .unwrap()
            .video()
            .is_some()
    );
    assert!(
        bot.send_audio(chat, file())
            .await
            .unwrap()
            .audio()
            .is_some()
    );
    assert!(
        bot.send_voice(chat, file())
            .await
            .unwrap()
            .voice()
            .is_some()
    );
    assert!(
        bot.send_animation(chat, file())
            .await
            .unwrap()
            .animation()
            .is_some()
    );
    assert!(
        bot.send_sticker(chat, InputFile::file_id(FileId("CAACAgI".into())))
            .await
            .unwrap()
            .sticker()
            .is_some()
    );
    assert!(
        bot.send_video_note(chat, file())
            .await
            .unwrap()
            .video_note()
            .is_some()
    );
    assert!(
        bot.send_contact(chat, "+100", "Ann")
            .await
            .unwrap()
            .contact()
            .is_some()
    );
    assert!(
        bot.send_location(chat, 52.5, 13.4)
            .await
            .unwrap()
            .location()
            .is_some()
    );
    assert!(
        bot.send_venue(chat, 52.5, 13.4, "Office", "Street 1")
            .await
            .unwrap()
            .venue()
            .is_some()
    );
    let group = bot
        .send_media_group(
            chat,
            vec![
                teloxide::types::InputMedia::Photo(teloxide::types::InputMediaPhoto::new(file())),
                teloxide::types::InputMedia::Photo(
                    teloxide::types::InputMediaPhoto::new(file()).caption("album"),
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(group.len(), 2);
    assert!(group[0].media_group_id().is_some());
    let c = bot
        .edit_message_caption(chat, d.id)
        .caption("new caption")
        .await
        .unwrap();
    assert_eq!(c.caption(), Some("new caption"));
    let info = bot.get_chat(chat).await.unwrap();
    assert_eq!(info.id, chat);
    let info = bot.get_chat(ChatId(-100777)).await.unwrap();
    assert!(info.is_supergroup());
    bot.send_chat_action(chat, teloxide::types::ChatAction::Typing)
        .await
        .unwrap();
    bot.delete_message(chat, d.id).await.unwrap();
    let calls = fake.calls();
    assert!(calls.iter().all(|c| c.ok), "{}", fake.dump());
    assert!(bot.delete_message(chat, d.id).await.is_err());
}

#[tokio::test]
async fn teloxide_webhook_me_and_multipart_certificate() {
    install_crypto();
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    let cert = rcgen::generate_simple_self_signed(vec!["bot.example.com".into()]).unwrap();
    let pem = cert.cert.pem();
    let url = reqwest::Url::parse("https://bot.example.com:8443/telegram").unwrap();

    bot.set_webhook(url.clone())
        .certificate(InputFile::memory(pem.clone().into_bytes()))
        .secret_token("s3cret_-".to_owned())
        .max_connections(10)
        .await
        .unwrap();
    let call = &fake.calls_of("setWebhook")[0];
    assert_eq!(call.method, "SetWebhook");
    assert_eq!(call.str_param("secret_token").as_deref(), Some("s3cret_-"));
    let cert_part = call.file("certificate").expect("certificate part");
    assert_eq!(cert_part.2, pem.as_bytes());
    let (_, _, bytes) = call
        .files
        .iter()
        .find(|(field, _, _)| field == "certificate")
        .expect("part named after the parameter");
    assert_eq!(bytes, pem.as_bytes());
    assert_eq!(fake.webhook_url().as_deref(), Some(url.as_str()));
    let hook = fake.webhook().unwrap();
    assert_eq!(hook.certificate.as_deref(), Some(pem.as_bytes()));
    assert_eq!(hook.secret_token.as_deref(), Some("s3cret_-"));

    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.as_ref(), Some(&url));
    assert!(info.has_custom_certificate);
    assert_eq!(info.max_connections, Some(10));

    // getUpdates is refused while a webhook is set.
    let err = bot.get_updates().await.unwrap_err();
    assert!(matches!(err, RequestError::Api(_)), "{err:?}");

    // Real Telegram rules for the URL.
    let bad = bot
        .set_webhook(reqwest::Url::parse("https://bot.example.com:9999/x").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(bad, RequestError::Api(ApiError::BadWebhookPort)),
        "{bad:?}"
    );

    bot.delete_webhook().await.unwrap();
    assert_eq!(fake.webhook_url(), None);
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, None);
    assert!(!info.has_custom_certificate);

    let me = bot.get_me().await.unwrap();
    assert_eq!(me.user.id.0 as i64, BOT_ID);
    assert_eq!(me.username(), fake_bot::BOT_USERNAME);

    bot.set_my_commands(vec![teloxide::types::BotCommand::new("service", "Menu")])
        .await
        .unwrap();
    bot.answer_callback_query(teloxide::types::CallbackQueryId("1".into()))
        .text("ok")
        .await
        .unwrap();
    assert_eq!(fake.delivered("setMyCommands").len(), 1);
}

#[tokio::test]
async fn webhook_delivery_over_https_with_uploaded_certificate() {
    install_crypto();
    let fake = FakeBot::start().await;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let pem = cert.cert.pem();

    // A tiny HTTPS server standing in for the service's webhook listener.
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((s, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(s).await else {
                continue;
            };
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            loop {
                let n = tls.read(&mut buf).await.unwrap_or(0);
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if n == 0 || text.contains("\"update_id\"") && text.trim_end().ends_with('}') {
                    break;
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&got).into_owned());
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            let _ = tls.shutdown().await;
        }
    });

    let bot = bot(&fake);
    bot.set_webhook(reqwest::Url::parse("https://localhost:8443/hook").unwrap())
        .certificate(InputFile::memory(pem.into_bytes()))
        .secret_token("abc".to_owned())
        .await
        .unwrap();
    let update = update_message(10, 42, "hello");
    let (status, _) = fake.deliver_update(&update, Some(addr)).await.unwrap();
    assert_eq!(status, 200);
    let request = rx.recv().await.unwrap();
    assert!(request.starts_with("POST /hook HTTP/1.1"), "{request}");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("x-telegram-bot-api-secret-token: abc")
    );
    assert!(request.contains("\"hello\""));
}

#[tokio::test]
async fn raw_json_form_query_and_wrong_token() {
    let fake = FakeBot::start().await;
    let (status, body) = raw(&fake, "sendMessage", json!({"chat_id": 7, "text": "raw"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["message_id"], 1);
    assert_eq!(body["result"]["chat"]["type"], "private");
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "sendMessage");
    assert_eq!(calls[0].params, json!({"chat_id": 7, "text": "raw"}));
    assert!(calls[0].is("SENDMESSAGE"));
    assert_eq!(calls[0].status, 200);

    let client = reqwest::Client::new();
    let resp = client
        .post(method_url(&fake, "sendMessage"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("chat_id=-100&text=a+b%26c")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let c = fake.calls().pop().unwrap();
    assert_eq!(c.chat_id(), Some(-100));
    assert_eq!(c.text().as_deref(), Some("a b&c"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["result"]["chat"]["type"], "supergroup");

    let resp = client
        .get(format!(
            "{}?chat_id=5&text=q",
            method_url(&fake, "sendMessage")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(fake.calls().pop().unwrap().chat_id(), Some(5));

    let resp = client
        .post(format!("{}/botWRONG:token/sendMessage", fake.url))
        .json(&json!({"chat_id": 1, "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    let unauthorized = fake.calls().pop().unwrap();
    assert_eq!((unauthorized.status, unauthorized.ok), (401, false));

    // Validation like Telegram.
    let cases = [
        (json!({"text": "x"}), "Bad Request: chat_id is empty"),
        (json!({"chat_id": 1}), "Bad Request: message text is empty"),
        (
            json!({"chat_id": 1, "text": "a".repeat(4097)}),
            "Bad Request: message is too long",
        ),
        (
            json!({"chat_id": 1, "text": "😀".repeat(2049)}),
            "Bad Request: message is too long",
        ),
        (
            json!({"chat_id": 1, "text": "a < b", "parse_mode": "HTML"}),
            "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2",
        ),
        (
            json!({"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}),
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        (
            json!({"chat_id": 1, "text": "v1.2", "parse_mode": "MarkdownV2"}),
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
    ];
    for (params, want) in cases {
        let (status, body) = raw(&fake, "sendMessage", params.clone()).await;
        assert_eq!(status, 400, "{params}");
        assert_eq!(body["description"], want, "{params}");
        assert_eq!(body["error_code"], 400);
    }
    for ok in [
        json!({"chat_id": 1, "text": "😀".repeat(2048)}),
        json!({"chat_id": 1, "text": format!("<b>{}</b>", "a".repeat(4096)), "parse_mode": "HTML"}),
        json!({"chat_id": 1, "text": "a &lt; b &amp; <a href=\"https://x\">c</a>", "parse_mode": "HTML"}),
        json!({"chat_id": 1, "text": "*bold* _it_ v1\\.2 [l](https://x.y/a\\)b) `co.de`", "parse_mode": "MarkdownV2"}),
    ] {
        let (status, body) = raw(&fake, "sendMessage", ok.clone()).await;
        assert_eq!(status, 200, "{ok} {body}");
    }
    let (_, body) = raw(
        &fake,
        "sendMessage",
        json!({"chat_id": 1, "text": "a &lt; b", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(body["result"]["text"], "a < b");

    let (status, body) = raw(&fake, "someFutureMethod", json!({})).await;
    assert_eq!((status, body["result"].clone()), (200, json!(true)));
}

#[tokio::test]
async fn rules_retry_after_server_error_forbidden_hang() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);

    fake.push_rule(
        Rule::new(Action::RetryAfter(2))
            .method("sendMessage")
            .times(1),
    );
    let err = bot.send_message(ChatId(1), "a").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 2),
        "{err:?}"
    );
    bot.send_message(ChatId(1), "a").await.unwrap();
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls[0].status, 429);
    assert_eq!(calls[0].response["parameters"]["retry_after"], 2);
    assert_eq!(
        calls[0].response["description"],
        "Too Many Requests: retry after 2"
    );
    assert!(!calls[0].ok);
    assert!(calls[1].ok);
    assert_eq!(calls[1].message_id(), Some(1), "failed calls use no id");

    // Chat-scoped Forbidden until cleared.
    fake.push_rule(
        Rule::new(Action::Forbidden(
            "Forbidden: bot was blocked by the user".into(),
        ))
        .chat(99),
    );
    for _ in 0..2 {
        let err = bot.send_message(ChatId(99), "x").await.unwrap_err();
        assert!(
            matches!(err, RequestError::Api(ApiError::BotBlocked)),
            "{err:?}"
        );
    }
    bot.send_message(ChatId(98), "x").await.unwrap();
    fake.clear_rules();
    bot.send_message(ChatId(99), "x").await.unwrap();

    // ServerError (raw client: teloxide waits 10 s after a 5xx).
    fake.push_rule(Rule::new(Action::ServerError).times(1));
    let (status, body) = raw(&fake, "sendMessage", json!({"chat_id": 1, "text": "x"})).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"})
    );
    fake.push_rule(Rule::new(Action::BadRequest("Bad Request: chat not found".into())).times(1));
    let err = bot.send_message(ChatId(5), "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
    fake.push_rule(Rule::new(Action::MigrateToChat(-1009)).times(1));
    let err = bot.send_message(ChatId(-5), "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::MigrateToChatId(c) if c == ChatId(-1009)),
        "{err:?}"
    );

    // Hang: the client times out, the call stays recorded with status 0.
    fake.push_rule(Rule::new(Action::Hang).method("sendDocument"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .post(method_url(&fake, "sendDocument"))
        .json(&json!({"chat_id": 1, "document": "abc"}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let hung = fake.calls_of("sendDocument");
    assert_eq!(hung.len(), 1);
    assert_eq!(hung[0].status, 0);
    assert!(!hung[0].ok);
    // Other methods still work while one hangs.
    bot.send_message(ChatId(1), "still alive").await.unwrap();
}

#[tokio::test]
async fn get_file_and_download() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let path = fake.add_file("doc-1", bytes.clone());

    let file = bot.get_file(FileId("doc-1".into())).await.unwrap();
    assert_eq!(file.path, path);
    assert_eq!(file.size, 70_000);
    let got = reqwest::get(format!("{}/file/bot{TOKEN}/{}", fake.url, file.path))
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    assert_eq!(fake.downloads(), vec![path.clone()]);

    // teloxide's own downloader.
    use teloxide::net::Download;
    let mut out = Vec::new();
    bot.download_file(&file.path, &mut out).await.unwrap();
    assert_eq!(out, bytes);

    // Rules never apply to downloads.
    fake.push_rule(Rule::new(Action::ServerError).method("getFile"));
    fake.push_rule(Rule::new(Action::Hang));
    let got = reqwest::get(format!("{}/file/bot{TOKEN}/{path}", fake.url))
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    fake.clear_rules();

    let missing = reqwest::get(format!("{}/file/bot{TOKEN}/nope", fake.url))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let err = bot.get_file(FileId("unknown".into())).await.unwrap_err();
    assert!(format!("{err:?}").contains("invalid file_id"), "{err:?}");
    fake.add_file_of_size("huge", 21 * 1024 * 1024);
    let err = bot.get_file(FileId("huge".into())).await.unwrap_err();
    assert!(format!("{err:?}").contains("file is too big"), "{err:?}");
}

#[tokio::test]
async fn get_updates_offsets_and_long_poll() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    fake.push_update(update_message(1, 42, "/start"));
    fake.push_update(update_message(2, 42, "hello"));

    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 2);
    match &updates[0].kind {
        UpdateKind::Message(m) => {
            assert_eq!(m.text(), Some("/start"));
            assert_eq!(m.chat.id, ChatId(42));
            assert_eq!(
                m.from.as_ref().unwrap().language_code.as_deref(),
                Some("en")
            );
            let e = m.entities().unwrap();
            assert_eq!(e[0].kind, teloxide::types::MessageEntityKind::BotCommand);
            assert_eq!(e[0].length, 6);
        }
        other => panic!("{other:?}"),
    }
    // offset confirms: update 1 is gone for good.
    let updates = bot.get_updates().offset(2).await.unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), vec![2]);
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), vec![2]);
    let limited = bot.get_updates().limit(1).await.unwrap();
    assert_eq!(limited.len(), 1);
    let empty = bot.get_updates().offset(3).timeout(0).await.unwrap();
    assert!(empty.is_empty());
    assert!(fake.pending_updates().is_empty());

    // Long poll: answered as soon as an update is pushed.
    let poller = {
        let bot = bot.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let u: Vec<Update> = bot.get_updates().offset(3).timeout(20).await.unwrap();
            (u, t.elapsed())
        })
    };
    fake.wait_for("long poll pending", WAIT, |calls| {
        calls
            .iter()
            .any(|c| c.is("getUpdates") && c.status == 0 && c.int_param("offset") == Some(3))
    })
    .await;
    assert_eq!(fake.next_update_id(), 3);
    fake.push_update(update_callback_query(3, 42, -100, 5, "t:1"));
    let (u, elapsed) = poller.await.unwrap();
    assert_eq!(u.len(), 1);
    assert!(matches!(u[0].kind, UpdateKind::CallbackQuery(_)));
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    // Timeout with nothing to answer.
    let t = Instant::now();
    let u = bot.get_updates().offset(4).timeout(1).await.unwrap();
    assert!(u.is_empty());
    assert!(t.elapsed() >= Duration::from_millis(900));

    // The recorded offsets.
    let offsets: Vec<Option<i64>> = fake
        .calls_of("getUpdates")
        .iter()
        .map(|c| c.int_param("offset"))
        .collect();
    assert_eq!(
        offsets,
        vec![None, Some(2), None, None, Some(3), Some(3), Some(4)]
    );

    // Update builders parse, and remembered messages can be copied with content.
    let doc = update_document(0, 42, "file-9", "a.pdf", 10, Some("cap"));
    let id = fake.push_update(json!({"message": doc["message"].clone()}));
    assert_eq!(id, 4);
    let u = bot.get_updates().offset(4).await.unwrap();
    assert!(matches!(&u[0].kind, UpdateKind::Message(m) if m.document().is_some()));
    let t = fake.text_update(42, "typed");
    let parsed: Update = serde_json::from_value(t.clone()).unwrap();
    assert_eq!(parsed.id.0, 5);
    let src_id = t["message"]["message_id"].as_i64().unwrap();
    let sent = bot.send_message(ChatId(42), "after").await.unwrap();
    assert!(sent.id.0 as i64 > src_id);
    let copy = bot
        .copy_message(ChatId(7), ChatId(42), MessageId(src_id as i32))
        .await
        .unwrap();
    let stored = fake.message(7, copy.0 as i64).unwrap();
    assert_eq!(stored["text"], "typed");
}

#[tokio::test]
async fn newer_get_updates_terminates_older() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    let old = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.get_updates().timeout(30).await })
    };
    fake.wait_for("first poll pending", WAIT, |c| {
        c.iter().any(|c| c.is("getUpdates") && c.status == 0)
    })
    .await;
    let newer = bot.get_updates().timeout(0).await.unwrap();
    assert!(newer.is_empty());
    let err = old.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{err:?}"
    );
}

#[tokio::test]
#[should_panic(expected = "waiting for: a call that never comes")]
async fn wait_for_panics_with_dump() {
    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    bot.send_message(ChatId(1), "x").await.unwrap();
    fake.wait_for("a call that never comes", Duration::from_millis(100), |c| {
        c.iter().any(|c| c.is("sendPhoto"))
    })
    .await;
}

fn email(subject: &str, body: Body) -> Email {
    Email::builder()
        .from("Relaydesk <bot@example.com>".parse::<Mailbox>().unwrap())
        .to("customer@example.org".parse::<Mailbox>().unwrap())
        .subject(subject)
        .singlepart(
            lettre::message::SinglePart::builder()
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(body),
        )
        .unwrap()
}

#[tokio::test]
async fn smtp_plain_with_auth_and_encodings() {
    let sink = SmtpSink::start().await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .credentials(Credentials::new("mailer".into(), "pw".into()))
        .build();

    let text = "Ваш код подтверждения: 123456\nОн действует 10 минут.\n.точка в начале\n.\nконец";
    let mail = Email::builder()
        .from("Relaydesk <bot@example.com>".parse::<Mailbox>().unwrap())
        .to("customer@example.org".parse::<Mailbox>().unwrap())
        .subject("Код подтверждения relaydesk")
        .body(text.to_owned())
        .unwrap();
    transport.send(mail).await.unwrap();
    let mails = sink.wait_for("first mail", WAIT, |m| !m.is_empty()).await;
    assert_eq!(mails[0].from, "bot@example.com");
    assert_eq!(mails[0].to, vec!["customer@example.org".to_owned()]);
    assert_eq!(
        mails[0].subject().as_deref(),
        Some("Код подтверждения relaydesk")
    );
    assert_eq!(mails[0].body_text().trim_end(), text);
    assert!(!mails[0].encrypted);
    assert_eq!(mails[0].auth_user.as_deref(), Some("mailer"));
    assert_eq!(sink.auth_seen(), vec!["mailer".to_owned()]);

    // Explicit encodings, AUTH LOGIN and a multipart/alternative body.
    let login = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .credentials(Credentials::new("login-user".into(), "pw".into()))
        .authentication(vec![Mechanism::Login])
        .build();
    let long = format!("Привет, {}! = end", "мир ".repeat(40));
    for enc in [
        ContentTransferEncoding::QuotedPrintable,
        ContentTransferEncoding::Base64,
    ] {
        let body = Body::new_with_encoding(long.clone(), enc).unwrap();
        login.send(email("Тема", body)).await.unwrap();
    }
    let alt = Email::builder()
        .from("bot@example.com".parse::<Mailbox>().unwrap())
        .to("a@example.org".parse::<Mailbox>().unwrap())
        .subject("alt")
        .multipart(MultiPart::alternative_plain_html(
            "plain версия".to_owned(),
            "<p>html</p>".to_owned(),
        ))
        .unwrap();
    login.send(alt).await.unwrap();
    let mails = sink.wait_for("four mails", WAIT, |m| m.len() == 4).await;
    assert!(
        mails[1].data.contains("quoted-printable"),
        "{}",
        mails[1].data
    );
    assert!(mails[2].data.contains("base64"), "{}", mails[2].data);
    assert_eq!(mails[1].body_text(), long);
    assert_eq!(mails[2].body_text(), long);
    assert_eq!(mails[1].subject().as_deref(), Some("Тема"));
    assert_eq!(mails[3].body_text(), "plain версия");
    assert_eq!(
        sink.auth_seen(),
        vec![
            "mailer".to_owned(),
            "login-user".into(),
            "login-user".into(),
            "login-user".into()
        ]
    );
}

#[tokio::test]
async fn smtp_failing_then_restored() {
    let sink = SmtpSink::start().await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .build();
    sink.set_failing(true);
    let err = transport
        .send(email("x", Body::new("code 1".to_owned())))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(sink.messages().is_empty());
    sink.set_failing(false);
    transport
        .send(email("x", Body::new("code 2".to_owned())))
        .await
        .unwrap();
    let mails = sink.wait_for("one mail", WAIT, |m| m.len() == 1).await;
    assert_eq!(mails[0].body_text().trim_end(), "code 2");
}

#[tokio::test]
async fn smtp_starttls() {
    install_crypto();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let sink = SmtpSink::start_tls(cert.cert.pem(), cert.signing_key.serialize_pem()).await;
    let tls = TlsParameters::builder("localhost".into())
        .dangerous_accept_invalid_certs(true)
        .build_rustls()
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new("tls-user".into(), "pw".into()))
        .build();
    transport
        .send(email("Код", Body::new("секрет 654321".to_owned())))
        .await
        .unwrap();
    let mails = sink.wait_for("tls mail", WAIT, |m| m.len() == 1).await;
    assert!(mails[0].encrypted);
    assert_eq!(mails[0].auth_user.as_deref(), Some("tls-user"));
    assert_eq!(mails[0].body_text().trim_end(), "секрет 654321");
    assert_eq!(mails[0].subject().as_deref(), Some("Код"));

    // A client that requires TLS fails against a plain-only sink.
    let plain = SmtpSink::start().await;
    let tls = TlsParameters::builder("localhost".into())
        .dangerous_accept_invalid_certs(true)
        .build_rustls()
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(plain.port)
        .tls(Tls::Required(tls))
        .build();
    assert!(
        transport
            .send(email("x", Body::new("y".to_owned())))
            .await
            .is_err()
    );
    assert!(plain.messages().is_empty());
}

#[test]
fn update_message_shape() {
    let u = update_message(7, 42, "/service now");
    let parsed: Update = serde_json::from_value(u.clone()).unwrap();
    assert_eq!(parsed.id.0, 7);
    assert_eq!(u["message"]["from"]["first_name"], "Test");
    assert_eq!(u["message"]["from"]["language_code"], "en");
    assert_eq!(u["message"]["chat"]["type"], "private");
    assert_eq!(
        u["message"]["entities"],
        json!([{"type": "bot_command", "offset": 0, "length": 8}])
    );
    assert!(
        update_message(8, 42, "plain")["message"]
            .get("entities")
            .is_none()
    );
    for u in [
        fake_bot::update_group_message(9, -100, 5, "/take"),
        fake_bot::update_edited_message(10, 42, 3, "edited"),
        fake_bot::update_photo(11, 42, "ph", 100),
        update_document(12, 42, "d", "x.txt", 3, None),
        update_callback_query(13, 5, -100, 2, "t:9"),
    ] {
        let _: Update = serde_json::from_value(u.clone()).unwrap_or_else(|e| panic!("{e}: {u}"));
    }
}

#[tokio::test]
async fn teloxide_dispatcher_polls_and_confirms_on_shutdown() {
    use teloxide::dispatching::UpdateFilterExt;
    use teloxide::update_listeners::Polling;

    let fake = FakeBot::start().await;
    let bot = bot(&fake);
    fake.push_update(update_message(1, 42, "first"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let handler = Update::filter_message().endpoint(move |msg: teloxide::types::Message| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(msg.text().unwrap_or_default().to_owned());
            Ok::<(), teloxide::RequestError>(())
        }
    });
    let listener = Polling::builder(bot.clone())
        .timeout(Duration::from_secs(1))
        .delete_webhook()
        .await
        .build();
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let token = dispatcher.shutdown_token();
    let run = tokio::spawn(async move {
        dispatcher
            .dispatch_with_listener(
                listener,
                LoggingErrorHandler::with_custom_text("listener error"),
            )
            .await
    });
    assert_eq!(rx.recv().await.as_deref(), Some("first"));
    fake.push_update(update_message(2, 42, "second"));
    assert_eq!(rx.recv().await.as_deref(), Some("second"));
    // Shutdown may only be requested once the dispatcher runs; it does by now.
    token.shutdown().expect("dispatcher running").await;
    run.await.unwrap();
    assert!(fake.pending_updates().is_empty(), "{}", fake.dump());
    let last = fake.calls_of("getUpdates").pop().unwrap();
    assert_eq!(last.int_param("offset"), Some(3));
}

#[tokio::test]
async fn smtp_implicit_tls() {
    install_crypto();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let sink =
        SmtpSink::start_implicit_tls(cert.cert.pem(), cert.signing_key.serialize_pem()).await;
    let tls = TlsParameters::builder("localhost".into())
        .dangerous_accept_invalid_certs(true)
        .build_rustls()
        .unwrap();
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port)
        .tls(Tls::Wrapper(tls))
        .build();
    transport
        .send(email("smtps", Body::new("wrapped".to_owned())))
        .await
        .unwrap();
    let mails = sink.wait_for("smtps mail", WAIT, |m| m.len() == 1).await;
    assert!(mails[0].encrypted);
    assert_eq!(mails[0].body_text(), "wrapped");
}
