//! The scripted conversation of `relaydesk demo`.
//!
//! [`run`] starts the Bot API emulator and the mail catcher, then the real service
//! (HTTPS webhook, SQLite store, outbox, archive) against them, and plays a help-desk
//! conversation the way Telegram would deliver it: a customer onboards with the code
//! from her mailbox, writes with a photo, a specialist takes the request from the
//! service group, they talk, and the specialist closes it. Every step waits for what
//! the service must do (with a deadline), then lets the outbox settle, so the story
//! records exactly what each party saw after each move.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use relaydesk::config::Config;
use testkit::bot_api::{self, Call, FakeBot};
use testkit::mail_catcher::{Mail, SmtpSink};

use super::{Error, Result};

/// The photo the customer sends: a small baseline JPEG (160×96) of a parcel-tracking
/// page, drawn in flat 8×8 blocks. The archive must hold these very bytes.
pub const DEMO_PHOTO: &[u8] = include_bytes!("tracking_page.jpg");

/// How long one step may take before the demo gives up and says which step hung.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the service must stay idle (nothing queued, nothing in flight) before a
/// step counts as finished.
const QUIET: Duration = Duration::from_millis(150);

/// The URL the service registers; the emulator connects to the real port instead.
const PUBLIC_URL: &str = "https://127.0.0.1:8443/telegram";
const SECRET: &str = "relaydesk-demo-secret";
const EMAIL: &str = "maria@example.com";
const PHOTO_ID: &str = "AgACAgIAAxkBAAIDemoTrackingPage";
const PHOTO_THUMB_ID: &str = "AgACAgIAAxkBAAIDemoTrackingPage-s";

/// A Telegram user of the demo.
struct Person {
    id: i64,
    first_name: &'static str,
    last_name: &'static str,
    username: &'static str,
}

const MARIA: Person = Person {
    id: 2001,
    first_name: "Maria",
    last_name: "Rossi",
    username: "maria_rossi",
};

const ANNA: Person = Person {
    id: 1001,
    first_name: "Anna",
    last_name: "Berg",
    username: "anna_helps",
};

const GROUP: i64 = -1001;
const GROUP_TITLE: &str = "Support";
const VICTOR: i64 = 1900;

impl Person {
    fn user(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": false,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": "en"
        })
    }

    fn chat(&self) -> Value {
        json!({
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username
        })
    }
}

/// Whose chat is whose, in the order the story shows them.
const PARTIES: &[(i64, &str)] = &[
    (2001, "Maria"),
    (1001, "Anna"),
    (GROUP, "The Support group"),
    (VICTOR, "Victor (controller)"),
];

fn party_name(chat: i64) -> String {
    PARTIES
        .iter()
        .find(|(id, _)| *id == chat)
        .map_or_else(|| format!("Chat {chat}"), |(_, name)| (*name).to_string())
}

/// What a demo run left behind.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The archived communication: `transcript.txt` and `files/`.
    pub archive: PathBuf,
    /// What each party saw, step by step, for people to read.
    pub transcript: String,
}

impl DemoReport {
    /// The files of the archived communication, relative to [`DemoReport::archive`],
    /// sorted.
    pub fn archive_files(&self) -> Vec<PathBuf> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.archive, &self.archive, &mut out);
        out.sort();
        out
    }
}

/// Play the demo in `dir` (created if missing; it must be empty), or in a new
/// temporary folder, which is kept so the archive can be looked at.
pub async fn run(dir: Option<PathBuf>) -> Result<DemoReport> {
    let dir = prepare_dir(dir)?;
    relaydesk::install_crypto_provider();
    let mut demo = Demo::start(dir).await?;
    let played = demo.play().await;
    let stopped = demo.stop().await;
    let archive = played?;
    stopped?;
    Ok(DemoReport {
        archive,
        transcript: demo.story,
    })
}

fn demo_error(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

fn prepare_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => {
            if let Ok(mut entries) = std::fs::read_dir(&dir)
                && entries.next().is_some()
            {
                return Err(demo_error(format!(
                    "{} is not empty: give the demo an empty or new folder (or no --dir for a temporary one)",
                    dir.display()
                )));
            }
            dir
        }
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            std::env::temp_dir().join(format!("relaydesk-demo-{}-{nanos:09}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io_path("create folder", &dir, e))?;
    std::fs::canonicalize(&dir).map_err(|e| Error::io_path("resolve", &dir, e))
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        demo_error(format!(
            "the folder {} is not valid UTF-8; pick another with --dir",
            path.display()
        ))
    })
}

/// The service's configuration: everything local, Telegram's limits lifted so the
/// demo is quick, English texts.
fn config_toml(dir: &Path, api_url: &str, smtp_port: u16) -> Result<String> {
    let cert = dir.join("cert").join("cert.pem");
    let key = dir.join("cert").join("key.pem");
    let db = dir.join("db").join("relaydesk.sqlite3");
    let archive = dir.join("archive");
    Ok(format!(
        r#"
[telegram]
token = {token}
api_url = {api_url}
request_timeout = "10s"
poll_timeout = "5s"

[webhook]
listen = "127.0.0.1:0"
public_url = {public_url}
secret_token = {secret}
tls_cert = {cert}
tls_key = {key}
upload_certificate = true

[database]
path = {db}

[archive]
dir = {archive}

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "Help desk <support@example.com>"

[disk]
min_free_mb = 0
min_free_percent = 0.0
alert_to = ["admin@example.com"]

[limits]
global_per_second = 0
per_chat_per_second = 0
per_group_per_minute = 0

[texts]
locale = "en"

[admin]
listen = ""

[reports]
daily_at = ""

[[specialists]]
chat_id = {anna}
name = "Anna"

[[service_groups]]
chat_id = {group}
name = "{group_title}"

[[controllers]]
chat_id = {victor}
name = "Victor"
"#,
        token = toml_string(bot_api::TOKEN),
        api_url = toml_string(api_url),
        public_url = toml_string(PUBLIC_URL),
        secret = toml_string(SECRET),
        cert = toml_string(path_str(&cert)?),
        key = toml_string(path_str(&key)?),
        db = toml_string(path_str(&db)?),
        archive = toml_string(path_str(&archive)?),
        anna = ANNA.id,
        group = GROUP,
        group_title = GROUP_TITLE,
        victor = VICTOR,
    ))
}

/// What a person sent, as the story names copies of it.
struct Sent {
    author: &'static str,
    what: String,
}

struct Demo {
    dir: PathBuf,
    db_path: PathBuf,
    archive_root: PathBuf,
    bot: FakeBot,
    mail: SmtpSink,
    webhook: SocketAddr,
    service: Option<JoinHandle<relaydesk::Result<()>>>,
    stop: Option<oneshot::Sender<()>>,
    next_update: i64,
    next_callback: i64,
    /// (chat, message id) of every message a person sent.
    sent: HashMap<(i64, i64), Sent>,
    /// callback_query id → the chat of who pressed.
    presses: HashMap<String, i64>,
    /// (chat, message id) of bot messages that carry buttons.
    with_buttons: HashMap<(i64, i64), bool>,
    story: String,
    step: usize,
    step_title: String,
    calls_seen: usize,
    mails_seen: usize,
}

impl Demo {
    async fn start(dir: PathBuf) -> Result<Demo> {
        relaydesk::http::tls::generate("127.0.0.1", &dir.join("cert"))?;
        std::fs::create_dir_all(dir.join("db"))
            .map_err(|e| Error::io_path("create folder", &dir.join("db"), e))?;
        let bot = FakeBot::try_start()
            .await
            .map_err(|e| Error::io("start the Bot API emulator", e))?;
        let mail = SmtpSink::try_start()
            .await
            .map_err(|e| Error::io("start the mail catcher", e))?;
        let toml = config_toml(&dir, &bot.url, mail.port)?;
        let config = Config::from_toml_str(&toml).map_err(relaydesk::Error::from)?;
        let db_path = config.database.path.clone();
        let archive_root = config.archive.dir.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("listen on 127.0.0.1", e))?;
        let webhook = listener
            .local_addr()
            .map_err(|e| Error::io("listener address", e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let service = tokio::spawn(relaydesk::app::run_webhook(config, listener, async move {
            let _ = stopped.await;
        }));
        let mut demo = Demo {
            dir,
            db_path,
            archive_root,
            bot,
            mail,
            webhook,
            service: Some(service),
            stop: Some(stop),
            next_update: 1,
            next_callback: 1,
            sent: HashMap::new(),
            presses: HashMap::new(),
            with_buttons: HashMap::new(),
            story: String::new(),
            step: 0,
            step_title: "starting the service".into(),
            calls_seen: 0,
            mails_seen: 0,
        };
        demo.introduce();
        Ok(demo)
    }

    /// Stop the service like SIGTERM does and wait until it has finished.
    async fn stop(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(service) = self.service.take() else {
            return Ok(());
        };
        match tokio::time::timeout(STEP_TIMEOUT, service).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(e)) => Err(demo_error(format!("the service failed: {e}"))),
            Err(_) => Err(demo_error(format!(
                "the service did not stop within {} s",
                STEP_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The whole script; the folder of the archived communication.
    async fn play(&mut self) -> Result<PathBuf> {
        self.until("the service to register its webhook (setWebhook)", |d| {
            d.bot.webhook().is_some()
        })
        .await?;
        self.settle().await?;
        self.report_setup();

        self.begin("Maria opens the bot");
        self.say(&MARIA, "/start").await?;
        self.until("the bot to answer Maria", |d| d.new_message_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Maria gives her email address");
        self.say(&MARIA, EMAIL).await?;
        self.until("the code mail to reach the mailbox", |d| {
            d.mail
                .messages()
                .iter()
                .skip(d.mails_seen)
                .any(|m| m.to.iter().any(|t| t == EMAIL))
        })
        .await?;
        let code = self
            .mail
            .messages()
            .iter()
            .rev()
            .filter(|m| m.to.iter().any(|t| t == EMAIL))
            .find_map(|m| six_digits(&m.body_text()))
            .ok_or_else(|| demo_error("the mail to Maria holds no 6-digit code"))?;
        self.until("the bot to tell Maria the code is on its way", |d| {
            d.new_message_to(MARIA.id)
        })
        .await?;
        self.finish().await?;

        self.begin("Maria types the code from the email");
        self.say(&MARIA, &code).await?;
        self.until("the bot to confirm Maria's address", |d| {
            d.new_message_to(MARIA.id)
        })
        .await?;
        self.finish().await?;

        self.begin("Maria describes her problem");
        self.say(&MARIA, "Hello! My order #1042 has not arrived.")
            .await?;
        self.until(
            "the request to be announced in the Support group and Maria told it is received",
            |d| d.new_message_to(MARIA.id) && d.announcement().is_some(),
        )
        .await?;
        self.finish().await?;
        let comm = self.request_number()?;

        self.begin("Maria adds a photo");
        self.bot.add_file(PHOTO_ID, DEMO_PHOTO.to_vec());
        self.bot.add_file(PHOTO_THUMB_ID, DEMO_PHOTO.to_vec());
        self.send_photo(&MARIA, "This is the tracking page").await?;
        self.finish().await?;

        self.begin("Anna takes the request");
        let (announcement, data) = self
            .announcement()
            .ok_or_else(|| demo_error("the announcement with its Take button is gone"))?;
        self.press(&ANNA, GROUP, announcement, &data, "Take")
            .await?;
        self.until(
            "Anna to get the request and Maria to be told who handles it",
            |d| d.new_message_to(ANNA.id) && d.new_message_to(MARIA.id),
        )
        .await?;
        self.finish().await?;

        self.begin("Anna answers");
        self.say(&ANNA, "Hi Maria, I am checking with the courier.")
            .await?;
        self.until("Anna's answer to reach Maria", |d| d.new_copy_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Maria thanks her");
        self.say(&MARIA, "Thank you!").await?;
        self.until("Maria's message to reach Anna", |d| d.new_copy_to(ANNA.id))
            .await?;
        self.finish().await?;

        self.begin("Anna has news");
        self.say(&ANNA, "It will arrive tomorrow. Closing this request.")
            .await?;
        self.until("Anna's message to reach Maria", |d| d.new_copy_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Anna closes the request");
        self.say(&ANNA, "/close").await?;
        self.until(
            "Maria, Anna and the Support group to be told the request is closed",
            |d| d.new_message_to(MARIA.id) && d.new_message_to(ANNA.id) && d.new_message_to(GROUP),
        )
        .await?;
        self.finish().await?;

        let folder = relaydesk::domain::archive::folder(&self.archive_root, MARIA.id, comm);
        let transcript = folder.join("transcript.txt");
        let files = folder.join("files");
        self.until(
            "the archive to hold the final transcript and the photo",
            |_| {
                std::fs::read_to_string(&transcript).is_ok_and(|t| t.contains("Close reason"))
                    && holds_photo(&files)
            },
        )
        .await?;
        self.report_archive(&folder);
        Ok(folder)
    }

    // -----------------------------------------------------------------------
    // Moves
    // -----------------------------------------------------------------------

    fn update_id(&mut self) -> i64 {
        let id = self.next_update;
        self.next_update += 1;
        id
    }

    fn message(&mut self, from: &Person) -> Value {
        json!({
            "message_id": self.bot.next_message_id(from.id),
            "from": from.user(),
            "chat": from.chat(),
            "date": chrono::Utc::now().timestamp()
        })
    }

    /// A text message from `from` in their private chat with the bot.
    async fn say(&mut self, from: &Person, text: &str) -> Result<()> {
        let mut message = self.message(from);
        message["text"] = json!(text);
        if text.starts_with('/') {
            let length = text
                .split_whitespace()
                .next()
                .unwrap_or(text)
                .encode_utf16()
                .count();
            message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        }
        let _ = writeln!(self.story, "  {} sends: {text}", from.first_name);
        self.remember(from, &message, format!("message “{text}”"));
        let update_id = self.update_id();
        self.deliver(json!({"update_id": update_id, "message": message}))
            .await
    }

    async fn send_photo(&mut self, from: &Person, caption: &str) -> Result<()> {
        let mut message = self.message(from);
        let size = DEMO_PHOTO.len();
        message["photo"] = json!([
            {"file_id": PHOTO_THUMB_ID, "file_unique_id": "AQADDemoThumb", "width": 90, "height": 54, "file_size": size},
            {"file_id": PHOTO_ID, "file_unique_id": "AQADDemoPhoto", "width": 160, "height": 96, "file_size": size}
        ]);
        message["caption"] = json!(caption);
        let _ = writeln!(
            self.story,
            "  {} sends a photo ({size} bytes) with the caption: {caption}",
            from.first_name
        );
        self.remember(from, &message, format!("photo “{caption}”"));
        let update_id = self.update_id();
        self.deliver(json!({"update_id": update_id, "message": message}))
            .await
    }

    /// `from` presses the button `label` (carrying `data`) under message `message_id`
    /// of `chat`.
    async fn press(
        &mut self,
        from: &Person,
        chat: i64,
        message_id: i64,
        data: &str,
        label: &str,
    ) -> Result<()> {
        let id = format!("demo-press-{}", self.next_callback);
        self.next_callback += 1;
        self.presses.insert(id.clone(), from.id);
        let message = self.bot.message(chat, message_id).unwrap_or_else(|| {
            json!({
                "message_id": message_id,
                "from": {"id": bot_api::BOT_ID, "is_bot": true, "first_name": bot_api::BOT_FIRST_NAME},
                "chat": {"id": chat, "type": "supergroup", "title": GROUP_TITLE},
                "date": chrono::Utc::now().timestamp(),
                "text": "…"
            })
        });
        let _ = writeln!(
            self.story,
            "  {} presses [{label}] under the announcement in the {GROUP_TITLE} group",
            from.first_name,
        );
        let update = json!({
            "update_id": self.update_id(),
            "callback_query": {
                "id": id,
                "from": from.user(),
                "message": message,
                "chat_instance": format!("demo-{chat}"),
                "data": data
            }
        });
        self.deliver(update).await
    }

    fn remember(&mut self, from: &Person, message: &Value, what: String) {
        if let Some(id) = message["message_id"].as_i64() {
            self.sent.insert(
                (from.id, id),
                Sent {
                    author: from.first_name,
                    what,
                },
            );
        }
    }

    /// POST the update to the service's webhook, as Telegram does.
    async fn deliver(&mut self, update: Value) -> Result<()> {
        match self.bot.deliver_update(&update, Some(self.webhook)).await {
            Ok((200, _)) => Ok(()),
            Ok((status, body)) => Err(self.failure(&format!(
                "the webhook answered HTTP {status} ({})",
                body.trim()
            ))),
            Err(e) => Err(self.failure(&format!("the update could not be delivered: {e}"))),
        }
    }

    // -----------------------------------------------------------------------
    // Waiting
    // -----------------------------------------------------------------------

    fn new_calls(&self) -> Vec<Call> {
        self.bot.calls().into_iter().skip(self.calls_seen).collect()
    }

    /// A message (text, media, card) reached `chat` during this step.
    fn new_message_to(&self, chat: i64) -> bool {
        self.new_calls().iter().any(|c| {
            c.ok && c.chat_id() == Some(chat)
                && (c.method.to_ascii_lowercase().starts_with("send")
                    || c.is("copyMessage")
                    || c.is("copyMessages"))
        })
    }

    fn new_copy_to(&self, chat: i64) -> bool {
        self.new_calls()
            .iter()
            .any(|c| c.ok && c.chat_id() == Some(chat) && c.is("copyMessage"))
    }

    /// The newest message in the Support group with a Take button: its id and the
    /// button's callback data.
    fn announcement(&self) -> Option<(i64, String)> {
        self.bot.calls().iter().rev().find_map(|c| {
            if !(c.ok && c.is("sendMessage") && c.chat_id() == Some(GROUP)) {
                return None;
            }
            let (_, data) = c.buttons().into_iter().find(|(text, _)| text == "Take")?;
            Some((c.message_id()?, data))
        })
    }

    /// The request number, from the receipt Maria got ("Your request #1 is received").
    fn request_number(&self) -> Result<i64> {
        self.bot
            .delivered_to(MARIA.id)
            .iter()
            .filter_map(Call::text)
            .find_map(|t| {
                let digits: String = plain_text(&t)
                    .split_once('#')?
                    .1
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            })
            .ok_or_else(|| demo_error("Maria was never told the number of her request"))
    }

    /// Wait until `condition` holds, at most [`STEP_TIMEOUT`]; the error says which
    /// step did not happen.
    async fn until(&mut self, what: &str, condition: impl Fn(&Demo) -> bool) -> Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if condition(self) {
                return Ok(());
            }
            self.check_service().await?;
            if tokio::time::Instant::now() >= deadline {
                return Err(
                    self.failure(&format!("waited {} s for {what}", STEP_TIMEOUT.as_secs()))
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait until the service has nothing left to do for now: no Bot API call or mail
    /// queued or under way, no album part or archive file waiting, and no new call
    /// for a short while.
    async fn settle(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let mut quiet_since: Option<(tokio::time::Instant, usize, usize)> = None;
        loop {
            self.check_service().await?;
            let calls = self.bot.calls();
            let mails = self.mail.messages().len();
            let idle = calls.iter().all(|c| c.status != 0) && self.service_idle();
            let now = tokio::time::Instant::now();
            match quiet_since {
                Some((since, n, m)) if idle && n == calls.len() && m == mails => {
                    if now.duration_since(since) >= QUIET {
                        return Ok(());
                    }
                }
                _ if idle => quiet_since = Some((now, calls.len(), mails)),
                _ => quiet_since = None,
            }
            if now >= deadline {
                return Err(self.failure(&format!(
                    "the service was still busy after {} s",
                    STEP_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Nothing pending in the service's outboxes, albums or archive downloads.
    fn service_idle(&self) -> bool {
        let Ok(conn) = rusqlite::Connection::open_with_flags(
            &self.db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) else {
            return false;
        };
        let _ = conn.busy_timeout(Duration::from_secs(1));
        relaydesk::store::health::work_left(&conn).is_ok_and(|n| n == 0)
    }

    /// An error if the service has stopped on its own.
    async fn check_service(&mut self) -> Result<()> {
        if !self.service.as_ref().is_some_and(JoinHandle::is_finished) {
            return Ok(());
        }
        let outcome = match self.service.take() {
            Some(service) => service.await,
            None => return Ok(()),
        };
        let why = match outcome {
            Ok(Ok(())) => "it returned without being asked to".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        Err(self.failure(&format!("the service stopped unexpectedly: {why}")))
    }

    /// The error for the current step, with the last Bot API calls for context.
    fn failure(&self, what: &str) -> Error {
        let dump = self.bot.dump();
        let lines: Vec<&str> = dump.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n");
        let step = if self.step == 0 {
            format!("while {}", self.step_title)
        } else {
            format!("at step {} ({})", self.step, self.step_title)
        };
        demo_error(format!(
            "the demo stopped {step}: {what}.\nThe last Bot API calls the service made:\n{tail}"
        ))
    }

    // -----------------------------------------------------------------------
    // The story
    // -----------------------------------------------------------------------

    fn introduce(&mut self) {
        let s = &mut self.story;
        let _ = writeln!(s, "relaydesk demo");
        let _ = writeln!(s, "==============");
        let _ = writeln!(s);
        for line in wrap(
            "The real relaydesk service (HTTPS webhook, SQLite store, outbox, archive) runs on \
             this machine against a built-in Telegram Bot API emulator and a mail catcher, so \
             no Telegram account and no network are needed. A scripted conversation follows; \
             after each move you see what every party saw in Telegram and in the mailbox.",
            86,
        ) {
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Folder: {}", self.dir.display());
        let _ = writeln!(s);
        let _ = writeln!(s, "Who is who");
        let _ = writeln!(
            s,
            "  Maria    a customer (Telegram id {}), writes to the bot privately",
            MARIA.id
        );
        let _ = writeln!(
            s,
            "  Anna     a specialist (id {}), answers through her own private chat with the bot",
            ANNA.id
        );
        let _ = writeln!(
            s,
            "  Support  the service group (chat {GROUP}) where new requests are announced"
        );
        let _ = writeln!(
            s,
            "  Victor   a controller (id {VICTOR}), told whatever the group is told"
        );
    }

    fn report_setup(&mut self) {
        let calls = self.new_calls();
        self.calls_seen += calls.len();
        let s = &mut self.story;
        let _ = writeln!(s);
        let _ = writeln!(s, "Starting the service");
        let _ = writeln!(
            s,
            "  The HTTPS webhook listens on {} with a self-signed certificate.",
            self.webhook
        );
        if let Some(hook) = self.bot.webhook() {
            let mut registered = vec![format!("URL {}", hook.url)];
            if hook.secret_token.is_some() {
                registered.push("secret token".into());
            }
            if hook.certificate.is_some() {
                registered.push("certificate".into());
            }
            let text = format!(
                "It registered itself with setWebhook ({}). The emulator delivers every \
                 update there over HTTPS with the secret header, as Telegram does (to port {} \
                 standing in for 8443).",
                registered.join(", "),
                self.webhook.port()
            );
            for line in wrap(&text, 84) {
                let _ = writeln!(s, "  {line}");
            }
        }
        let _ = writeln!(s, "  Command menus (setMyCommands):");
        let mut menus: Vec<&Call> = calls
            .iter()
            .filter(|c| c.ok && c.is("setMyCommands"))
            .collect();
        let scope_chat = |c: &Call| c.param("scope").and_then(|s| s["chat_id"].as_i64());
        menus.sort_by_key(|c| {
            scope_chat(c).map_or(0, |chat| {
                1 + PARTIES
                    .iter()
                    .position(|(id, _)| *id == chat)
                    .unwrap_or(PARTIES.len())
            })
        });
        for c in menus {
            let who = match scope_chat(c) {
                Some(chat) => party_name(chat),
                None => "Customers (Maria)".to_string(),
            };
            let commands: Vec<String> = c
                .param("commands")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|cmd| cmd["command"].as_str().map(|n| format!("/{n}")))
                .collect();
            let _ = writeln!(s, "    {who:<22} {}", commands.join(" "));
        }
    }

    fn begin(&mut self, title: &str) {
        self.step += 1;
        self.step_title = title.to_string();
        let heading = format!("Step {} · {title}", self.step);
        let _ = writeln!(self.story);
        let _ = writeln!(self.story, "{heading}");
        let _ = writeln!(self.story, "{}", "─".repeat(heading.chars().count()));
    }

    /// Let the service settle, then tell what each party saw during this step.
    async fn finish(&mut self) -> Result<()> {
        self.settle().await?;
        let calls = self.new_calls();
        self.calls_seen += calls.len();
        let mails: Vec<Mail> = self
            .mail
            .messages()
            .into_iter()
            .skip(self.mails_seen)
            .collect();
        self.mails_seen += mails.len();

        let mut by_party: Vec<(i64, Vec<String>)> = Vec::new();
        let mut behind: Vec<String> = Vec::new();
        for call in &calls {
            if !call.ok {
                behind.push(format!(
                    "Telegram refused {} ({})",
                    call.method,
                    call.response["description"]
                        .as_str()
                        .unwrap_or("no reason given")
                ));
                continue;
            }
            let (chat, lines) = match self.render(call) {
                Rendered::Seen(chat, lines) => (chat, lines),
                Rendered::Behind(line) => {
                    behind.push(line);
                    continue;
                }
                Rendered::Nothing => continue,
            };
            match by_party.iter_mut().find(|(c, _)| *c == chat) {
                Some((_, all)) => all.extend(lines),
                None => by_party.push((chat, lines)),
            }
        }
        by_party.sort_by_key(|(chat, _)| {
            PARTIES
                .iter()
                .position(|(id, _)| id == chat)
                .unwrap_or(PARTIES.len())
        });

        let s = &mut self.story;
        for (chat, lines) in &by_party {
            let _ = writeln!(s);
            let _ = writeln!(s, "  {} sees in Telegram:", party_name(*chat));
            for line in lines {
                let _ = writeln!(s, "{line}");
            }
        }
        for m in &mails {
            let _ = writeln!(s);
            let _ = writeln!(s, "  The mailbox of {} gets an email:", m.to.join(", "));
            if let Some(from) = m.header("From") {
                let _ = writeln!(s, "      From:    {from}");
            }
            let _ = writeln!(s, "      Subject: {}", m.subject().unwrap_or_default());
            for line in m.body_text().lines() {
                if line.trim().is_empty() {
                    let _ = writeln!(s, "      │");
                }
                for wrapped in wrap(line, 76) {
                    let _ = writeln!(s, "      │ {wrapped}");
                }
            }
        }
        if !behind.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "  Behind the scenes:");
            for line in behind {
                let _ = writeln!(s, "    · {line}");
            }
        }
        Ok(())
    }

    /// One Bot API call as its recipient saw it.
    fn render(&mut self, call: &Call) -> Rendered {
        let method = call.method.to_ascii_lowercase();
        if method == "answercallbackquery" {
            let Some(text) = call.str_param("text").filter(|t| !t.is_empty()) else {
                return Rendered::Nothing;
            };
            let presser = call
                .str_param("callback_query_id")
                .and_then(|id| self.presses.get(&id).copied());
            return match presser {
                Some(chat) => Rendered::Seen(chat, bullet("(pop-up notice)", &text)),
                None => Rendered::Behind(format!("a pop-up notice: {text}")),
            };
        }
        if method == "getfile" {
            let file = call.str_param("file_id").unwrap_or_default();
            return Rendered::Behind(if file == PHOTO_ID {
                "the archive downloaded Maria's photo (getFile, then the file itself)".into()
            } else {
                format!("the archive downloaded a file (getFile {file})")
            });
        }
        let Some(chat) = call.chat_id() else {
            return Rendered::Behind(format!("{} (no chat)", call.method));
        };
        let lines = match method.as_str() {
            "sendmessage" | "editmessagetext" => {
                let text = shown_text(call);
                let mut lines = if method == "sendmessage" {
                    bullet("", &text)
                } else {
                    bullet("(edited)", &text)
                };
                lines.extend(self.buttons(call, chat));
                lines
            }
            "editmessagereplymarkup" => {
                let mut lines = Vec::new();
                let buttons = self.buttons(call, chat);
                if buttons.is_empty() {
                    lines.extend(bullet("(the buttons under a message disappear)", ""));
                } else {
                    lines.extend(bullet("(the buttons under a message change:)", ""));
                    lines.extend(buttons);
                }
                lines
            }
            "copymessage" => {
                let from = call.int_param("from_chat_id").unwrap_or(0);
                let id = call.int_param("message_id").unwrap_or(0);
                bullet("", &self.copy_of(from, id))
            }
            "copymessages" => {
                let from = call.int_param("from_chat_id").unwrap_or(0);
                let ids: Vec<i64> = call
                    .param("message_ids")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .collect();
                ids.iter()
                    .flat_map(|id| bullet("", &self.copy_of(from, *id)))
                    .collect()
            }
            "deletemessage" => bullet("(a message is deleted)", ""),
            m if m.starts_with("send") => {
                let kind = &call.method[4..];
                let caption = call.text().map(|t| shown(call, &t)).unwrap_or_default();
                let mut lines = bullet(&format!("({})", kind.to_ascii_lowercase()), &caption);
                lines.extend(self.buttons(call, chat));
                lines
            }
            _ => return Rendered::Behind(format!("{} to {}", call.method, party_name(chat))),
        };
        Rendered::Seen(chat, lines)
    }

    /// The buttons of a sent or edited message, one row a line; notes when an edit
    /// took them away.
    fn buttons(&mut self, call: &Call, chat: i64) -> Vec<String> {
        let rows: Vec<String> = call
            .reply_markup()
            .and_then(|m| m.get("inline_keyboard").cloned())
            .and_then(|k| k.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|row| {
                row.as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| format!("[{}]", b["text"].as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|row| !row.is_empty())
            .collect();
        let key = (
            chat,
            call.message_id()
                .or_else(|| call.int_param("message_id"))
                .unwrap_or(0),
        );
        let had = self.with_buttons.insert(key, !rows.is_empty()) == Some(true);
        if rows.is_empty() && had && !call.is("sendMessage") {
            return vec!["        (its buttons are gone)".to_string()];
        }
        rows.into_iter().map(|r| format!("        {r}")).collect()
    }

    fn copy_of(&self, chat: i64, id: i64) -> String {
        match self.sent.get(&(chat, id)) {
            Some(sent) => format!("(copy of {}'s {})", sent.author, sent.what),
            None => format!("(copy of message {id} of {})", party_name(chat)),
        }
    }

    fn report_archive(&mut self, folder: &Path) {
        let s = &mut self.story;
        let _ = writeln!(s);
        let _ = writeln!(s, "The archive");
        let _ = writeln!(s, "───────────");
        let _ = writeln!(s, "  {}", folder.display());
        let _ = writeln!(s);
        let _ = writeln!(s, "  transcript.txt:");
        let text = std::fs::read_to_string(folder.join("transcript.txt")).unwrap_or_default();
        for line in text.lines() {
            let _ = writeln!(s, "      │ {line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "  files/:");
        for (name, bytes) in files_in(&folder.join("files")) {
            let same = if bytes == DEMO_PHOTO {
                " (Maria's photo, byte for byte)"
            } else {
                ""
            };
            let _ = writeln!(s, "      {name}  {} bytes{same}", bytes.len());
        }
    }
}

enum Rendered {
    /// Lines the chat's owner saw.
    Seen(i64, Vec<String>),
    /// Something no party sees.
    Behind(String),
    Nothing,
}

/// A message in the story: "    » " then the text, wrapped and indented.
fn bullet(note: &str, text: &str) -> Vec<String> {
    let body = match (note.is_empty(), text.is_empty()) {
        (true, _) => text.to_string(),
        (false, true) => note.to_string(),
        (false, false) => format!("{note} {text}"),
    };
    let mut out = Vec::new();
    for (i, line) in body
        .lines()
        .flat_map(|l| {
            let w = wrap(l, 78);
            if w.is_empty() { vec![String::new()] } else { w }
        })
        .enumerate()
    {
        let prefix = if i == 0 { "    » " } else { "      " };
        out.push(format!("{prefix}{line}").trim_end().to_string());
    }
    if out.is_empty() {
        out.push("    »".to_string());
    }
    out
}

/// The text or caption of a call as the recipient sees it.
fn shown_text(call: &Call) -> String {
    call.text().map(|t| shown(call, &t)).unwrap_or_default()
}

fn shown(call: &Call, text: &str) -> String {
    let html = call
        .str_param("parse_mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("html"));
    if html {
        plain_text(text)
    } else {
        text.to_string()
    }
}

/// Telegram HTML as people read it: tags dropped, entities decoded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Words of `line` in lines of at most `width` characters (a longer word stays whole).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        let needed = if current.is_empty() {
            word.chars().count()
        } else {
            current.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The first run of exactly six digits.
fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_string)
}

/// Every file of a folder with its bytes, by name.
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    files.sort();
    files
}

fn holds_photo(dir: &Path) -> bool {
    files_in(dir).iter().any(|(_, bytes)| bytes == DEMO_PHOTO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_shown_as_people_read_it() {
        assert_eq!(
            plain_text("Your request <b>#1</b> is &lt;received&gt; &amp; &quot;kept&quot;"),
            "Your request #1 is <received> & \"kept\""
        );
        assert_eq!(plain_text("a &amp;lt; b"), "a &lt; b");
    }

    #[test]
    fn long_lines_wrap_on_words() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij k", 5), vec!["abcdefghij", "k"]);
        assert!(wrap("   ", 5).is_empty());
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        let toml = format!("x = {}", toml_string("tab\there"));
        assert!(toml.contains("\\u0009"), "{toml}");
    }

    #[test]
    fn the_demo_can_run_on_any_runtime_thread() {
        fn send<T: Send>(_: &T) {}
        send(&run(None));
    }

    #[test]
    fn the_photo_is_a_jpeg() {
        assert!(DEMO_PHOTO.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(DEMO_PHOTO.ends_with(&[0xFF, 0xD9]));
    }

    #[test]
    fn codes_are_found_in_mail_bodies() {
        assert_eq!(
            six_digits("Your confirmation code: 042917\n\nValid 10 min.").as_deref(),
            Some("042917")
        );
        assert_eq!(six_digits("no code 12345 here"), None);
    }
}
