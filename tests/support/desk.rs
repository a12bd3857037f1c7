//! A help desk under test: the service with two specialists, two service groups and
//! a controller, a fake Bot API and an SMTP sink; and the moves people make.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::app::{Options, PROMPTLY, TestApp, spawn_app_with};
use super::fake_bot::{Call, FakeBot, update_callback_query, update_edited_message};
use super::smtp_sink::SmtpSink;

pub const ANNA: i64 = 501;
pub const BORIS: i64 = 502;
pub const GROUP: i64 = -1001;
pub const NIGHT: i64 = -1002;
pub const HEAD: i64 = 900;
/// What the bot's message with a console sign-in code says.
pub const CONSOLE_CODE_TEXT: &str = "web console sign-in code";

pub const STAFF: &str = r#"
[[specialists]]
chat_id = 501
name = "Anna"

[[specialists]]
chat_id = 502
name = "Boris"

[[service_groups]]
chat_id = -1001
name = "Support"

[[service_groups]]
chat_id = -1002
name = "Night shift"

[[controllers]]
chat_id = 900
name = "Head of support"
"#;

/// Two departments: billing (Anna, the first group) and tech (Boris, the second).
pub const DEPARTMENTS: &str = r#"
[[departments]]
key = "billing"
name = "Billing"
service_groups = [-1001]
specialists = [501]

[[departments]]
key = "tech"
name = "Tech"
service_groups = [-1002]
specialists = [502]
"#;

pub struct Desk {
    pub fake: FakeBot,
    pub sink: SmtpSink,
    pub app: TestApp,
    next_update: AtomicI64,
}

impl Desk {
    pub async fn start() -> Desk {
        Desk::start_with(STAFF, "").await
    }

    /// The desk of `STAFF` with its two `DEPARTMENTS`.
    pub async fn with_departments() -> Desk {
        Desk::start_with(&format!("{STAFF}\n{DEPARTMENTS}"), "").await
    }

    /// `staff`: the people sections; `extra`: more TOML (e.g. `[auth]`).
    pub async fn start_with(staff: &str, extra: &str) -> Desk {
        let fake = FakeBot::start().await;
        let sink = SmtpSink::start().await;
        let app = spawn_app_with(
            &fake,
            Options {
                smtp_port: sink.port,
                extra: format!("{extra}\n{staff}"),
                ..Options::default()
            },
        )
        .await;
        Desk {
            fake,
            sink,
            app,
            next_update: AtomicI64::new(1),
        }
    }

    /// The same desk after a restart of the service.
    pub fn resume(fake: FakeBot, sink: SmtpSink, app: TestApp) -> Desk {
        Desk {
            fake,
            sink,
            app,
            next_update: AtomicI64::new(100_000),
        }
    }

    fn update_id(&self) -> i64 {
        self.next_update.fetch_add(1, Ordering::SeqCst)
    }

    async fn post(&self, update: &Value) {
        let status = self.app.post(update).await;
        assert_eq!(status, 200, "posting {update}");
    }

    /// A text message from `chat` (a private chat); its message id.
    pub async fn say(&self, chat: i64, text: &str) -> i64 {
        let mut update = self.fake.text_update(chat, text);
        update["update_id"] = json!(self.update_id());
        self.post(&update).await;
        update["message"]["message_id"].as_i64().unwrap()
    }

    /// A text message from `chat` whose sender's Telegram language is
    /// `language_code` (the fake's users say "en").
    pub async fn say_in(&self, chat: i64, language_code: &str, text: &str) -> i64 {
        let mut update = self.fake.text_update(chat, text);
        update["update_id"] = json!(self.update_id());
        update["message"]["from"]["language_code"] = json!(language_code);
        self.post(&update).await;
        update["message"]["message_id"].as_i64().unwrap()
    }

    /// A message from `chat` with `fields` instead of a text (photo, document, …).
    pub async fn send(&self, chat: i64, fields: Value) -> i64 {
        let mut update = self.fake.text_update(chat, "");
        update["update_id"] = json!(self.update_id());
        let message = update["message"].as_object_mut().unwrap();
        message.remove("text");
        message.remove("entities");
        for (k, v) in fields.as_object().unwrap() {
            message.insert(k.clone(), v.clone());
        }
        self.fake.remember_message(&update);
        self.post(&update).await;
        update["message"]["message_id"].as_i64().unwrap()
    }

    /// A text message from `chat` replying to its message `reply_to`.
    pub async fn reply(&self, chat: i64, reply_to: i64, text: &str) -> i64 {
        self.send(
            chat,
            json!({
                "text": text,
                "reply_to_message": {
                    "message_id": reply_to, "date": 1,
                    "chat": {"id": chat, "type": "private", "first_name": "Test"}, "text": "…"
                }
            }),
        )
        .await
    }

    pub async fn edit(&self, chat: i64, message_id: i64, text: &str) {
        let update = update_edited_message(self.update_id(), chat, message_id, text);
        self.post(&update).await;
    }

    /// Press a button with `data`, by `from`, under a message in `chat`.
    pub async fn press(&self, from: i64, chat: i64, data: &str) {
        let update = update_callback_query(self.update_id(), from, chat, 1, data);
        self.post(&update).await;
    }

    /// Press a button under message `message_id` of `chat` (menus edit that message).
    pub async fn press_on(&self, from: i64, chat: i64, message_id: i64, data: &str) {
        let update = update_callback_query(self.update_id(), from, chat, message_id, data);
        self.post(&update).await;
    }

    /// The callback update itself (for concurrent presses).
    pub fn press_update(&self, from: i64, chat: i64, data: &str) -> Value {
        update_callback_query(self.update_id(), from, chat, 1, data)
    }

    /// Post `updates` all at once, as Telegram may deliver them concurrently; each
    /// must be accepted.
    pub async fn post_concurrently(&self, updates: Vec<Value>) {
        let posts: Vec<_> = updates
            .into_iter()
            .map(|update| {
                let (client, url) = (self.app.client.clone(), self.app.url.clone());
                tokio::spawn(async move {
                    client
                        .post(url)
                        .header("X-Telegram-Bot-Api-Secret-Token", super::app::SECRET)
                        .json(&update)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        for post in posts {
            assert_eq!(post.await.unwrap(), 200);
        }
    }

    /// One value of communication `id` (`SELECT column FROM communications`).
    pub fn comm_value<T: rusqlite::types::FromSql>(&self, column: &str, id: i64) -> T {
        let sql = format!("SELECT {column} FROM communications WHERE id = ?1");
        self.app
            .files
            .db()
            .query_row(&sql, [id], |r| r.get(0))
            .unwrap()
    }

    /// Wait for a message to `chat` containing `needle`; the latest such call.
    pub async fn wait_text(&self, chat: i64, needle: &str) -> Call {
        let calls = self
            .fake
            .wait_for(
                &format!("a message to {chat} with {needle:?}"),
                PROMPTLY,
                |calls| calls.iter().any(|c| is_text_to(c, chat, needle)),
            )
            .await;
        calls
            .into_iter()
            .find(|c| is_text_to(c, chat, needle))
            .unwrap()
    }

    /// How many delivered messages to `chat` contain `needle`.
    pub fn count_texts(&self, chat: i64, needle: &str) -> usize {
        self.fake
            .calls()
            .iter()
            .filter(|c| is_text_to(c, chat, needle))
            .count()
    }

    /// Wait for an answer to a callback query containing `needle`.
    pub async fn wait_answer(&self, needle: &str) -> Call {
        let matches = |c: &Call| {
            c.is("answerCallbackQuery")
                && c.ok
                && c.str_param("text").is_some_and(|t| t.contains(needle))
        };
        let calls = self
            .fake
            .wait_for(
                &format!("a callback answer with {needle:?}"),
                PROMPTLY,
                |calls| calls.iter().any(matches),
            )
            .await;
        calls.into_iter().find(|c| matches(c)).unwrap()
    }

    /// Wait until `n` messages have been copied to `to` in all; the copies.
    pub async fn wait_copies(&self, to: i64, n: usize) -> Vec<(i64, i64)> {
        let calls = self
            .fake
            .wait_for(&format!("{n} copies to {to}"), PROMPTLY, |calls| {
                copied(calls, to).len() >= n
            })
            .await;
        copied(&calls, to)
    }

    /// Wait for `n` delivered calls of `method` to `chat`.
    pub async fn wait_calls(&self, method: &str, chat: i64, n: usize) -> Vec<Call> {
        let pick = |calls: &[Call]| -> Vec<Call> {
            calls
                .iter()
                .filter(|c| c.is(method) && c.ok && c.chat_id() == Some(chat))
                .cloned()
                .collect()
        };
        let calls = self
            .fake
            .wait_for(&format!("{n} × {method} to {chat}"), PROMPTLY, |calls| {
                pick(calls).len() >= n
            })
            .await;
        pick(&calls)
    }

    /// The code in the newest mail to `email`.
    pub async fn code_for(&self, email: &str, nth: usize) -> String {
        let mails = self
            .sink
            .wait_for(&format!("mail {nth} to {email}"), PROMPTLY, |mails| {
                mails
                    .iter()
                    .filter(|m| m.to.iter().any(|t| t == email))
                    .count()
                    >= nth
            })
            .await;
        let mail = mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email))
            .nth(nth - 1)
            .unwrap();
        extract_code(&mail.body_text()).expect("a 6-digit code in the mail")
    }

    /// The `n`-th web console sign-in code the bot sent to `chat`.
    pub async fn console_code(&self, chat: i64, n: usize) -> String {
        let calls = self
            .fake
            .wait_for(&format!("console code {n} to {chat}"), PROMPTLY, |calls| {
                calls
                    .iter()
                    .filter(|c| is_text_to(c, chat, CONSOLE_CODE_TEXT))
                    .count()
                    >= n
            })
            .await;
        let call = calls
            .iter()
            .filter(|c| is_text_to(c, chat, CONSOLE_CODE_TEXT))
            .nth(n - 1)
            .unwrap();
        extract_code(&call.text().unwrap()).expect("a 6-digit code")
    }

    /// The satisfaction survey of communication `id` sent to `customer`, once its
    /// message id is kept (a rating pressed before would not find it).
    pub async fn survey(&self, customer: i64, id: i64) -> Call {
        let call = self
            .wait_text(
                customer,
                &format!("How would you rate the help with request #{id}?"),
            )
            .await;
        let files = self.app.files.clone();
        super::app::wait_until("the survey's message id to be kept", PROMPTLY, || {
            files.count(&format!(
                "SELECT count(*) FROM surveys WHERE communication_id = {id} AND message_id IS NOT NULL"
            )) == 1
        })
        .await;
        call
    }

    /// The whole onboarding of `chat` with `email`.
    pub async fn onboard(&self, chat: i64, email: &str) {
        self.say(chat, "/start").await;
        self.wait_text(chat, "email address").await;
        let before = self
            .sink
            .messages()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email))
            .count();
        self.say(chat, email).await;
        let code = self.code_for(email, before + 1).await;
        self.say(chat, &code).await;
        self.wait_text(chat, "is confirmed").await;
    }

    /// Open a request from an onboarded customer and wait for its announcement.
    pub async fn request(&self, chat: i64, text: &str) -> i64 {
        let before = self.count_texts(chat, "is received");
        self.say(chat, text).await;
        let calls = self
            .fake
            .wait_for("a new request to be received", PROMPTLY, |calls| {
                calls
                    .iter()
                    .filter(|c| is_text_to(c, chat, "is received"))
                    .count()
                    > before
            })
            .await;
        let call = calls
            .into_iter()
            .rfind(|c| is_text_to(c, chat, "is received"))
            .unwrap();
        let text = call.text().unwrap();
        let id: String = text
            .split('#')
            .nth(1)
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        id.parse().unwrap()
    }

    /// Wait until nothing is left to send.
    pub async fn drained(&self) {
        let files = self.app.files.clone();
        super::app::wait_until("the outbox to drain", PROMPTLY, || {
            files.count("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
                && files.count("SELECT count(*) FROM album_parts") == 0
        })
        .await;
    }

    /// `relaydesk export WHAT --format FORMAT EXTRA…` run by the built binary beside
    /// the running service, with this desk's configuration; its standard output.
    pub fn export(&self, what: &str, format: &str, extra: &[&str]) -> String {
        let out = self.cli(&[&["export", what, "--format", format], extra].concat());
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `relaydesk ARGS…` run by the built binary beside the running service, with
    /// this desk's configuration, to its end.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_command(args).output().unwrap()
    }

    /// `relaydesk ARGS…` with this desk's configuration, to be started by the
    /// caller (e.g. while updates are being posted).
    pub fn cli_command(&self, args: &[&str]) -> std::process::Command {
        let config = self.app.files.dir.path().join("export-config.toml");
        let toml = super::app::config_toml(
            &self.app.files,
            &self.fake.api_url(),
            &Options {
                smtp_port: self.sink.port,
                extra: STAFF.into(),
                ..Options::default()
            },
        );
        std::fs::write(&config, toml).unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relaydesk"));
        command.arg("--config").arg(&config).args(args);
        command
    }

    pub fn timeout(&self) -> Duration {
        PROMPTLY
    }
}

/// Today as a UTC day (`YYYY-MM-DD`, as `--since`/`--until` take it), and the day
/// before.
pub fn today_and_yesterday() -> (String, String) {
    let now = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    (day(now), day(now.pred_opt().unwrap()))
}

/// Every message copied to `to` (by copyMessage or copyMessages), in order, as
/// (source chat, message id).
pub fn copied(calls: &[Call], to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for c in calls.iter().filter(|c| c.ok && c.chat_id() == Some(to)) {
        let Some(from) = c.int_param("from_chat_id") else {
            continue;
        };
        if c.is("copyMessage") {
            out.extend(c.int_param("message_id").map(|m| (from, m)));
        } else if c.is("copyMessages") {
            let ids = c
                .param("message_ids")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            out.extend(ids.iter().filter_map(|v| v.as_i64()).map(|m| (from, m)));
        }
    }
    out
}

pub fn is_text_to(c: &Call, chat: i64, needle: &str) -> bool {
    c.is("sendMessage")
        && c.ok
        && c.chat_id() == Some(chat)
        && c.text().is_some_and(|t| t.contains(needle))
}

pub fn extract_code(body: &str) -> Option<String> {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_string)
}

/// Message fields for media kinds.
pub fn photo(file_id: &str, caption: Option<&str>, group: Option<&str>) -> Value {
    let mut v = json!({"photo": [
        {"file_id": format!("{file_id}-s"), "file_unique_id": format!("{file_id}-su"), "width": 90, "height": 90, "file_size": 1000},
        {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "width": 800, "height": 600, "file_size": 50000}
    ]});
    if let Some(c) = caption {
        v["caption"] = json!(c);
    }
    if let Some(g) = group {
        v["media_group_id"] = json!(g);
    }
    v
}

pub fn document(file_id: &str, name: &str) -> Value {
    json!({"document": {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "file_name": name,
        "mime_type": "application/pdf", "file_size": 1234}})
}

pub fn sticker(file_id: &str) -> Value {
    json!({"sticker": {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "type": "regular",
        "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍", "file_size": 3000}})
}
